"""Migrations patients 0008 and 0009 on the demo clinic: the phone numbers typed before
are stored normalised (E.164), one that cannot be read is kept as typed, every name gets
its search form, and no patient, plan or appointment is lost."""

import pytest
from django.core.management import call_command

from patients.models import Patient
from plans.models import Appointment, TreatmentPlan
from tests.migrations import latest, migrate

BEFORE = [("patients", "0007_reminder_choice")]


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
def test_the_demo_clinics_numbers_are_normalised_and_none_is_lost(demo_clinic):
    before = counts()
    old = migrate(BEFORE)
    OldPatient = old.get_model("patients", "Patient")
    typed = {
        "06 30 63 66 10": "+33630636610",
        "0630636611": "+33630636611",
        "+33 6 30 63 66 12": "+33630636612",
        "+44 20 7946 0958": "+442079460958",
        "ask at the desk": "ask at the desk",  # not a number: kept for staff to correct
    }
    people = list(OldPatient.objects.order_by("pk")[: len(typed)])
    for person, phone in zip(people, typed, strict=True):
        person.phone = phone
        person.save(update_fields=["phone"])
    accented = people[0]
    accented.first_name, accented.last_name = "Hélène", "Guérin"
    accented.save(update_fields=["first_name", "last_name"])

    migrate(latest())

    assert counts() == before
    stored = dict(Patient.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "phone"))
    assert [stored[person.pk] for person in people] == list(typed.values())
    assert Patient.objects.get(pk=accented.pk).search_name == "helene guerin"
    assert not Patient.objects.filter(search_name="").exists()
    # Every demo number is a real one now, the one left as typed aside.
    assert Patient.objects.exclude(phone__startswith="+").count() == 1
