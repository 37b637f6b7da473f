"""A patient who asked for the anaesthetic cream arrives the cream's time before the
session: the clinic must be open then. Searches never offer an earlier time, and a typed
one is refused saying why (a 09:00 session in a clinic opening at 09:00 once showed
"Arrive 08:30")."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clinic.models import ClinicSettings, OpeningHours
from plans import availability, booking
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 15, 15
    settings.anaesthetic_cream_minutes = 30
    settings.save()
    for weekday in range(5):
        # Closed for lunch: the afternoon opens at 14:00, and the cream waits for it too.
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(13))
        OpeningHours.objects.create(weekday=weekday, opens=time(14), closes=time(19))
    return settings


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


@pytest.fixture
def room(clinic):
    return factories.make_room("Room 1")


def first_session(clinician, *, cream: bool):
    patient = factories.make_patient()
    factories.make_screening(patient, clinician, wants_anaesthetic_cream=cream)
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", minutes=45),
        clinician=clinician,
        start_date=MONDAY,
    )
    return plan.sessions.get(number=1)


def starts_on(found, day):
    return [s.start.astimezone(PARIS).time() for s in found.slots if s.start.date() == day]


def test_a_patient_with_the_cream_is_offered_times_from_opening_plus_the_cream(dr_martin, room):
    with_cream = availability.slot_search(
        session=first_session(dr_martin, cream=True), now=NOW, limit=40
    )
    without = availability.slot_search(
        session=first_session(dr_martin, cream=False), now=NOW, limit=40
    )

    assert starts_on(without, MONDAY)[0] == time(9, 0)
    offered = starts_on(with_cream, MONDAY)
    assert offered[0] == time(9, 30)
    assert time(14, 0) not in offered and time(14, 15) not in offered
    assert time(14, 30) in offered


def test_booking_a_cream_patient_before_the_arrival_opens_is_refused_saying_why(dr_martin, room):
    session = first_session(dr_martin, cream=True)
    with pytest.raises(ValidationError) as refused:
        booking.appointment_book(
            session=session, starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert refused.value.message_dict["starts_at"] == [
        "The patient comes 30 minutes early for the anaesthetic cream: at 08:30 the clinic "
        "is not open yet. Book at least 30 minutes after it opens."
    ]
    assert not session.appointments.exists()

    booked = booking.appointment_book(
        session=session, starts_at=at(MONDAY, 9, 30), clinician=dr_martin, room=room, now=NOW
    ).appointment
    assert booked.starts_at == at(MONDAY, 9, 30)


def test_the_whole_plan_proposal_keeps_the_cream_inside_opening_hours(dr_martin, room):
    session = first_session(dr_martin, cream=True)
    proposal = availability.plan_propose(plan=session.plan, now=NOW)
    assert proposal.placements
    for _, slot in proposal.placements:
        local = slot.start.astimezone(PARIS).time()
        assert time(9, 30) <= local < time(13) or local >= time(14, 30)


def test_a_cream_patient_may_still_move_within_the_hours(dr_martin, room):
    session = first_session(dr_martin, cream=True)
    booked = booking.appointment_book(
        session=session, starts_at=at(MONDAY, 10), clinician=dr_martin, room=room, now=NOW
    ).appointment
    with pytest.raises(ValidationError):
        booking.appointment_move(
            appointment=booked, starts_at=at(MONDAY, 14), clinician=dr_martin, room=room, now=NOW
        )
    moved = booking.appointment_move(
        appointment=booked,
        starts_at=at(MONDAY + timedelta(days=1), 14, 30),
        clinician=dr_martin,
        room=room,
        now=NOW,
    ).appointment
    assert moved.starts_at == at(MONDAY + timedelta(days=1), 14, 30)
