"""The front desk finds a patient without their accents or with their phone number as the
patient says it, and is warned before registering someone a second time."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from patients.models import Patient
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_finds_helene_and_is_warned_of_a_second_record(
    page, live_server, sign_in, shoot, receptionist, clinician
):
    helene = factories.make_patient(
        first_name="Hélène", last_name="Dupré", date_of_birth=date(1980, 5, 17), phone="0630636610"
    )
    tomorrow = ClinicSettings.load().today() + timedelta(days=1)
    plan = factories.make_plan(patient=helene, clinician=clinician, start_date=tomorrow)
    starts = datetime.combine(tomorrow, time(10), tzinfo=ClinicSettings.load().tz)
    factories.book(plan.sessions.get(number=1), starts, clinician, factories.make_room())
    factories.make_patient(first_name="Helena", last_name="Martin")
    sign_in(receptionist.username, PASSWORD)

    page.get_by_role("link", name="Patients").click()
    coming = page.get_by_role("region", name="Coming in the next days")
    expect(coming.get_by_role("link", name="DUPRÉ Hélène")).to_be_visible()
    shoot("patients-at-hand", tablet=True)

    for typed in ("helene dupre", "06 30 63 66 10", "+33 6 30 63 66 10"):
        page.get_by_label("Name, phone or date of birth").fill(typed)
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("caption")).to_have_text("1 patient found.")
        expect(page.get_by_role("link", name="DUPRÉ Hélène")).to_be_visible()
    shoot("patient-search-phone")

    page.goto(f"{live_server.url}{reverse('patient_new')}")
    page.get_by_label("First name").fill("Helene")
    page.get_by_label("Last name").fill("DUPRE")
    page.get_by_label("Date of birth").fill("1980-05-17")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Phone").fill("07 81 23 45 67")
    page.get_by_role("button", name="Save").click()
    warning = page.locator("#form-errors")
    expect(warning).to_contain_text("already registered with the same name and date of birth")
    expect(warning.get_by_role("link", name="DUPRÉ Hélène")).to_have_attribute(
        "href", reverse("patient_detail", args=[helene.pk])
    )
    shoot("patient-duplicate-warning")
    assert Patient.objects.count() == 2
    page.get_by_role("button", name="Save anyway").click()
    expect(page.get_by_text("Helene DUPRE registered.")).to_be_visible()
    assert Patient.objects.count() == 3
