"""The take-home plan: what a patient takes home of their plan, as a page and a PDF.

The clinic's name and contact, the plan's coming appointments with their dates, times and
arrival times, and what to expect after a session and when to call the clinic. It holds
the patient's own instructions and nothing of the clinical record (no screening answers,
notes, products or batches): reception prints it at the desk as clinicians do.

The PDF is WeasyPrint's rendering of the page's own template, with the print stylesheet
and no other resource: its URL fetcher refuses every address, so a name typed into a
record can never make the server fetch anything.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from clinic.models import ClinicSettings
from patients.models import Patient, Screening
from plans.models import Appointment, TreatmentPlan

TEMPLATE = "plans/take_home.html"
STYLESHEET = "clinic/take-home.css"


@dataclass(frozen=True, slots=True)
class Visit:
    """One coming appointment, on the clinic's clock."""

    appointment: Appointment
    starts: datetime
    ends: datetime
    arrive: datetime | None  # earlier than `starts` when the patient wants anaesthetic cream
    before: tuple = ()  # the dated instructions before the session (`DatedInstruction`)
    after: tuple = ()  # and after it


@dataclass(frozen=True, slots=True)
class TakeHome:
    clinic: ClinicSettings
    plan: TreatmentPlan
    patient: Patient
    visits: list[Visit]
    printed_on: datetime
    expected: tuple[str, ...] = ()  # what to expect after any session: the undated sentences


def arrival(starts: datetime, cream_minutes: int) -> datetime:
    """When a patient who wants anaesthetic cream is asked to arrive: what the schedule's
    cards print (`plans.cards.to_card`)."""
    return starts - timedelta(minutes=cream_minutes)


def wants_cream(patient: Patient) -> bool:
    """The anaesthetic-cream wish of the patient's latest screening, as the schedule's
    cards read it (one query)."""
    latest = (
        Screening.objects.filter(patient=patient)
        .order_by("-screened_on", "-id")
        .values_list("wants_anaesthetic_cream", flat=True)
        .first()
    )
    return bool(latest)


def coming_appointments(plan: TreatmentPlan, since: datetime) -> list[Appointment]:
    """The plan's booked appointments from `since` on, in order (one query)."""
    return list(
        Appointment.objects.filter(
            session__plan=plan, status__in=Appointment.LIVE, ends_at__gte=since
        )
        .select_related("session", "clinician__user")
        .order_by("starts_at")
    )


def take_home(plan: TreatmentPlan, *, clinic: ClinicSettings, now: datetime) -> TakeHome:
    """The take-home plan of `plan` (with its patient) as of `now`: the appointments from
    the start of the clinic's day on. Three queries."""
    tz = clinic.tz
    today = now.astimezone(tz).date()
    since = datetime.combine(today, time.min, tzinfo=tz)
    cream = wants_cream(plan.patient)
    visits = []
    for appointment in coming_appointments(plan, since):
        starts = appointment.starts_at.astimezone(tz)
        arrive = arrival(starts, clinic.anaesthetic_cream_minutes) if cream else None
        visits.append(Visit(appointment, starts, appointment.ends_at.astimezone(tz), arrive))
    return TakeHome(clinic, plan, plan.patient, visits, now.astimezone(tz))


PDF_TEMPLATE = "plans/take_home_pdf.html"


def render_pdf(sheet: TakeHome) -> bytes:
    """The take-home plan as a PDF: the page's template, printed with its stylesheet."""
    # Imported here: WeasyPrint loads Pango when imported, which only this needs.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    no_fetching = URLFetcher(allowed_protocols=set())
    css = CSS(string=Path(finders.find(STYLESHEET)).read_text(), url_fetcher=no_fetching)
    html = HTML(string=render_to_string(PDF_TEMPLATE, {"sheet": sheet}), url_fetcher=no_fetching)
    return html.write_pdf(stylesheets=[css])
