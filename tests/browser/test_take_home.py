"""Reception opens a patient's plan, its take-home plan, and the PDF and calendar file it
offers; the page is checked on screen (desktop and phone) and in print."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, OpeningHours
from tests import factories
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reception_prints_the_take_home_plan(page, live_server, sign_in, shoot, clinician):
    clinic = ClinicSettings.load()
    clinic.phone, clinic.email = "+33 1 23 45 67 89", "desk@clinic.example"
    clinic.address = "12 rue de la Paix\n75002 Paris"
    clinic.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    room = factories.make_room("Room 1")
    patient = factories.make_patient(first_name="Léa", last_name="Moreau")
    factories.make_screening(patient, clinician, wants_anaesthetic_cream=True)
    monday = clinic.today() + timedelta(days=7 - clinic.today().weekday())
    plan = factories.make_plan(
        patient=patient,
        clinician=clinician,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", name="Face glow"),
        start_date=monday,
    )
    for number in (1, 2, 3):
        day = monday + timedelta(weeks=2 * (number - 1))
        session = plan.sessions.get(number=number)
        book(session, datetime.combine(day, time(10), tzinfo=clinic.tz), clinician, room)
    receptionist = factories.make_user("Receptionist", username="rita.desk")

    sign_in(receptionist.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('plan_detail', args=[plan.pk])}")
    page.get_by_role("link", name="Take-home plan").click()

    expect(page.get_by_role("heading", name="Your treatment plan")).to_be_visible()
    rows = page.locator(".take-home-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("09:30")
    expect(page.locator(".take-home-header")).to_contain_text("+33 1 23 45 67 89")
    expect(page.get_by_role("heading", name="When to call us")).to_be_visible()
    shoot("take-home")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="PDF")).to_be_hidden()
    page.screenshot(path=SCREENSHOTS / "take-home-print.png", full_page=True)
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Calendar file (.ics)").click()
    assert download.value.suggested_filename == "appointments-moreau-lea.ics"
    href = page.get_by_role("link", name="PDF").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
