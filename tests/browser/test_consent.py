"""A booking refused for what is missing: reception is told which consent is to be signed,
the clinician takes it with a signature drawn on the tablet and the times open; a patient
not screened yet is refused with what to do."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, OpeningHours
from patients.models import SignedConsent
from plans import safety
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_clinic(monday):
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    factories.make_room("Room 1")


@pytest.fixture
def monday():
    today = ClinicSettings.load().today()
    return today + timedelta(days=7 - today.weekday() + 7)  # Monday after next


def test_a_missing_consent_is_named_then_taken_with_a_drawn_signature(
    page,
    live_server,
    sign_in,
    shoot,
    clinician,
    receptionist,
    open_clinic,
    monday,
    tmp_path,
    settings,
):
    settings.MEDIA_ROOT = tmp_path
    patient = factories.make_patient(first_name="Inès", last_name="Morel")
    factories.make_screening(patient, clinician)
    plan = factories.make_plan(patient=patient, clinician=clinician, start_date=monday)
    form = factories.make_consent_form(plan.protocol.method, versions=2, asks_signature=True)
    first = plan.sessions.get(number=1)
    wanted = safety.CONSENT_DUE.format(method=plan.protocol.method.name.lower(), number=2)

    sign_in(receptionist.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('session_book', args=[first.pk])}")
    expect(page.get_by_role("alert")).to_have_text(wanted)
    expect(page.get_by_role("button", name="Book")).to_have_count(0)
    shoot("booking-refused-consent")

    page.context.clear_cookies()
    sign_in(clinician.user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('patient_detail', args=[patient.pk])}")
    page.get_by_role("link", name=f"Take consent: {form.title}").click()
    page.get_by_label("The patient has read this version of the form and agrees to it").check()
    canvas = page.locator("canvas.signature-pad")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 30, box["y"] + 120 - (step % 3) * 30)
    page.mouse.up()
    shoot("consent-signed")
    page.get_by_role("button", name="Record the consent").click()
    expect(page.locator("#consents").locator("..")).to_contain_text("version 2: signed")
    consent = SignedConsent.objects.get()
    assert consent.version == form.current()
    assert consent.signature.read().startswith(b"\x89PNG")

    page.goto(f"{live_server.url}{reverse('session_book', args=[first.pk])}")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".slot-list button").first).to_be_visible()


def test_a_patient_not_screened_is_refused_with_what_to_do(
    page, live_server, sign_in, shoot, clinician, receptionist, open_clinic, monday
):
    """Reception is told whom to ask, the clinician what is missing."""
    plan = factories.make_plan(clinician=clinician, start_date=monday)
    url = f"{live_server.url}{reverse('session_book', args=[plan.sessions.first().pk])}"
    sign_in(receptionist.username, PASSWORD)
    page.goto(url)
    expect(page.get_by_role("alert")).to_contain_text(safety.REVIEW_NEEDED)
    expect(page.get_by_role("alert")).to_contain_text(f"ask {clinician}")
    shoot("booking-refused-screening-reception")

    page.context.clear_cookies()
    sign_in(clinician.user.username, PASSWORD)
    page.goto(url)
    expect(page.get_by_role("alert")).to_have_text(safety.NOT_SCREENED)
    shoot("booking-refused-screening")
