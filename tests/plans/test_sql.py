"""The hand-written statements of `plans.sql` give the ORM's answer: what holds a
clinician, a room or a patient (cancelled and missed appointments free their time), and
the rows of the schedule's cards."""

from datetime import datetime, time, timedelta

import pytest
from django.db.models import Q

from clinic.models import ClinicSettings
from patients.models import Patient
from plans import sql
from plans.models import Appointment, Session
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(clock):
    return clock.today()


@pytest.fixture
def appointments(day):
    """Two clinicians, two rooms, on `day`: a booked, an arrived, a done, a cancelled
    (by patient and by clinic) and a no-show appointment, some overlapping."""
    tz = ClinicSettings.load().tz
    at = lambda hour, minute=0: datetime.combine(day, time(hour, minute), tzinfo=tz)  # noqa: E731
    claire, marc = factories.make_clinician(), factories.make_clinician()
    one, two = factories.make_room("Room A"), factories.make_room("Room B")
    protocol = factories.make_protocol(name="Skin rejuvenation")
    made = {}
    plans = {}
    for key, doctor, room, start, status in (
        ("booked", claire, one, at(9), Appointment.Status.BOOKED),
        ("arrived", marc, two, at(9, 30), Appointment.Status.ARRIVED),
        ("done", claire, one, at(11), Appointment.Status.DONE),
        ("cancelled", claire, two, at(14), Appointment.Status.CANCELLED_BY_PATIENT),
        ("by_clinic", marc, one, at(14), Appointment.Status.CANCELLED_BY_CLINIC),
        ("no_show", marc, two, at(16), Appointment.Status.NO_SHOW),
    ):
        patient = factories.make_patient(last_name=f"Patient {key}")
        factories.make_screening(
            patient, doctor, screened_on=day, wants_anaesthetic_cream=key in ("booked", "done")
        )
        plan = factories.make_plan(
            patient=patient, protocol=protocol, clinician=doctor, start_date=day
        )
        plans[key] = plan
        reason = "Patient has flu" if status in Appointment.CANCELLED else ""
        made[key] = book(
            plan.sessions.get(number=1), start, doctor, room, status=status, reason=reason
        )
    plans["done"].areas.add(factories.make_area("Neck"))  # two areas, in name order
    # A second appointment of the booked patient, later that day, in room B.
    second = plans["booked"].sessions.get(number=2)
    made["second"] = book(second, at(17), claire, two, needs_rebooking=True)
    return made


def orm_busy(parts, exclude):
    """What the ORM says holds each part's time, as `sql.busy` returns it."""
    found = {}
    for index, part in enumerate(parts):
        whose = Q(patient_id=part.patient_id)
        if part.clinician_ids:
            whose |= Q(clinician_id__in=part.clinician_ids)
        if part.room_ids:
            whose |= Q(room_id__in=part.room_ids)
        rows = (
            Appointment.objects.filter(whose, status__in=Appointment.OCCUPYING)
            .filter(starts_at__lt=part.end, blocks_until__gt=part.start)
            .exclude(pk__in=exclude)
        )
        for a in rows:
            # UNION ALL: one row per part that names it.
            row = (a.clinician_id, a.room_id, a.patient_id, a.starts_at, a.ends_at)
            found.setdefault((index, a.pk), row)
    return sorted(found.values(), key=lambda row: (row[3], row))


def sorted_rows(rows):
    return sorted(rows, key=lambda row: (row[3], row))


def cases(made, day):
    tz = ClinicSettings.load().tz
    at = lambda hour, minute=0: datetime.combine(day, time(hour, minute), tzinfo=tz)  # noqa: E731
    booked, arrived = made["booked"], made["arrived"]
    stranger = factories.make_patient().pk
    whole_day = sql.Holds(at(0), at(23, 59), [booked.clinician_id], [], stranger)
    return [
        # Claire's whole day: booked, done and her second; never the cancelled one.
        ([whole_day], []),
        ([whole_day], [booked.pk]),
        # Room B at 14:00: the cancellations free it.
        ([sql.Holds(at(14), at(15), [], [arrived.room_id], stranger)], []),
        # The patient of the booked appointment, morning and evening, in two parts.
        (
            [
                sql.Holds(at(8, 30), at(9, 15), [], [], booked.patient_id),
                sql.Holds(at(16, 30), at(18), [], [], booked.patient_id),
            ],
            [],
        ),
        # Anyone in room A or with Marc, across the morning's overlap.
        (
            [sql.Holds(at(9, 40), at(11, 10), [arrived.clinician_id], [booked.room_id], stranger)],
            [],
        ),
        # The no-show's time is free for Marc.
        ([sql.Holds(at(16), at(16, 45), [arrived.clinician_id], [], stranger)], []),
    ]


def test_busy_and_any_clash_agree_with_the_orm(appointments, day):
    for parts, exclude in cases(appointments, day):
        expected = orm_busy(parts, exclude)
        assert sorted_rows(sql.busy(parts, exclude=exclude)) == expected, parts
        assert sql.any_clash(parts, exclude=exclude) is bool(expected), parts


def test_cancelled_and_missed_appointments_hold_no_time(appointments, day):
    tz = ClinicSettings.load().tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    freed = [appointments[key] for key in ("cancelled", "by_clinic", "no_show")]
    for a in freed:
        part = sql.Holds(a.starts_at, a.blocks_until, [a.clinician_id], [a.room_id], a.patient_id)
        assert sql.any_clash([part], exclude=[]) is False, a.status
        assert sql.busy([part], exclude=[]) == []
    clinicians = {a.clinician_id for a in appointments.values()}
    everything = sql.Holds(start, start + timedelta(days=1), list(clinicians), [], 0)
    held = {row[3] for row in sql.busy([everything], exclude=[])}
    assert held == {appointments[key].starts_at for key in ("booked", "arrived", "done", "second")}


def orm_card_rows(appointments):
    """The card rows, one per appointment and area of its plan, as `sql.card_values`."""
    rows = []
    for a in appointments:
        session = a.session
        plan = session.plan
        screening = plan.patient.screenings.order_by("-screened_on", "-id").first()
        last = Session.objects.filter(plan=plan).order_by("-number").first().number
        head = (
            a.pk,
            a.status,
            a.needs_rebooking,
            a.starts_at,
            a.ends_at,
            session.number,
            plan.pk,
            a.clinician_id,
            a.room_id,
            a.patient.last_name,
            a.patient.first_name,
            plan.protocol.name,
            screening.wants_anaesthetic_cream if screening else None,
            last,
        )
        areas = list(plan.areas.order_by("name", "pk")) or [None]
        phone = Patient.objects.filter(pk=a.patient_id).values_list("phone", flat=True).get()
        rows.extend(
            (*head, area.name if area else None, session.pk, phone.as_e164) for area in areas
        )
    return rows


def read_cards(kind, *params):
    fetched, zone = sql.card_values(kind, *params)
    return [
        (
            *row[:2],
            bool(row[2]),
            row[3].replace(tzinfo=zone),
            row[4].replace(tzinfo=zone),
            *row[5:12],
            None if row[12] is None else bool(row[12]),
            *row[13:],
        )
        for row in fetched
    ]


def test_card_rows_agree_with_the_orm(appointments, day):
    tz = ClinicSettings.load().tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    everyone = Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
    in_order = list(everyone.order_by("starts_at", "pk"))
    assert len(in_order) == len(appointments)  # the cards read every status
    assert read_cards(sql.BETWEEN, start, end) == orm_card_rows(in_order)

    claire = appointments["booked"].clinician_id
    theirs = [a for a in in_order if a.clinician_id == claire]
    assert read_cards(sql.CLINICIAN_BETWEEN, claire, start, end) == orm_card_rows(theirs)

    for a in appointments.values():
        assert read_cards(sql.ONE, a.pk) == orm_card_rows([a])

    later = start + timedelta(hours=12)  # the bounds: from `start` included, to `end` not
    assert read_cards(sql.BETWEEN, later, end) == orm_card_rows(
        [a for a in in_order if a.starts_at >= later]
    )
