"""Reception rebooks what the clinic moved and what the patient cancelled: a closure puts
its appointments on the rebooking worklist, counted in the menu, and each leaves it once
given a new time; a cancelled appointment stays in its session's history beside the new
one."""

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import Closure
from plans.models import Appointment, Session
from tests.factories import PASSWORD
from tests.pages.data import clinic_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def day(clock):
    """A weekday a week after the clinic's today (the held clock, never the real day)."""
    day = clock.today() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_a_closure_puts_its_appointments_on_the_worklist_until_rebooked(
    page, live_server, sign_in, shoot, receptionist, day
):
    first, second = clinic_day(day, per_clinician=2)
    Closure.objects.create(name="Water leak", first_day=day, last_day=day)
    assert set(Appointment.objects.filter(needs_rebooking=True)) == {first, second}

    sign_in(receptionist.username, PASSWORD)
    expect(page.get_by_label("2 to rebook")).to_have_text("2")
    page.get_by_role("link", name="Rebooking 2 to rebook").click()  # the menu's
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebooking worklist")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    shoot("rebooking-worklist")

    row = rows.filter(has_text=str(first.patient))
    row.get_by_role("link", name="Rebook…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reschedule session 1")
    shoot("rebooking-move")
    page.locator(".slot-list button").first.click()

    expect(page).to_have_url(f"{live_server.url}{reverse('rebooking_worklist')}")
    expect(page.locator("#messages")).to_contain_text("moved to")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(str(second.patient))
    expect(page.get_by_label("1 to rebook")).to_have_text("1")
    shoot("rebooking-worklist-after")

    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED
    assert not first.needs_rebooking
    assert first.starts_at.date() != day  # off the closed day
    assert Closure.objects.get().first_day == day


def test_a_cancelled_appointment_is_booked_again_from_its_session(
    page, live_server, sign_in, shoot, receptionist, day
):
    appointment = clinic_day(day, per_clinician=1)[0]
    session = appointment.session
    sign_in(receptionist.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('session_detail', args=[session.pk])}")
    page.get_by_label("Reason for cancelling").fill("Patient has flu")
    page.get_by_role("button", name="Cancel this appointment").click()
    expect(page.locator("#messages")).to_contain_text("is to book again")
    history = page.locator("ol.history li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("cancelled by patient, Patient has flu")
    shoot("session-cancelled")

    page.get_by_role("link", name="Book", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Book session 1")
    shoot("session-book")
    page.locator(".slot-list button").first.click()
    expect(page.locator("#messages")).to_contain_text("booked for")

    page.goto(f"{live_server.url}{reverse('session_detail', args=[session.pk])}")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("cancelled by patient, Patient has flu")
    expect(history.nth(1)).to_contain_text("rebooked")
    expect(page.get_by_role("button", name="Cancel this appointment")).to_be_visible()
    shoot("session-rebooked")

    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED
    assert sorted(session.appointments.values_list("status", flat=True)) == sorted(
        [Appointment.Status.CANCELLED_BY_PATIENT, Appointment.Status.BOOKED]
    )
