"""A treatment the instructions of an earlier session forbid (laser within a week after
mesotherapy) is booked only with a reason, which the appointment keeps."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clinic.models import ClinicSettings, InstructionRule, OpeningHours
from plans import booking
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@pytest.fixture
def setting(db):
    clinic = ClinicSettings.load()
    clinic.time_zone = "Europe/Paris"
    clinic.save()
    for weekday in range(7):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    needle, laser = factories.make_method(), factories.make_method("Laser")
    InstructionRule.objects.get(key="no-laser-or-electrolysis").forbids_methods.set([laser])
    clinician = factories.make_clinician(methods=[needle, laser])
    room = factories.make_room("Room 1")
    patient = factories.make_patient()
    factories.make_screening(patient, clinician)
    meso = factories.make_plan(patient=patient, clinician=clinician, start_date=date(2026, 3, 6))
    factories.book(meso.sessions.get(number=1), at(date(2026, 3, 6)), clinician, room)
    return clinician, room, patient, needle, laser


def laser_session(setting, day: date, method_name="laser"):
    clinician, _room, patient, needle, laser = setting
    method = laser if method_name == "laser" else needle
    protocol = factories.make_protocol("6 sessions every 2 weeks ±2 days", method=method)
    plan = factories.make_plan(
        patient=patient, protocol=protocol, clinician=clinician, start_date=day
    )
    return plan.sessions.get(number=1)


def book(setting, session, day: date, **reason):
    clinician, room, *_ = setting
    return booking.appointment_book(
        session=session, starts_at=at(day, 14), clinician=clinician, room=room, now=NOW, **reason
    ).appointment


def test_laser_within_the_week_after_mesotherapy_needs_a_reason(setting):
    session = laser_session(setting, date(2026, 3, 13))  # the week's last day
    with pytest.raises(ValidationError) as refused:
        book(setting, session, date(2026, 3, 13))
    assert refused.value.code == "follow_up"
    assert "No laser or electrolysis treatment until Friday 13 March" in refused.value.messages[0]


def test_with_a_reason_it_is_booked_and_the_reason_kept(setting):
    session = laser_session(setting, date(2026, 3, 10))
    appointment = book(
        setting, session, date(2026, 3, 10), follow_up_reason="Dermatologist's advice"
    )
    appointment.refresh_from_db()
    assert appointment.follow_up_reason == "Dermatologist's advice"


def test_after_the_week_no_reason_is_asked(setting):
    session = laser_session(setting, date(2026, 3, 16))  # Monday: the clinician works
    assert book(setting, session, date(2026, 3, 16)).follow_up_reason == ""


def test_the_same_treatment_again_is_no_forbidden_follow_up(setting):
    session = laser_session(setting, date(2026, 3, 10), method_name="needle")
    assert book(setting, session, date(2026, 3, 10)).follow_up_reason == ""


def test_moving_into_the_week_needs_a_reason_too(setting):
    clinician, room, *_ = setting
    session = laser_session(setting, date(2026, 3, 16))
    appointment = book(setting, session, date(2026, 3, 16))
    with pytest.raises(ValidationError) as refused:
        booking.appointment_move(
            appointment=appointment,
            starts_at=at(date(2026, 3, 12), 14),
            clinician=clinician,
            room=room,
            now=NOW,
            confirm_outside=True,
        )
    assert refused.value.code == "follow_up"
