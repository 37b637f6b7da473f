"""Calendar files (iCalendar, RFC 5545) of appointments, written with the `icalendar`
library: the patient's file (`patient_calendar`) and a clinician's private feed
(`clinician_feed`).

- Each appointment keeps one UID for life (`appointment-<pk>@<host>`), so importing the
  file again, or the feed's next read, updates the event instead of adding a second one;
  its SEQUENCE counts its versions in the audit trail and DTSTAMP is its last change.
- A cancelled appointment (or a missed one) is sent as STATUS:CANCELLED, so a calendar that
  had it removes or strikes it.
- Times carry the clinic's zone (TZID) with its VTIMEZONE, covering the appointments'
  dates: a session on either side of a change of the clocks stays at its wall-clock time.

The feed is read without signing in (calendar apps cannot), so it carries the patient's
name and the time and nothing medical: no protocol, area, product or note.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count
from icalendar import Calendar, Event

from plans import engine
from plans.models import Appointment

PRODID = "-//Clinic treatment-plan scheduler//EN"


def _status(appointment: Appointment) -> str:
    if appointment.status in Appointment.MISSED:
        return "CANCELLED"
    return "CONFIRMED"


def uid(appointment_pk: int, host: str) -> str:
    return f"appointment-{appointment_pk}@{host}"


def versions(appointments: Sequence[Appointment]) -> dict[int, int]:
    """How many times each appointment was written (its audit trail's rows): one query."""
    rows = (
        Appointment.trail.filter(id__in=[a.pk for a in appointments])
        .values("id")
        .annotate(n=Count("history_id"))
        .values_list("id", "n")
    )
    return dict(rows)


def calendar(
    appointments: Sequence[Appointment],
    *,
    tz: ZoneInfo,
    host: str,
    name: str,
    summary,
    description=None,
    location: str = "",
) -> bytes:
    """An iCalendar file of `appointments`, each titled `summary(appointment)`."""
    cal = Calendar.new(prodid=PRODID, name=name, uid=f"{name}@{host}")
    seq = versions(appointments)
    days: list[date] = []
    for appointment in appointments:
        starts, ends = appointment.starts_at.astimezone(tz), appointment.ends_at.astimezone(tz)
        days += [starts.date(), ends.date()]
        changed = (appointment.changed_at or appointment.created_at).astimezone(UTC)
        cal.add_component(
            Event.new(
                uid=uid(appointment.pk, host),
                summary=summary(appointment),
                description=description(appointment) if description else None,
                location=location or None,
                start=starts,
                end=ends,
                stamp=changed,
                last_modified=changed,
                sequence=max(seq.get(appointment.pk, 1) - 1, 0),
                status=_status(appointment),
            )
        )
    if days:
        # The zone's rules over the appointments' dates, with a margin either side.
        cal.add_missing_timezones(
            first_date=min(days) - timedelta(days=366), last_date=max(days) + timedelta(days=366)
        )
    return cal.to_ical()


def host_of(request) -> str:
    return request.get_host().split(":")[0] or "clinic"


def patient_calendar(appointments, *, clinic, host: str) -> bytes:
    """The patient's appointments, as the take-home plan lists them: the clinic, the
    clinician and the arrival time are in the description."""

    def summary(appointment: Appointment) -> str:
        return f"{clinic.name}: session {appointment.session.number}"

    def description(appointment: Appointment) -> str:
        return f"With {appointment.clinician}." + (
            f" Call us: {clinic.phone}." if clinic.phone else ""
        )

    return calendar(
        appointments,
        tz=clinic.tz,
        host=host,
        name=f"{clinic.name}: your appointments",
        summary=summary,
        description=description,
        location=" ".join(clinic.address.split()),
    )


def clinician_feed(appointments, *, clinic, host: str, clinician) -> bytes:
    """A clinician's feed: each appointment titled with the patient's name, nothing else."""

    def summary(appointment: Appointment) -> str:
        return str(appointment.patient)

    return calendar(
        appointments,
        tz=clinic.tz,
        host=host,
        name=f"{clinic.name}: {clinician}",
        summary=summary,
    )


FEED_MONTHS = 6


def feed_window(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """What a clinician's feed covers: from the start of today to the end of the same day
    six months ahead, on the clinic's clock."""
    today = now.astimezone(tz).date()
    last = engine.add_interval(today, FEED_MONTHS, engine.Unit.MONTH)
    return (
        datetime.combine(today, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )
