"""Who may see and do what, checked in one place for every page.

Roles are auth groups (`clinic.roles`) and the checks ask for their permissions, never
for group names, so an admin can grant one permission to one person without a code
change. Each helper either returns what the page needs or raises: `PermissionDenied`
(403) when the role may not do this at all, `Http404` when the row does not exist.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from clinic.models import Clinician
from patients.models import Patient
from plans.models import Appointment, Session, TreatmentPlan

VIEW_SCHEDULE = "plans.view_session"
CHANGE_SESSION = "plans.change_session"
RECORD_TREATMENT = "plans.record_treatment"
OVERRIDE = "plans.override_contraindication"
ADD_PLAN = "plans.add_treatmentplan"
VIEW_PLAN = "plans.view_treatmentplan"
VIEW_PATIENT = "patients.view_patient"
ADD_PATIENT = "patients.add_patient"
CHANGE_PATIENT = "patients.change_patient"
ADD_SCREENING = "patients.add_screening"
# Screenings and every clinical note (plan and session notes) share one permission:
# whoever may not read the screening may not read what the clinician wrote either.
VIEW_CLINICAL = "patients.view_screening"
# A patient's consents name their treatments: medical, for clinicians.
VIEW_CONSENT = "patients.view_signedconsent"
ADD_CONSENT = "patients.add_signedconsent"


def require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def sees_clinical(user) -> bool:
    return user.has_perm(VIEW_CLINICAL)


def records_treatment(user) -> bool:
    """Whether to offer "record as done": only a clinician records a treatment (the record
    names them), so an admin holding the permission is not offered it."""
    return may_sign(user, RECORD_TREATMENT)


def patient_for(user, pk: int, permission: str = VIEW_PATIENT) -> Patient:
    require(user, permission)
    return get_object_or_404(Patient, pk=pk)


def plan_for(user, pk: int, permission: str = VIEW_PLAN) -> TreatmentPlan:
    require(user, permission)
    return get_object_or_404(
        TreatmentPlan.objects.select_related(
            "patient", "protocol__method", "clinician__user", "override_by__user"
        ),
        pk=pk,
    )


def session_for(user, pk: int, permission: str = CHANGE_SESSION) -> Session:
    """A session of a course with what its pages read (plan, protocol, patient), in one
    query."""
    require(user, permission)
    return get_object_or_404(
        Session.objects.select_related("plan__protocol__method", "plan__patient", "patient"),
        pk=pk,
    )


def appointment_for(user, pk: int, permission: str = CHANGE_SESSION) -> Appointment:
    """An appointment with its session, plan, patient, clinician and room, in one query.
    Appointments are a session's: the session's permissions govern them."""
    require(user, permission)
    return get_object_or_404(
        Appointment.objects.select_related(
            "session__plan__protocol__method",
            "session__plan__patient",
            "patient",
            "clinician__user",
            "room",
        ),
        pk=pk,
    )


def clinician_of(user) -> Clinician | None:
    """The user's own clinician row, if they treat patients (one query, cached per request)."""
    if not hasattr(user, "_clinician_row"):
        user._clinician_row = Clinician.objects.filter(user=user).first()
    return user._clinician_row


def clinician_required(user) -> Clinician:
    """The user's clinician row, for what a clinician signs (a screening, an override).

    A user holding the permission without treating patients (an admin) is refused: the
    record must name who took the clinical decision.
    """
    clinician = clinician_of(user)
    if clinician is None:
        raise PermissionDenied
    return clinician


def may_sign(user, permission: str) -> bool:
    """Whether to offer a form that `clinician_required` will let through."""
    return user.has_perm(permission) and clinician_of(user) is not None


class HidesClinicalFields:
    """For a ModelAdmin: leaves its medical fields (`clinical_fields`) out of every form and
    page of the admin for whoever may not read the screening (`sees_clinical`), as the
    clinic's own pages do."""

    clinical_fields: tuple[str, ...] = ()

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if not sees_clinical(request.user):
            exclude += [name for name in self.clinical_fields if name not in exclude]
        return exclude
