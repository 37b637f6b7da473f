"""Writes to patients and their screenings."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from clinic.models import Clinician, Product
from patients.models import Patient, Screening


@transaction.atomic
def screening_create(
    *,
    patient: Patient,
    clinician: Clinician,
    screened_on: date,
    allergic_to: Iterable[Product] = (),
    **findings,
) -> Screening:
    """Record a dated screening; `findings` are Screening's own fields (pregnant=True...)."""
    screening = Screening(
        patient=patient, screened_by=clinician, screened_on=screened_on, **findings
    )
    screening.full_clean()
    screening.save()
    screening.allergic_to.set(allergic_to)
    return screening
