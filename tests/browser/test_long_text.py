"""A note of 2,000 letters without a space wraps on the phone instead of widening the page
(one once made the plan page 239,600 px wide)."""

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "x" * 2000
PHONE = {"width": 390, "height": 900}


def test_long_unbroken_notes_wrap_on_the_phone(page, live_server, sign_in, shoot, clinician):
    patient = factories.make_patient(notes=LONG, address=LONG)
    factories.make_screening(patient, clinician, clinical_notes=LONG)
    plan = factories.make_plan(
        patient=patient,
        clinician=clinician,
        start_date=ClinicSettings.load().today(),
        notes=LONG,
    )
    sign_in(clinician.user.username, PASSWORD)
    page.set_viewport_size(PHONE)

    for name, url in [
        ("plan", reverse("plan_detail", args=[plan.pk])),
        ("patient", reverse("patient_detail", args=[patient.pk])),
        ("screening", reverse("screening_detail", args=[patient.pk])),
    ]:
        page.goto(f"{live_server.url}{url}")
        assert page.locator("main").inner_text().count("x" * 100) >= 1, name
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {name} page is {width} px wide"
    shoot("long-notes")
