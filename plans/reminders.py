"""Appointment reminders: when one is due and what it says. Pure: no database, no clock.

A reminder goes `days_before` days before the appointment's day, from `SEND_FROM` on the
clinic's clock (the day steps through the engine, so a reminder two days before a Monday
goes on Saturday, across a month end or a change of the clocks alike). An appointment
that moves gets a new reminder for its new time; one already sent for the old time is
never sent again (`plans.reminding`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from plans import engine, instructions

KIND_BEFORE = "before"  # the reminder N days before the appointment
SEND_FROM = time(9)  # never before this hour of the clinic's day


@dataclass(frozen=True, slots=True)
class Visit:
    """What a reminder tells: the appointment and the clinic, on the clinic's clock."""

    first_name: str
    starts: datetime
    tz: ZoneInfo
    clinician: str
    clinic_name: str
    clinic_phone: str
    arrive: datetime | None  # when the patient who wants the cream comes in
    sentences: Sequence[str]  # the appointment's dated instructions, in order


def due_from(starts: datetime, days_before: int, tz: ZoneInfo) -> datetime:
    """The instant from which the reminder of an appointment at `starts` is due."""
    day = engine.add_interval(starts.astimezone(tz).date(), -days_before, engine.Unit.DAY)
    return datetime.combine(day, SEND_FROM, tzinfo=tz)


def is_due(starts: datetime, days_before: int, tz: ZoneInfo, now: datetime) -> bool:
    """Due from `due_from` until the appointment starts."""
    return due_from(starts, days_before, tz) <= now < starts


def _when(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B} at {moment:%H:%M}"


def subject(visit: Visit) -> str:
    starts = visit.starts.astimezone(visit.tz)
    return f"Your appointment on {starts:%A} {starts.day} {starts:%B}: {visit.clinic_name}"


def body(visit: Visit) -> str:
    """The email's text: the time, the arrival time, the dated instructions, whom to call."""
    starts = visit.starts.astimezone(visit.tz)
    lines = [
        f"Hello {visit.first_name},",
        "",
        f"This is a reminder of your appointment with {visit.clinician} on {_when(starts)}.",
    ]
    if visit.arrive is not None:
        arrive = visit.arrive.astimezone(visit.tz)
        lines.append(f"Please arrive at {arrive:%H:%M} for the anaesthetic cream.")
    if visit.sentences:
        lines += ["", "Before and after your session:"]
        lines += [f"- {sentence}" for sentence in visit.sentences]
    lines += ["", _call(visit), "", visit.clinic_name]
    return "\n".join(lines)


def sms(visit: Visit) -> str:
    """The text message: the time and arrival only (the instructions are in the email)."""
    starts = visit.starts.astimezone(visit.tz)
    text = f"{visit.clinic_name}: appointment {_when(starts)}"
    if visit.arrive is not None:
        text += f", arrive {visit.arrive.astimezone(visit.tz):%H:%M}"
    return f"{text}. {_call(visit)}"


def _call(visit: Visit) -> str:
    if visit.clinic_phone:
        return f"To change it, call {visit.clinic_phone}."
    return "To change it, call the clinic."


def arrival(starts: datetime, wants_cream: bool, cream_minutes: int) -> datetime | None:
    """The arrival time the cards print, for a patient who wants the cream."""
    return instructions.arrival(starts, cream_minutes) if wants_cream else None
