"""A contraindication blocks booking until a clinician records why treating is still right;
reception learns only that booking is blocked, never the medical reason."""

import html
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import safety, services
from tests import factories

pytestmark = pytest.mark.django_db

FINDING = "Anticoagulant therapy (warfarin)"


@pytest.fixture
def plan_on_warfarin(clinician, patient):
    today = ClinicSettings.load().today()
    factories.make_screening(patient, clinician, screened_on=today, anticoagulants=True)
    return factories.make_plan(
        patient=patient, clinician=clinician, start_date=today + timedelta(days=1)
    )


def plan_page(client, plan) -> str:
    return client.get(reverse("plan_detail", args=[plan.pk])).content.decode()


def test_clinician_sees_the_findings_and_records_an_override(client, clinician, plan_on_warfarin):
    client.force_login(clinician.user)
    page = plan_page(client, plan_on_warfarin)
    assert "alert-danger" in page
    assert FINDING in page
    assert "Record the override" in page
    assert "Book all sessions" not in page

    response = client.post(
        reverse("plan_override", args=[plan_on_warfarin.pk]),
        {"contraindication_override": "INR stable, cardiologist agrees."},
    )

    assert response["Location"] == reverse("plan_detail", args=[plan_on_warfarin.pk])
    plan_on_warfarin.refresh_from_db()
    assert plan_on_warfarin.override_by == clinician
    page = plan_page(client, plan_on_warfarin)
    assert f"Override recorded by {clinician}" in page
    assert "INR stable, cardiologist agrees." in page
    assert "Record the override" not in page
    assert "Book all sessions" in page
    first = plan_on_warfarin.sessions.get(number=1)
    assert reverse("session_book", args=[first.pk]) in page


def test_an_override_needs_a_reason_shown_next_to_the_field(client, clinician, plan_on_warfarin):
    client.force_login(clinician.user)
    response = client.post(
        reverse("plan_override", args=[plan_on_warfarin.pk]), {"contraindication_override": " "}
    )
    assert response.status_code == HTTPStatus.OK
    form = response.context["override_form"]
    assert form.errors["contraindication_override"] == [services.OVERRIDE_NEEDS_REASON]
    plan_on_warfarin.refresh_from_db()
    assert plan_on_warfarin.override_at is None


def test_receptionist_learns_only_that_booking_is_blocked(client, receptionist, plan_on_warfarin):
    client.force_login(receptionist)
    page = plan_page(client, plan_on_warfarin)
    assert safety.NEEDS_REVIEW.format(clinician=plan_on_warfarin.clinician) in html.unescape(page)
    assert FINDING not in page
    assert "warfarin" not in page.lower()
    assert "Record the override" not in page
    assert "Book…" not in page
    first = plan_on_warfarin.sessions.get(number=1)
    assert reverse("session_book", args=[first.pk]) not in page

    response = client.post(
        reverse("plan_override", args=[plan_on_warfarin.pk]),
        {"contraindication_override": "I say so."},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_plan_without_a_screening_links_to_the_screening_form(client, clinician, patient):
    plan = factories.make_plan(patient=patient, clinician=clinician)
    client.force_login(clinician.user)
    page = plan_page(client, plan)
    assert "Not screened yet" in page
    assert reverse("screening_new", args=[patient.pk]) in page
    assert "alert-danger" not in page


def test_a_screening_without_findings_shows_no_alert(client, clinician, receptionist, patient):
    today = ClinicSettings.load().today()
    factories.make_screening(patient, clinician, screened_on=today)
    plan = factories.make_plan(patient=patient, clinician=clinician, start_date=today)
    for user in (clinician.user, receptionist):
        client.force_login(user)
        page = plan_page(client, plan)
        assert 'role="alert"' not in page
        # Nothing blocks booking: each session to book links to its booking page.
        assert reverse("session_book", args=[plan.sessions.get(number=1).pk]) in page


def test_a_new_override_keeps_the_earlier_one_with_its_author(
    client, clock, clinician, receptionist, patient, plan_on_warfarin
):
    colleague = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Linh", last_name="Nguyen")
    )
    services.plan_record_override(
        plan=plan_on_warfarin, clinician=clinician, reason="INR stable in March."
    )
    # A later screening finds the same: the first override no longer covers it.
    clock.set(clock.now + timedelta(hours=1))
    factories.make_screening(
        patient, clinician, screened_on=ClinicSettings.load().today(), anticoagulants=True
    )
    clock.set(clock.now + timedelta(hours=1))
    services.plan_record_override(
        plan=plan_on_warfarin, clinician=colleague, reason="INR stable again."
    )

    client.force_login(clinician.user)
    page = plan_page(client, plan_on_warfarin)
    assert f"Override recorded by {colleague}" in page
    assert "Earlier overrides (1)" in page
    assert f"{clinician}, " in page
    assert "INR stable in March." in page
    client.force_login(receptionist)
    page = plan_page(client, plan_on_warfarin)
    assert "INR stable in March." not in page
    assert "INR stable again." not in page
