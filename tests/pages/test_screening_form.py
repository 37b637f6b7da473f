"""A clinician screens a patient from the patient page; the screening then governs booking.
Receptionists never reach the form."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from patients.models import PREGNANT_MALE, SCREENED_IN_FUTURE, Patient
from plans import safety
from tests import factories

pytestmark = pytest.mark.django_db


def form_url(patient):
    return reverse("screening_new", args=[patient.pk])


def test_the_patient_page_links_clinicians_to_the_form(client, clinician, receptionist, patient):
    client.force_login(clinician.user)
    assert (
        form_url(patient)
        in client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    )
    client.force_login(receptionist)
    assert (
        form_url(patient)
        not in client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    )


def test_clinician_records_findings_allergies_and_preparation(client, clinician, patient):
    product = factories.make_product("Vitamin cocktail")
    today = ClinicSettings.load().today()
    client.force_login(clinician.user)

    response = client.post(
        form_url(patient),
        {
            "screened_on": today.isoformat(),
            "anticoagulants": "on",
            "allergic_to": [product.pk],
            "takes_aspirin_or_clopidogrel": "on",
            "other_medication": "Levothyroxine",
            "clinical_notes": "Fine skin, sun damage.",
        },
    )

    assert response["Location"] == reverse("patient_detail", args=[patient.pk])
    screening = patient.screenings.get()
    assert screening.screened_by == clinician
    assert screening.screened_on == today
    assert screening.findings() == {"anticoagulants"}
    assert list(screening.allergic_to.all()) == [product]
    assert screening.takes_aspirin_or_clopidogrel
    assert screening.other_medication == "Levothyroxine"
    page = client.get(response["Location"]).content.decode()
    assert "Contraindication: anticoagulant therapy (warfarin)." in page
    assert "Allergic to: Vitamin cocktail." in page


def test_errors_are_shown_next_to_their_field(client, clinician):
    patient = factories.make_patient(sex=Patient.Sex.MALE)
    tomorrow = ClinicSettings.load().today() + timedelta(days=1)
    client.force_login(clinician.user)

    response = client.post(form_url(patient), {"screened_on": tomorrow, "pregnant": "on"})

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert errors["screened_on"] == [SCREENED_IN_FUTURE]
    assert errors["pregnant"] == [PREGNANT_MALE]
    assert not patient.screenings.exists()


def test_a_correction_the_same_day_is_a_new_version_that_counts(client, clinician, patient):
    product = factories.make_product("Vitamin cocktail")
    today = ClinicSettings.load().today()
    first = factories.make_screening(patient, clinician, screened_on=today, anticoagulants=True)
    first.allergic_to.set([product])
    client.force_login(clinician.user)

    form = client.get(form_url(patient)).context["form"]
    # the correction starts from the latest screening's answers
    assert form.initial["anticoagulants"] is True
    assert form.initial["allergic_to"] == [product.pk]
    response = client.post(form_url(patient), {"screened_on": today.isoformat()})

    assert response.status_code == HTTPStatus.FOUND
    assert patient.screenings.count() == 2
    first.refresh_from_db()
    assert first.anticoagulants and list(first.allergic_to.all()) == [product]  # kept as it was
    latest = safety.latest_screening(patient.pk)
    assert latest != first
    assert latest.findings() == set()
    page = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "anticoagulant therapy" not in page


def test_receptionist_is_refused_the_form(client, receptionist, patient):
    client.force_login(receptionist)
    assert client.get(form_url(patient)).status_code == HTTPStatus.FORBIDDEN
    response = client.post(form_url(patient), {"screened_on": "2026-01-02"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not patient.screenings.exists()


def test_an_admin_who_treats_no_one_cannot_sign_a_screening(client, clinic_admin, patient):
    client.force_login(clinic_admin)
    assert client.get(form_url(patient)).status_code == HTTPStatus.FORBIDDEN
