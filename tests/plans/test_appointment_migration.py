"""Migration plans 0007: an old-shape clinic's sessions become steps and appointments.

Every session of the old shape with a time keeps it as exactly one appointment (times,
clinician, room, arrival, treatment record, batches); the step keeps its number and
window, and a cancelled or missed one closes with its reason.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.migrations import migrate, migrate_to_the_latest

BEFORE = [
    ("plans", "0006_tolerance_may_be_unset"),
    ("clinic", "0003_default_tolerance_percent"),
    ("patients", "0002_screening_recorded_at"),
]
AFTER = [("plans", "0007_steps_and_appointments")]
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def at_0006():
    try:
        yield migrate(BEFORE)
    finally:
        migrate_to_the_latest()  # the tests after this one need today's schema


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


# number: (old status, starts_at or None, optional, extra fields)
OLD_SESSIONS = {
    1: ("done", at(2, 10), False, {"notes": "Good tolerance", "complications": "Small bruise"}),
    2: ("cancelled", at(9, 11), False, {"cancel_reason": "Patient has the flu"}),
    3: ("no_show", at(16, 9), False, {}),
    4: ("arrived", at(23, 14), False, {"arrived_at": at(23, 13, 55)}),
    5: ("booked", at(30, 15), False, {"needs_rebooking": True}),
    6: ("cancelled", None, False, {"cancel_reason": "Course changed"}),
    7: ("planned", None, False, {}),
    8: ("cancelled", at(31, 9), True, {"cancel_reason": "Not wanted"}),
}


def make_old_clinic(apps):
    """An old-shape clinic: one plan whose sessions hold every old status."""
    model = apps.get_model
    method = model("clinic", "Method").objects.create(name="Needle injection")
    user = model("auth", "User").objects.create(username="claire.martin")
    clinician = model("clinic", "Clinician").objects.create(user=user)
    other_user = model("auth", "User").objects.create(username="paul.durand")
    other = model("clinic", "Clinician").objects.create(user=other_user)
    room = model("clinic", "Room").objects.create(name="Room 1")
    face = model("clinic", "TreatmentArea").objects.create(name="Face")
    neck = model("clinic", "TreatmentArea").objects.create(name="Neck")
    product = model("clinic", "Product").objects.create(
        name="Hyaluronic acid 1.5%", category="hyaluronic_acid"
    )
    batch = model("clinic", "ProductBatch").objects.create(
        product=product, lot_number="HA-2291", expiry_date=date(2027, 6, 30)
    )
    patient = model("patients", "Patient").objects.create(
        first_name="Sophie",
        last_name="Bernard",
        date_of_birth=date(1980, 5, 17),
        sex="F",
        phone="+33 6 12 34 56 78",
    )
    protocol = model("plans", "Protocol").objects.create(
        name="Skin rejuvenation", indication="rejuvenation", method=method
    )
    plan = model("plans", "TreatmentPlan").objects.create(
        patient=patient, clinician=clinician, protocol=protocol, start_date=date(2026, 3, 2)
    )
    plan.areas.add(face, neck)
    Session = model("plans", "Session")
    sessions = {}
    for number, (status, starts_at, optional, extra) in OLD_SESSIONS.items():
        due = date(2026, 3, 2) + timedelta(weeks=number - 1)
        fields = {
            "plan": plan,
            "patient": patient,
            "number": number,
            "phase": 1,
            "due": due,
            "earliest": due - timedelta(days=2),
            "latest": due + timedelta(days=2),
            "optional": optional,
            "status": status,
            **extra,
        }
        if starts_at is not None:
            fields.update(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=45),
                blocks_until=starts_at + timedelta(minutes=55),
                # session 4 was seen by another clinician than the plan's own
                clinician=other if number == 4 else clinician,
                room=room,
            )
        sessions[number] = Session.objects.create(**fields)
    sessions[1].areas_treated.add(face, neck)
    model("plans", "ProductUse").objects.create(
        session=sessions[1], batch=batch, quantity_ml=Decimal("1.50")
    )
    return {
        "clinician": clinician.pk,
        "other": other.pk,
        "room": room.pk,
        "batch": batch.pk,
        "areas": {face.pk, neck.pk},
        "sessions": {n: s.pk for n, s in sessions.items()},
    }


@pytest.mark.django_db(transaction=True)
def test_an_old_clinic_keeps_every_session_as_a_step_and_every_time_as_an_appointment(at_0006):
    # One migration for all the checks: migrating there and back is slow on PostgreSQL.
    ids = make_old_clinic(at_0006)

    after = migrate(AFTER)

    each_old_session_with_a_time_has_exactly_one_appointment(after, ids)
    old_statuses_map_onto_appointments_and_steps(after, ids)
    the_treatment_record_and_the_batch_move_to_the_appointment(after, ids)


def each_old_session_with_a_time_has_exactly_one_appointment(after, ids):
    Appointment = after.get_model("plans", "Appointment")
    for number, (_status, starts_at, _optional, _extra) in OLD_SESSIONS.items():
        appointments = list(Appointment.objects.filter(session_id=ids["sessions"][number]))
        if starts_at is None:
            assert appointments == [], number
            continue
        assert len(appointments) == 1, number
        (appointment,) = appointments
        assert appointment.starts_at == starts_at
        assert appointment.ends_at == starts_at + timedelta(minutes=45)
        assert appointment.blocks_until == starts_at + timedelta(minutes=55)
        expected_clinician = ids["other"] if number == 4 else ids["clinician"]
        assert appointment.clinician_id == expected_clinician
        assert appointment.room_id == ids["room"]
        assert appointment.patient_id is not None
    assert Appointment.objects.count() == 6


def old_statuses_map_onto_appointments_and_steps(after, ids):
    Appointment = after.get_model("plans", "Appointment")
    Session = after.get_model("plans", "Session")
    by_number = {
        n: Appointment.objects.filter(session_id=pk).first() for n, pk in ids["sessions"].items()
    }
    steps = {n: Session.objects.get(pk=pk) for n, pk in ids["sessions"].items()}

    assert {n: a.status for n, a in by_number.items() if a} == {
        1: "done",
        2: "cancelled_patient",
        3: "no_show",
        4: "arrived",
        5: "booked",
        8: "cancelled_patient",
    }
    assert by_number[2].reason == "Patient has the flu"
    assert by_number[8].reason == "Not wanted"
    assert by_number[4].arrived_at == at(23, 13, 55)
    assert by_number[5].needs_rebooking is True
    assert by_number[4].needs_rebooking is False

    assert {n: s.status for n, s in steps.items()} == {
        1: "done",
        2: "not_needed",
        3: "not_needed",
        4: "booked",
        5: "booked",
        6: "not_needed",
        7: "to_book",
        8: "skipped",
    }
    assert steps[2].closed_reason == "Patient has the flu"
    assert steps[3].closed_reason == "No-show"
    assert steps[6].closed_reason == "Course changed"
    assert steps[8].closed_reason == "Not wanted"
    assert steps[7].closed_reason == ""
    # numbers and windows are kept
    for number, step in steps.items():
        due = date(2026, 3, 2) + timedelta(weeks=number - 1)
        assert (step.number, step.due, step.earliest, step.latest) == (
            number,
            due,
            due - timedelta(days=2),
            due + timedelta(days=2),
        )


def the_treatment_record_and_the_batch_move_to_the_appointment(after, ids):
    Appointment = after.get_model("plans", "Appointment")
    done = Appointment.objects.get(session_id=ids["sessions"][1])
    assert done.notes == "Good tolerance"
    assert done.complications == "Small bruise"
    assert set(done.areas_treated.values_list("pk", flat=True)) == ids["areas"]
    uses = list(after.get_model("plans", "ProductUse").objects.all())
    assert [(u.appointment_id, u.batch_id, u.quantity_ml) for u in uses] == [
        (done.pk, ids["batch"], Decimal("1.50"))
    ]
    # the other appointments carry no treatment record
    others = Appointment.objects.exclude(pk=done.pk)
    assert not any(a.notes or a.complications for a in others)
