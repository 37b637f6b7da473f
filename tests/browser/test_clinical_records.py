"""A clinician screens a patient, overrides the contraindication found for a good reason, and
records a session with the batch used; reception sees only that booking is blocked."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans import safety
from plans.models import Session
from tests import factories
from tests.factories import PASSWORD, book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan_started_last_week(clinician):
    """A plan whose first session was booked a week ago at 10:00, with one product."""
    settings = ClinicSettings.load()
    day = settings.today() - timedelta(days=7)
    product = factories.make_product("Hyaluronic acid 1.5%")
    factories.make_batch(product, "HA-2291", settings.today() + timedelta(days=90))
    factories.make_batch(product, "HA-3310", settings.today() + timedelta(days=400))
    patient = factories.make_patient(first_name="Léa", last_name="Moreau")
    plan = factories.make_plan(
        patient=patient,
        clinician=clinician,
        start_date=day,
        products=[product],
        preferred_weekdays="13",
        preferred_after=time(17),
    )
    starts_at = datetime.combine(day, time(10), tzinfo=settings.tz)
    book(plan.sessions.get(number=1), starts_at, clinician, factories.make_room("Room 1"))
    return plan


def test_clinician_screens_overrides_and_records_a_session(
    page, live_server, sign_in, shoot, clinician, plan_started_last_week
):
    plan = plan_started_last_week
    sign_in(clinician.user.username, PASSWORD)

    page.goto(f"{live_server.url}{reverse('plan_detail', args=[plan.pk])}")
    expect(page.get_by_role("alert")).to_contain_text("Not screened yet")
    shoot("plan-not-screened")
    page.get_by_role("link", name="Screen the patient").click()

    page.get_by_label("Anticoagulant therapy (warfarin)").check()
    page.get_by_label("Takes aspirin or clopidogrel").check()
    page.get_by_label("Clinical notes").fill("Fine lines, dehydrated skin.")
    shoot("screening-new")
    page.get_by_role("button", name="Record the screening").click()
    expect(page.locator("#messages")).to_contain_text("Screening of Léa Moreau recorded")
    expect(page.locator("#screening")).to_be_visible()
    shoot("patient-detail-screened")

    page.goto(f"{live_server.url}{reverse('plan_detail', args=[plan.pk])}")
    expect(page.locator(".alert-danger")).to_contain_text("Anticoagulant therapy (warfarin)")
    page.get_by_role("button", name="Record the override").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("clinical reason")
    page.get_by_label("Clinical reason to treat despite the findings").fill(
        "INR stable at 2.1; superficial technique only, cardiologist informed."
    )
    shoot("plan-contraindicated")
    page.get_by_role("button", name="Record the override").click()
    expect(page.get_by_role("note")).to_contain_text("Override recorded by")
    expect(page.get_by_text("Tuesday, Thursday · after 17:00")).to_be_visible()
    shoot("plan-overridden")

    session = plan.sessions.get(number=1)
    page.goto(f"{live_server.url}{reverse('session_done', args=[session.pk])}")
    expect(page.get_by_label("Hyaluronic acid 1.5% — lot HA-2291", exact=False)).to_be_checked()
    expect(page.get_by_label("Face")).to_be_checked()
    page.get_by_label("Notes").fill("Good tolerance.")
    page.get_by_label("Complications").fill("Bruise under the left eye, larger than usual.")
    shoot("session-done")
    page.get_by_role("button", name="Record as done").click()
    expect(page.locator("#messages")).to_contain_text("recorded as done")

    page.goto(f"{live_server.url}{reverse('session_detail', args=[session.pk])}")
    expect(page.locator("#record").locator("..")).to_contain_text("lot HA-2291")
    shoot("session-detail-done")
    session.refresh_from_db()
    assert session.status == Session.Status.DONE

    # The patient's History tab shows what was just done, and by whom.
    page.goto(f"{live_server.url}{reverse('patient_detail', args=[plan.patient_id])}")
    page.get_by_role("link", name="History").click()
    history = page.locator(".patient-history")
    expect(history).to_contain_text("INR stable at 2.1")
    expect(history).to_contain_text("Bruise under the left eye")
    expect(history).to_contain_text(f"by {clinician.user.get_full_name()}")
    shoot("patient-history")


def test_receptionist_sees_only_that_booking_is_blocked(
    page, live_server, sign_in, shoot, receptionist, clinician, plan_started_last_week
):
    factories.make_screening(
        plan_started_last_week.patient,
        clinician,
        screened_on=ClinicSettings.load().today(),
        pregnant=True,
    )
    sign_in(receptionist.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('plan_detail', args=[plan_started_last_week.pk])}")
    expect(page.get_by_role("alert")).to_have_text(
        safety.NEEDS_REVIEW.format(clinician=plan_started_last_week.clinician)
    )
    expect(page.get_by_text("Pregnancy")).to_have_count(0)
    shoot("plan-blocked-reception")
