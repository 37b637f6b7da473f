"""A session seen three days late: the clinician records it, and the later appointments
that left their new windows are moved by the same delay with one click."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, OpeningHours
from plans import booking
from plans.models import Appointment
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def test_a_session_held_late_moves_the_later_appointments_by_its_delay(
    page, live_server, sign_in, shoot, clinician, clock
):
    clock.set(at(MONDAY - timedelta(days=4), 10))
    settings = ClinicSettings.load()
    settings.time_zone = "Europe/Paris"
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    room = factories.make_room("Room 1")
    patient = factories.make_patient(first_name="Chloé", last_name="Petit")
    factories.make_screening(patient, clinician, screened_on=date(2026, 11, 20))
    plan = factories.make_plan(patient=patient, clinician=clinician, start_date=MONDAY)
    for number in (1, 2, 3):
        session = plan.sessions.get(number=number)
        booking.appointment_book(
            session=session, starts_at=at(session.due, 10), clinician=clinician, room=room
        )
    clock.set(at(MONDAY + timedelta(days=3), 18))  # Thursday evening

    sign_in(clinician.user.username, PASSWORD)
    first = plan.sessions.get(number=1)
    page.goto(f"{live_server.url}{reverse('session_done', args=[first.pk])}")
    page.get_by_label("Held at").fill("2026-12-10T10:00")
    page.get_by_role("button", name="Record as done").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Move the later sessions")
    expect(page.locator("main")).to_contain_text("held 3 days after its due day")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Mon 21 Dec 2026, 10:00")
    expect(rows.nth(0)).to_contain_text("Thu 24 Dec 2026, 10:00")
    expect(rows.nth(1)).to_contain_text("Thu 7 Jan 2027, 10:00")
    shoot("plan-move-later")
    page.get_by_role("button", name="Move these 2 sessions").click()

    expect(page.locator("#messages")).to_contain_text("Sessions 2, 3 moved.")
    expect(page.get_by_text("now fall outside their new windows")).to_have_count(0)
    shoot("plan-after-move-later")
    moved = Appointment.objects.filter(session__plan=plan, status=Appointment.Status.BOOKED)
    assert sorted(a.starts_at.astimezone(PARIS).date() for a in moved) == [
        date(2026, 12, 24),
        date(2027, 1, 7),
    ]
