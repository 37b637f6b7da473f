"""A whole plan is proposed for any weekday start of a year, on each protocol of the domain.

A clinic open Monday to Friday 09:00-19:00, one clinician working those hours, one room:
every required step is placed; a step lands outside its window only when its window holds
no open day it may take given the spacing from the step before, and is then labelled so.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.models import ClinicSettings, OpeningHours, WorkingHours
from plans import availability, engine
from plans.calendar import calendar_changed
from plans.models import Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2027
# A year of course holds every phase of each protocol, maintenance included.
HORIZON_MONTHS = 12
BEFORE_THE_YEAR = datetime(YEAR - 1, 12, 31, 10, 0, tzinfo=PARIS)

# The four protocols of the domain (../shared/domain.md), in the engine's grammar.
PROTOCOLS = {
    "seed": "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months",
    "six then yearly": "6 sessions every 2 weeks, then once or twice a year",
    "until the effect": "every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months",
    "repeat": "every 2-4 weeks",
}


def weekdays_of(year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def open_days(first: date, last: date) -> list[date]:
    days = []
    while first <= last:
        if first.weekday() < 5:
            days.append(first)
        first += timedelta(days=1)
    return days


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone = "Europe/Paris"
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    clinician = factories.make_clinician(hours=False)
    WorkingHours.objects.bulk_create(
        WorkingHours(clinician=clinician, weekday=day, starts=time(9), ends=time(19))
        for day in range(5)
    )
    calendar_changed()  # bulk_create sends no signal
    factories.make_room("Room 1")
    patient = factories.make_patient()
    factories.make_screening(patient, clinician, screened_on=date(YEAR - 1, 12, 1))
    return clinician, patient


@pytest.mark.parametrize("text", PROTOCOLS.values(), ids=PROTOCOLS.keys())
def test_the_protocol_parses(text):
    assert engine.parse_protocol(text)


@pytest.mark.django_db
@pytest.mark.parametrize("text", PROTOCOLS.values(), ids=PROTOCOLS.keys())
def test_every_required_step_is_placed_in_its_window_when_it_holds_an_open_day(clinic, clock, text):
    clinician, patient = clinic
    clock.set(BEFORE_THE_YEAR)
    protocol = factories.make_protocol(text, minutes=45)
    phases = None
    for start in weekdays_of(YEAR):
        plan = factories.make_plan(
            patient=patient,
            protocol=protocol,
            clinician=clinician,
            start_date=start,
            horizon_months=HORIZON_MONTHS,
        )
        if phases is None:
            phases = plan.phase_values()
        required = [
            s.number
            for s in plan.sessions.order_by("number")
            if s.status == Session.Status.TO_BOOK and not s.optional
        ]

        assert required, start

        proposal = availability.plan_propose(plan=plan, now=BEFORE_THE_YEAR)

        assert proposal.failures == [], start
        assert [s.number for s, _ in proposal.placements] == required, start
        placed: list[availability.Neighbour] = []
        for session, slot in proposal.placements:
            first, _ = availability.not_before(session, placed, phases, PARIS)
            day = slot.start.astimezone(PARIS).date()
            if first is not None:
                assert slot.start >= first, (start, session.number)
            reachable = [
                d
                for d in open_days(session.earliest, session.latest)
                if first is None or d >= first.astimezone(PARIS).date()
            ]
            where = (start, session.number, day, session.earliest, session.latest)
            if reachable:
                # an open day in the window, spacing kept: the step is placed in it
                assert slot.in_window, where
                assert session.earliest <= day <= session.latest, where
            else:
                # nothing to take in the window: placed outside it, and labelled so
                assert not slot.in_window, where
            if slot.in_window:
                assert session.earliest <= day <= session.latest, where
            else:
                assert not session.earliest <= day <= session.latest, where
            placed.append(availability.Neighbour(session.number, session.phase, slot.start))
