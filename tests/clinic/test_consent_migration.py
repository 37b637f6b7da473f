"""Migrations clinic 0012 and patients 0006 on the demo clinic: consent forms arrive, each
method named as one of the clinic's default forms gets that form as version 1, and no
patient, plan or appointment is lost either way."""

import pytest
from django.core.management import call_command

from clinic.consent_texts import DEFAULT_CONSENT_FORMS
from clinic.models import ConsentForm, Method
from patients.models import Patient, SignedConsent
from plans.models import Appointment, TreatmentPlan
from tests.migrations import latest, migrate

BEFORE = [
    ("patients", "0005_birth_in_the_clinic_calendar"),
    ("clinic", "0011_contact_and_calendar_feeds"),
]


def counts() -> dict[str, int]:
    return {
        "patients": Patient.objects.count(),
        "plans": TreatmentPlan.objects.count(),
        "appointments": Appointment.objects.count(),
    }


@pytest.fixture
def demo_clinic(settings):
    settings.DEBUG = True
    call_command("load_demo", without_week=True, stdout=None)  # its 40 patients' courses
    try:
        yield
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_the_demo_clinic_gets_its_methods_forms_and_keeps_every_booking(demo_clinic):
    before = counts()
    assert SignedConsent.objects.exists()  # the demo's signed consents go on the way back

    old = migrate(BEFORE)
    old.get_model("clinic", "Method").objects.create(name="Microneedling")
    migrate(latest())

    assert counts() == before
    forms = {form.method.name.lower(): form for form in ConsentForm.objects.all()}
    named = {m.name.lower() for m in Method.objects.all()} & set(DEFAULT_CONSENT_FORMS)
    assert named and set(forms) == named  # a method with no default form gets none
    for name, form in forms.items():
        version = form.current()
        title, asks_signature, text = DEFAULT_CONSENT_FORMS[name]
        assert (version.number, form.title, form.asks_signature) == (1, title, asks_signature)
        assert version.text == text
    assert not SignedConsent.objects.exists()  # every patient signs version 1 anew
