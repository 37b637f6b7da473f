"""A clinician creates a plan from the seed protocol, previews it, and books every session."""

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, OpeningHours
from plans.models import Session
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"


def test_clinician_creates_a_plan_and_books_all_its_sessions(
    page, live_server, sign_in, shoot, clinician
):
    from datetime import time

    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    factories.make_room("Room 1")
    factories.make_area("Face")
    protocol = factories.make_protocol(
        SEED, name="Skin rejuvenation", method=clinician.methods.get()
    )
    patient = factories.make_patient(first_name="Léa")
    factories.make_screening(patient, clinician, screened_on=ClinicSettings.load().today())
    start = ClinicSettings.load().today() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)

    sign_in(clinician.user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('plan_new', args=[patient.pk])}")
    page.get_by_label("Protocol").select_option(label=f"{protocol.name} ({protocol.method})")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Start date").dispatch_event("change")
    page.get_by_label("Face").check()
    expect(page.locator("#preview")).to_contain_text(protocol.text)
    expect(page.locator("#preview table")).to_be_visible()
    shoot("plan-new-preview")
    page.get_by_role("button", name="Create the plan").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Plan created"
    )
    shoot("plan-detail")
    page.get_by_role("link", name="Book all sessions…").click()
    shoot("plan-book-all")
    page.get_by_role("button", name="Book these").click()
    expect(page.locator("#messages")).to_contain_text("sessions booked")
    plan = patient.plans.get()
    required = plan.sessions.filter(optional=False)
    assert required.filter(status=Session.Status.BOOKED).count() == required.count()
    page.goto(f"{live_server.url}{reverse('patient_detail', args=[patient.pk])}")
    shoot("patient-detail")
    page.goto(f"{live_server.url}{reverse('schedule_week', args=[clinician.pk, start])}")
    shoot("schedule-week")
