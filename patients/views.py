"""Finding, registering and reading a patient; the screening and the consents are for
clinicians only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clinic import access, clock
from clinic.forms import add_service_errors
from clinic.models import ConsentFormVersion
from patients import history, services
from patients.forms import ConsentSignForm, PatientForm, PatientSearchForm, ScreeningForm
from patients.models import Screening, SignedConsent
from plans import safety, selectors

PAGE_SIZE = 25


@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, access.VIEW_PATIENT)
    form = PatientSearchForm(request.GET)
    page = Paginator(form.results(), PAGE_SIZE).get_page(request.GET.get("page"))
    searched = bool(request.GET.get("q", "").strip())
    seen, upcoming = ([], []) if searched else selectors.patients_at_hand(clock.now())
    return render(
        request,
        "patients/patient_list.html",
        {
            "form": form,
            "page": page,
            "searched": searched,
            "seen": seen,
            "upcoming": upcoming,
            "nav": "patients",
        },
    )


def patient_new(request: HttpRequest) -> HttpResponse:
    access.require(request.user, access.ADD_PATIENT)
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} registered.")
        return redirect("patient_detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk, access.CHANGE_PATIENT)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{patient.full_name}'s details saved.")
        return redirect("patient_detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@require_GET
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk)
    sees_clinical = access.sees_clinical(request.user)
    screening = safety.latest_screening(patient.pk) if sees_clinical else None
    today = request.clinic.today()
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "plans": selectors.patient_plans(patient),
            "screening": screening,
            "warnings": selectors.screening_warnings(screening) if screening else [],
            "sees_clinical": sees_clinical,
            "can_plan": request.user.has_perm(access.ADD_PLAN),
            "can_screen": access.may_sign(request.user, access.ADD_SCREENING),
            "consents": _consents(request, patient),
            "can_take_consent": access.may_sign(request.user, access.ADD_CONSENT),
            "reminders": selectors.patient_reminders(patient),
            "today": today,
            "age": patient.age_on(today),
            "nav": "patients",
        },
    )


def _consents(request: HttpRequest, patient) -> dict | None:
    """The patient's signed consents and the versions still to sign, for clinicians."""
    if not request.user.has_perm(access.VIEW_CONSENT):
        return None
    signed = patient.consents.select_related("version__form", "taken_by__user")
    return {"signed": list(signed), "to_sign": safety.versions_to_sign(patient.pk)}


@require_GET
def patient_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The History tab: every change to the patient's record, by whom (clinicians only)."""
    patient = access.patient_for(request.user, pk, access.VIEW_CLINICAL)
    return render(
        request,
        "patients/patient_history.html",
        {
            "patient": patient,
            "entries": history.patient_history(patient),
            "sees_clinical": True,
            "nav": "patients",
        },
    )


@require_GET
def screening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk, access.VIEW_CLINICAL)
    screening = safety.latest_screening(patient.pk)
    if screening is None:
        raise Http404("This patient has not been screened yet.")
    return render(
        request,
        "patients/screening_detail.html",
        {
            "patient": patient,
            "screening": screening,
            "warnings": selectors.screening_warnings(screening),
            "can_screen": access.may_sign(request.user, access.ADD_SCREENING),
            "nav": "patients",
        },
    )


def screening_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician screens the patient; the newest screening is what booking relies on.

    A screening is never edited: a correction (the same day or later) is a new screening,
    which starts from the latest one's answers; the earlier ones stay as they were."""
    patient = access.patient_for(request.user, pk, access.ADD_SCREENING)
    clinician = access.clinician_required(request.user)
    latest = safety.latest_screening(patient.pk)
    form = ScreeningForm(
        request.POST or None,
        instance=Screening(patient=patient, screened_by=clinician),
        initial={**ScreeningForm.answers_of(latest), "screened_on": request.clinic.today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_create(
                patient=patient,
                clinician=clinician,
                screened_on=form.cleaned_data["screened_on"],
                allergic_to=form.cleaned_data["allergic_to"],
                **form.findings(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Screening of {patient.full_name} recorded.")
            return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "patients/screening_form.html",
        {"patient": patient, "form": form, "latest": latest, "nav": "patients"},
    )


def consent_new(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """A clinician takes the patient's consent to one version of a form, shown in full:
    the version they read is the version recorded, even if a newer one is published
    meanwhile."""
    patient = access.patient_for(request.user, pk, access.ADD_CONSENT)
    clinician = access.clinician_required(request.user)
    version = get_object_or_404(ConsentFormVersion.objects.select_related("form"), pk=version_pk)
    form = ConsentSignForm(
        request.POST or None, request.FILES or None, initial={"signed_on": request.clinic.today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.consent_sign(
                    patient=patient,
                    version=version,
                    taken_by=clinician,
                    signed_on=form.cleaned_data["signed_on"],
                    signature=form.cleaned_data["signature"],
                    scan=form.cleaned_data["scan"],
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name}'s consent to {version} recorded.")
            return redirect(f"{reverse('patient_detail', args=[patient.pk])}#consents")
    return render(
        request,
        "patients/consent_form.html",
        {"patient": patient, "version": version, "form": form, "nav": "patients"},
    )


CONSENT_FILES = ("signature", "scan")


@require_GET
def consent_file(request: HttpRequest, pk: int, which: str) -> FileResponse:
    """A consent's drawn signature or scanned form, for clinicians only: the files are
    never served as static files."""
    access.require(request.user, access.VIEW_CONSENT)
    consent = get_object_or_404(SignedConsent, pk=pk)
    stored = getattr(consent, which) if which in CONSENT_FILES else None
    if not stored:
        raise Http404("This consent has no such file.")
    name = f"consent-{consent.pk}-{which}{stored.name[stored.name.rfind('.') :]}"
    return FileResponse(stored.open("rb"), filename=name, as_attachment=which == "scan")
