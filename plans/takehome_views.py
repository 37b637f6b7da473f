"""What the patient takes home (the take-home plan, as a page and a PDF; the calendar file
of their appointments) and the clinicians' private calendar feeds.

The take-home plan and the calendar file are every role's that may open the plan or the
patient: they hold the patient's own dates and instructions, nothing of the clinical
record, and reception hands them out at the desk. The feed is read without signing in
(`login_not_required`): its secret address is the only key, so it carries patient names
and times only (`plans.ics`).
"""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from clinic import access, clock
from clinic.models import CalendarFeed, ClinicSettings
from plans import ics, takehome
from plans.models import Appointment


def _sheet(request: HttpRequest, pk: int) -> takehome.TakeHome:
    plan = access.plan_for(request.user, pk)
    return takehome.take_home(plan, clinic=request.clinic, now=clock.now())


def _filename(sheet: takehome.TakeHome, extension: str) -> str:
    name = slugify(f"{sheet.patient.last_name} {sheet.patient.first_name}") or "patient"
    return f"take-home-plan-{name}.{extension}"


@require_GET
def plan_take_home(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    return render(request, takehome.TEMPLATE, {"sheet": sheet})


@require_GET
def plan_take_home_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    response = HttpResponse(takehome.render_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(sheet, "pdf")}"'
    return response


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def patient_appointments_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """Every appointment of the patient, cancelled and missed ones included (as
    CANCELLED), so a calendar that imported one removes it."""
    patient = access.patient_for(request.user, pk)
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("session", "clinician__user")
        .order_by("starts_at")
    )
    body = ics.patient_calendar(appointments, clinic=request.clinic, host=ics.host_of(request))
    name = slugify(f"{patient.last_name} {patient.first_name}") or "patient"
    return _ics_response(body, f"appointments-{name}.ics")


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, clinician_id: int, token: str) -> HttpResponse:
    """A clinician's next six months, for their calendar app. A wrong or revoked address
    is not found, as one that never existed."""
    feed = (
        CalendarFeed.objects.select_related("clinician__user")
        .filter(clinician_id=clinician_id, clinician__is_active=True)
        .first()
    )
    if feed is None or not feed.matches(token):
        raise Http404
    clinic = ClinicSettings.load()
    starts, ends = ics.feed_window(clock.now(), clinic.tz)
    appointments = list(
        Appointment.objects.filter(
            clinician_id=clinician_id, starts_at__gte=starts, starts_at__lt=ends
        )
        .exclude(status=Appointment.Status.NO_SHOW)
        .select_related("patient")
        .order_by("starts_at")
    )
    body = ics.clinician_feed(
        appointments, clinic=clinic, host=ics.host_of(request), clinician=feed.clinician
    )
    response = _ics_response(body, "appointments.ics")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
