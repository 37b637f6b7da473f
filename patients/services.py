"""Writes to patients, their screenings and their consents."""

from collections.abc import Iterable
from datetime import date

from django.core.files.base import File
from django.db import transaction

from clinic.models import Clinician, ConsentFormVersion, Product
from patients.models import Patient, Screening, SignedConsent


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


@transaction.atomic
def consent_sign(
    *,
    patient: Patient,
    version: ConsentFormVersion,
    taken_by: Clinician,
    signed_on: date,
    signature: File | None = None,
    scan: File | None = None,
) -> SignedConsent:
    """Record the patient's consent to `version`, with the drawn signature and the scanned
    form the clinic keeps. A second signature of the same version is refused."""
    consent = SignedConsent(
        patient=patient,
        version=version,
        taken_by=taken_by,
        signed_on=signed_on,
        # Written to storage by save(), after the checks: a refused consent leaves no file.
        signature=signature,
        scan=scan,
    )
    consent.full_clean()
    consent.save()
    return consent
