"""Reception's call list: whom to call or message on a day, and what to say. Pure: no
database, no clock; times come in aware and are read on the clinic's clock.

Four reasons put a patient on the day's list, each a sentence reception can say:

- a medication pause starting, from the day before it starts to the day it does: the
  patient's own dated instruction ("From tomorrow: stop aspirin or clopidogrel from
  Friday 26 February (3 days before your session)."), never the screening behind it;
- tomorrow's appointment to confirm, with its time and arrival time;
- a consent to sign before an appointment of the next `CONSENT_DAYS` days;
- an appointment a closure or a time off left to rebook.

Each reason has a key naming what it is about (the appointment and its time, the consent
and its version): a tick with a settling outcome (reached, message left, rebooked) ends
it for good, so a consent is asked for once, not every day of the week, and an
appointment moved to another time is a new reason. "No answer" leaves it on the list, to
try again. One line per patient, their reasons in the order above; lines still to call
first, then the ones done today.
"""

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from plans import engine

CONSENT_DAYS = 7  # a consent missing for an appointment this many days ahead is asked for


class Kind(enum.StrEnum):
    PAUSE = "pause"
    CONFIRM = "confirm"
    CONSENT = "consent"
    REBOOK = "rebook"


ORDER = tuple(Kind)


class Outcome(enum.StrEnum):
    REACHED = "reached"
    MESSAGE_LEFT = "message_left"
    NO_ANSWER = "no_answer"
    REBOOKED = "rebooked"


SETTLING = frozenset({Outcome.REACHED, Outcome.MESSAGE_LEFT, Outcome.REBOOKED})
LABELS = {
    Outcome.REACHED: "Reached",
    Outcome.MESSAGE_LEFT: "Message left",
    Outcome.NO_ANSWER: "No answer",
    Outcome.REBOOKED: "Rebooked",
}


@dataclass(frozen=True, slots=True)
class Appointment:
    """An appointment as the list tells it."""

    pk: int
    patient_id: int
    starts: datetime
    clinician: str
    arrive: datetime | None = None  # when a patient who wants the cream comes in


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # a Kind
    key: str
    sentence: str
    patient_id: int
    appointment_id: int | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """A recorded outcome of one reason's call."""

    key: str
    outcome: str  # an Outcome
    day: date  # the list's day it was ticked on
    at: datetime
    by: str

    @property
    def label(self) -> str:
        return LABELS[Outcome(self.outcome)]


@dataclass(frozen=True, slots=True)
class Person:
    patient_id: int
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Line:
    person: Person
    reasons: tuple[Reason, ...]
    ticks: tuple[Tick, ...]  # this line's ticks up to the day, newest first
    done: bool  # every reason settled on the day

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(reason.key for reason in self.reasons)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(reason.kind for reason in self.reasons)


def _when(moment: datetime, tz: ZoneInfo) -> str:
    moment = moment.astimezone(tz)
    return f"{moment:%A} {moment.day} {moment:%B} at {moment:%H:%M}"


def _from(start: date, day: date) -> str | None:
    if start == day:
        return "From today"
    if start == engine.add_interval(day, 1, engine.Unit.DAY):
        return "From tomorrow"
    return None


def pause(appointment: Appointment, key: str, starts: date, sentence: str, day: date):
    """The reason to call about a pause of medication starting on `starts`, or None when
    `day` is not the day before it nor the day itself."""
    lead = _from(starts, day)
    if lead is None:
        return None
    said = sentence[:1].lower() + sentence[1:].rstrip(".") + "."
    return Reason(
        Kind.PAUSE,
        f"pause:{appointment.pk}:{key}:{starts.isoformat()}",
        f"{lead}: {said}",
        appointment.patient_id,
        appointment.pk,
    )


def confirm(appointment: Appointment, tz: ZoneInfo) -> Reason:
    arrive = ""
    if appointment.arrive is not None:
        arrive = f", to arrive at {appointment.arrive.astimezone(tz):%H:%M}"
    return Reason(
        Kind.CONFIRM,
        f"confirm:{appointment.pk}:{appointment.starts.isoformat()}",
        f"Confirm tomorrow's appointment, {_when(appointment.starts, tz)} with "
        f"{appointment.clinician}{arrive}.",
        appointment.patient_id,
        appointment.pk,
    )


def consent(appointment: Appointment, due: str, tz: ZoneInfo) -> Reason:
    """`due` is what the patient must sign (`plans.safety.CONSENT_DUE`)."""
    return Reason(
        Kind.CONSENT,
        f"consent:{appointment.patient_id}:{due}",
        f"{due.rstrip('.')} before the appointment on {_when(appointment.starts, tz)}: "
        "ask them to arrive 10 minutes early to read and sign it.",
        appointment.patient_id,
        appointment.pk,
    )


def rebook(appointment: Appointment, tz: ZoneInfo) -> Reason:
    return Reason(
        Kind.REBOOK,
        f"rebook:{appointment.pk}:{appointment.starts.isoformat()}",
        f"The appointment on {_when(appointment.starts, tz)} with {appointment.clinician} "
        "cannot stay: offer a new time.",
        appointment.patient_id,
        appointment.pk,
    )


def lines(
    people: Mapping[int, Person],
    reasons: Iterable[Reason | None],
    ticks: Sequence[Tick],
    day: date,
) -> list[Line]:
    """The day's lines: each patient's reasons not settled before `day` (None: no
    reason), with the ticks of `day` and before, a tick of a line told once."""
    by_key: dict[str, list[Tick]] = {}
    for tick in sorted(ticks, key=lambda t: t.at, reverse=True):
        if tick.day <= day:
            by_key.setdefault(tick.key, []).append(tick)

    def settled(key: str, *, before: bool) -> bool:
        return any(
            t.outcome in SETTLING and (t.day < day if before else t.day <= day)
            for t in by_key.get(key, ())
        )

    grouped: dict[int, dict[str, Reason]] = {}
    for reason in reasons:
        if reason is not None and not settled(reason.key, before=True):
            grouped.setdefault(reason.patient_id, {}).setdefault(reason.key, reason)
    found = []
    for patient_id, keyed in grouped.items():
        ordered = tuple(sorted(keyed.values(), key=lambda r: ORDER.index(Kind(r.kind))))
        told: dict[tuple, Tick] = {}
        for tick in (t for r in ordered for t in by_key.get(r.key, ())):
            told.setdefault((tick.at, tick.outcome, tick.by), tick)
        line_ticks = sorted(told.values(), key=lambda t: t.at, reverse=True)
        done = all(settled(r.key, before=False) for r in ordered)
        found.append(Line(people[patient_id], ordered, tuple(line_ticks), done))
    return sorted(
        found,
        key=lambda line: (line.done, ORDER.index(Kind(line.reasons[0].kind)), line.person.name),
    )
