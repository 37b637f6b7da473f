"""The week at desktop and tablet width: each card shows its time and the patient's full
name, even a long double-barrelled one; at tablet width the week works by touch."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, OpeningHours, WorkingHours
from plans.models import Appointment
from tests import factories
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    ("Emmanuelle", "Garcia-Lefebvre"),
    ("Marie-Christine", "Rousseau-Bertin"),
    ("Léa", "Moreau"),
    ("Anne-Sophie", "Lambert-Michel"),
]


def busy_week(clinician):
    tz = ClinicSettings.load().tz
    today = ClinicSettings.load().today()
    monday = today - timedelta(days=today.weekday())
    for weekday in range(7):
        OpeningHours.objects.get_or_create(weekday=weekday, opens=time(8), closes=time(20))
    WorkingHours.objects.filter(clinician=clinician).delete()
    room = factories.make_room()
    for offset in range(5):
        day = monday + timedelta(days=offset)
        for index, (first, last) in enumerate(NAMES):
            patient = factories.make_patient(first_name=first, last_name=last)
            plan = factories.make_plan(
                patient=patient,
                protocol=factories.make_protocol("2 sessions every 2 weeks ±2 days", minutes=30),
                clinician=clinician,
                start_date=day,
            )
            starts = datetime.combine(day, time(9), tzinfo=tz) + timedelta(minutes=45 * index)
            factories.book(plan.sessions.get(number=1), starts, clinician, room)
    return monday


def test_every_card_of_the_week_shows_its_time_and_the_full_name_at_1280(
    page, live_server, sign_in, shoot, clinician
):
    monday = busy_week(clinician)
    sign_in(clinician.user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('schedule_week', args=[clinician.pk, monday])}")

    cards = page.locator(".booking")
    expect(cards).to_have_count(20)
    for index in range(cards.count()):
        card = cards.nth(index)
        name = card.locator(".booking-patient")
        expect(card.locator(".booking-time")).to_be_visible()
        # The whole name: not cut by an ellipsis, not hidden below the card's end.
        assert name.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), name.inner_text()
        box, inside = card.bounding_box(), name.bounding_box()
        assert inside["y"] + inside["height"] <= box["y"] + box["height"] + 1, name.inner_text()
    shoot("week", tablet=True)


def test_at_tablet_width_a_card_opens_its_menu_by_touch(
    browser, live_server, clinician, receptionist
):
    monday = busy_week(clinician)
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(receptionist.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}{reverse('schedule_week', args=[clinician.pk, monday])}")

    card = page.locator(".booking").first
    card.get_by_text("Actions").tap()
    expect(card.get_by_role("button", name="Arrived")).to_be_visible()

    # The day at tablet width, landscape: a card's menu by touch, and its move form.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule_day', args=[monday])}")
    card = page.locator(".booking").first
    card.get_by_text("Actions").tap()
    expect(card.get_by_role("button", name="Arrived")).to_be_visible()
    expect(card.get_by_role("form", name="Move to another date and time")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "schedule-day-touch-tablet.png", full_page=True)
    context.close()


def test_overlapping_appointments_sit_side_by_side_readably(
    page, live_server, sign_in, shoot, clinician
):
    monday = busy_week(clinician)
    tz = ClinicSettings.load().tz
    # A cancelled appointment keeps its place on the schedule, and its time was given to
    # another patient: the two overlap.
    ten = datetime.combine(monday + timedelta(days=1), time(9), tzinfo=tz)
    first = Appointment.objects.get(starts_at=ten, clinician=clinician)
    first.status, first.reason = Appointment.Status.CANCELLED_BY_PATIENT, "Flu"
    first.save(update_fields=["status", "reason"])
    patient = factories.make_patient(first_name="Zoé", last_name="Fontaine-Marchand")
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("2 sessions every 2 weeks ±2 days", minutes=30),
        clinician=clinician,
        start_date=ten.date(),
    )
    second = factories.book(plan.sessions.get(number=1), ten, clinician, first.room)
    sign_in(clinician.user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('schedule_week', args=[clinician.pk, monday])}")

    one = page.locator(".booking").filter(has=page.locator(f"#booking-{first.pk}"))
    two = page.locator(".booking").filter(has=page.locator(f"#booking-{second.pk}"))
    a, b = one.bounding_box(), two.bounding_box()
    assert a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1  # apart
    assert abs(a["width"] - b["width"]) <= 2  # and as wide as each other
    expect(two.locator(".booking-time")).to_be_visible()
    shoot("week-overlap", tablet=True)
