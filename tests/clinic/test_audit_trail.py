"""Every write to the clinic's records leaves who, when and the row before and after in
the audit trail, however it is made: a page, admin, a service's bulk write, a command."""

import ast
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinic import audit
from clinic.models import ClinicSettings, Closure, OpeningHours, Room
from plans import availability, booking, engine, services
from plans.models import Appointment, PlanPhase, ProductUse, ProtocolPhase, Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def versions(obj):
    """The trail of one row, oldest first."""
    return list(obj.trail.order_by("history_date", "history_id"))


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 15, 15
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    return settings


@pytest.fixture
def room(clinic):
    return factories.make_room("Room 1")


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


@pytest.fixture
def plan(dr_martin, room):
    patient = factories.make_patient()
    factories.make_screening(patient, dr_martin)
    return factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", minutes=45),
        clinician=dr_martin,
        start_date=MONDAY,
    )


# --- the rule, in code ----------------------------------------------------------------


# `QuerySet.update` of the tokens that tell each process to re-read its calendar and
# reviews: fields the trail leaves out of the clinic's settings (they say nothing).
TOKEN_UPDATES = ("ClinicSettings.objects.filter(pk=1).update",)
# Rows outside the trail: a sign-in device's confirmation, the booking lock's one row, and
# the call list's ticks (a record of who and when themselves, written once, never changed).
UNAUDITED = ("TOTPDevice.objects.", "BookingLock.objects.", "CallOutcome.objects.")


def _plain_bulk_writes(path: Path) -> list[str]:
    """The calls in a module that would write rows without their history."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        # A queryset's update takes field=value only; dict.update and set.update of the
        # code's own memos take a positional argument.
        is_update = name == "update" and node.keywords and not node.args
        if name in ("bulk_create", "bulk_update") or is_update:
            source = ast.get_source_segment(path.read_text(), node.func)
            if not source.startswith(("audit.", *TOKEN_UPDATES, *UNAUDITED)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {source}")
    return found


def test_no_module_writes_an_audited_model_in_bulk_without_its_history():
    modules = [
        path
        for app in ("clinic", "patients", "plans")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name not in ("audit.py", "settings.py")
    ]
    assert [found for path in modules for found in _plain_bulk_writes(path)] == []


# --- services: bulk writes and updates ---------------------------------------------------


def test_a_new_plan_records_the_plan_its_phases_and_each_session(plan):
    assert versions(plan)[0].history_type == "+"
    assert PlanPhase.trail.filter(plan_id=plan.pk, history_type="+").count() == 1
    created = Session.trail.filter(plan_id=plan.pk, history_type="+")
    assert sorted(created.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_whole_plan_booking_records_each_appointment_and_each_step_booked(plan):
    proposal = availability.plan_propose(plan=plan, now=NOW)
    booked = booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)

    for appointment in booked:
        (created,) = versions(appointment)
        assert created.history_type == "+"
        assert created.starts_at == appointment.starts_at
        before, after = versions(appointment.session)[-2:]
        assert (before.status, after.status) == (Session.Status.TO_BOOK, Session.Status.BOOKED)


def test_a_move_keeps_the_old_time_in_the_trail(plan, dr_martin, room):
    session = plan.sessions.get(number=1)
    appointment = booking.appointment_book(
        session=session, starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment

    booking.appointment_move(
        appointment=appointment,
        starts_at=at(MONDAY, 11),
        clinician=dr_martin,
        room=room,
        now=NOW,
    )

    assert [v.starts_at for v in versions(appointment)] == [at(MONDAY, 9), at(MONDAY, 11)]


def test_recording_a_session_done_records_the_treatment_the_batches_and_the_new_windows(
    plan, dr_martin
):
    product = factories.make_product()
    batch = factories.make_batch(product, "HA-1", date(2030, 1, 1))
    later = plan.sessions.get(number=3)
    due_before = later.due

    # Held a week late: the sessions after it move by a week (a bulk update).
    done = services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=at(date(2026, 1, 12), 10), batches=[batch]
    )

    record = versions(done.appointment)[-1]
    assert record.status == Appointment.Status.DONE
    assert record.recorded_by_id == dr_martin.pk
    (use,) = ProductUse.trail.filter(appointment_id=done.appointment.pk)
    assert (use.history_type, use.batch_id) == ("+", batch.pk)
    later.refresh_from_db()
    assert [v.due for v in versions(later)][-2:] == [due_before, later.due]
    assert later.due != due_before


def test_a_cancellation_on_the_page_records_who_cancelled_and_the_step_to_book_again(
    client, plan, dr_martin, room, receptionist
):
    session = plan.sessions.get(number=1)
    appointment = booking.appointment_book(
        session=session, starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    client.force_login(receptionist)

    client.post(reverse("appointment_cancel", args=[appointment.pk]), {"reason": "Flu"})

    cancelled = versions(appointment)[-1]
    assert cancelled.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert cancelled.reason == "Flu"
    assert cancelled.history_user == receptionist
    step = versions(session)[-1]
    assert (step.status, step.history_user) == (Session.Status.TO_BOOK, receptionist)


def test_a_closure_puts_its_bookings_on_the_worklist_in_the_trail(plan, dr_martin, room):
    appointment = booking.appointment_book(
        session=plan.sessions.get(number=1),
        starts_at=at(MONDAY, 9),
        clinician=dr_martin,
        room=room,
        now=NOW,
    ).appointment

    Closure.objects.create(name="Burst pipe", first_day=MONDAY, last_day=MONDAY)

    assert [v.needs_rebooking for v in versions(appointment)] == [False, True]


def test_replacing_a_protocols_phases_keeps_the_old_ones_in_the_trail():
    protocol = factories.make_protocol("every 2 weeks, 6 sessions")
    (old,) = protocol.phases.all()

    services.protocol_set_phases(
        protocol=protocol, phases=engine.parse_protocol("every 3 weeks, 4 sessions")
    )

    deleted = ProtocolPhase.trail.get(id=old.pk, history_type="-")
    assert (deleted.interval_min, deleted.span_min) == (2, 6)
    (new,) = protocol.phases.all()
    assert ProtocolPhase.trail.get(id=new.pk).history_type == "+"


def test_a_plans_rewritten_sessions_stay_in_the_trail_as_deleted(plan):
    old = list(plan.sessions.values_list("pk", flat=True))
    plan.start_date = date(2026, 2, 2)
    plan.save()

    services.plan_write_sessions(plan=plan, copy_protocol=False)

    assert set(Session.trail.filter(history_type="-").values_list("id", flat=True)) == set(old)


def test_the_bulk_helpers_write_the_rows_and_their_history_together(dr_martin):
    rows = audit.bulk_create(Room, [Room(name="Room A"), Room(name="Room B")])
    assert Room.trail.filter(history_type="+").count() == 2

    assert audit.update(Room.objects.filter(pk__in=[r.pk for r in rows]), is_active=False) == 2

    assert set(Room.objects.values_list("is_active", flat=True)) == {False}
    for room in rows:
        assert [v.is_active for v in versions(room)] == [True, False]


# --- admin and commands -------------------------------------------------------------------


def test_an_admin_edit_records_the_admin_and_the_values_before_and_after(client, clinic_admin):
    room = factories.make_room("Room 1")
    client.force_login(clinic_admin)

    client.post(
        reverse("admin:clinic_room_change", args=[room.pk]),
        {"name": "Laser room", "is_active": "on"},
    )

    before, after = versions(room)
    assert (before.name, after.name) == ("Room 1", "Laser room")
    assert after.history_user == clinic_admin


def test_a_write_without_a_request_is_recorded_with_no_user():
    patient = factories.make_patient()
    (created,) = versions(patient)
    assert created.history_user is None
    assert created.history_date is not None


def test_the_trail_is_stamped_by_the_clinics_clock(clock):
    clock.set(datetime(2027, 5, 4, 12, 0, tzinfo=PARIS))
    patient = factories.make_patient()
    assert versions(patient)[0].history_date == datetime(2027, 5, 4, 12, 0, tzinfo=PARIS)


def test_the_clinics_settings_are_audited_but_not_their_cache_tokens(clinic_admin):
    settings = ClinicSettings.load()
    settings.buffer_minutes = 5
    settings.save()
    assert versions(settings)[-1].buffer_minutes == 5
    assert not hasattr(versions(settings)[-1], "calendar_token")


def test_reception_reads_no_part_of_the_trail(receptionist, clinician, clinic_admin):
    def trail_permissions(user):
        return {perm for perm in user.get_all_permissions() if ".view_historical" in perm}

    assert trail_permissions(receptionist) == set()
    assert "patients.view_historicalscreening" in trail_permissions(clinician.user)
    assert "plans.view_historicalappointment" in trail_permissions(clinician.user)
    assert "clinic.view_historicalroom" in trail_permissions(clinic_admin)
