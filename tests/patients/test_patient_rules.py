"""Patients and screenings hold only plausible facts."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic import clock
from patients.models import (
    BIRTH_IN_FUTURE,
    PREGNANT_MALE,
    SCREENED_BEFORE_BIRTH,
    SCREENED_IN_FUTURE,
    Patient,
    Screening,
)
from plans import safety
from tests import factories

pytestmark = pytest.mark.django_db


def today():
    """The clinic's today by its clock (held by the tests' `clock` fixture)."""
    return clock.today(timezone.get_current_timezone())


def test_patient_born_tomorrow_is_refused():
    patient = Patient(
        first_name="Anna",
        last_name="Roux",
        sex="F",
        phone="+33 6 00 00 00 00",
        date_of_birth=today() + timedelta(days=1),
    )
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert error.value.message_dict["date_of_birth"] == [BIRTH_IN_FUTURE]


def test_phone_number_must_look_like_one():
    patient = Patient(
        first_name="Anna",
        last_name="Roux",
        sex="F",
        phone="call me",
        date_of_birth=date(1990, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "phone" in error.value.message_dict


def test_age_counts_birthdays(patient):
    patient.date_of_birth = date(1980, 2, 29)
    assert patient.age_on(date(2026, 2, 28)) == 45
    assert patient.age_on(date(2026, 3, 1)) == 46


def test_screening_dates_must_be_possible(patient, clinician):
    future = Screening(
        patient=patient, screened_by=clinician, screened_on=today() + timedelta(days=3)
    )
    with pytest.raises(ValidationError) as error:
        future.full_clean()
    assert error.value.message_dict["screened_on"] == [SCREENED_IN_FUTURE]

    before_birth = Screening(patient=patient, screened_by=clinician, screened_on=date(1970, 1, 1))
    with pytest.raises(ValidationError) as error:
        before_birth.full_clean()
    assert error.value.message_dict["screened_on"] == [SCREENED_BEFORE_BIRTH]


def test_pregnancy_is_not_recorded_for_a_man(clinician):
    man = factories.make_patient(first_name="Karim", sex=Patient.Sex.MALE)
    screening = Screening(
        patient=man, screened_by=clinician, screened_on=date(2026, 1, 2), pregnant=True
    )
    with pytest.raises(ValidationError) as error:
        screening.full_clean()
    assert error.value.message_dict["pregnant"] == [PREGNANT_MALE]


def test_screening_findings_name_the_contraindications(patient, clinician):
    screening = factories.make_screening(patient, clinician, anticoagulants=True, pacemaker=True)
    assert screening.findings() == {"anticoagulants", "pacemaker"}


def test_a_second_screening_the_same_day_is_a_later_version_that_counts(patient, clinician):
    first = factories.make_screening(patient, clinician, screened_on=date(2026, 1, 2))
    correction = factories.make_screening(
        patient, clinician, screened_on=date(2026, 1, 2), pregnant=True
    )
    assert patient.screenings.latest() == correction
    assert safety.latest_screening(patient.pk) == correction
    assert patient.screenings.count() == 2 and first.pk in patient.screenings.values_list(
        "pk", flat=True
    )


def test_latest_screening_is_the_newest(patient, clinician):
    factories.make_screening(patient, clinician, screened_on=date(2025, 6, 1))
    newest = factories.make_screening(patient, clinician, screened_on=date(2026, 1, 2))
    assert patient.screenings.latest() == newest


def test_screening_service_records_findings_and_allergies(patient, clinician):
    from clinic.models import Product
    from patients import services

    product = Product.objects.create(name="Lipolytic", category="lipolytic")
    screening = services.screening_create(
        patient=patient,
        clinician=clinician,
        screened_on=date(2026, 1, 2),
        anticoagulants=True,
        allergic_to=[product],
    )
    assert screening.findings() == {"anticoagulants"}
    assert list(screening.allergic_to.all()) == [product]
