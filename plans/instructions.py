"""Instructions with real dates: the clinic's rules turned into the patient's own sentences.

Pure: no Django, no ORM, no clock. Frozen dataclasses in and out; the appointment's times
come in, aware, and every date is read on the clinic's clock (`Visit.tz`).

A rule (`Rule`, admin-edited as `clinic.InstructionRule`) says what triggers it (a
screening answer, the patient's sex, every session), whether it holds before or after
the session, and for how long: an offset in days or minutes, possibly a range ("2-3
days"), or the clinic's arrival time for the anaesthetic cream. The rule's text is the
start of the sentence; this module adds the dates:

- before, days: from the day ``session day - offset`` ("Stop aspirin or clopidogrel from
  Tuesday 3 March (3 days before your session)"); a range counts its larger end, so the
  pause is long enough; 0 days is the day itself ("Avoid shaving on Thursday 5 March (the
  day of your session)").
- before, minutes: the instant ``start - offset``, counted in real time, not on the wall
  clock, so a session just after the clocks change is still 40 minutes later.
- arrival: the arrival time the schedule's cards print (`arrival`), the clinic's
  anaesthetic-cream minutes before the start: the one place it is computed, so the card and
  the sentence never disagree.
- after, days: until ``session day + offset`` ("No laser or electrolysis treatment until
  Thursday 12 March (7 days after your session)"), that day included.
- after, minutes: until the instant ``end + offset``.
- no offset: the text alone (the expected effects that carry no date).

Days step through the engine's one calendar helper (`engine.add_interval`). The sentence
is written in the patient's language when the rule has a translation in it and this
module knows how to write dates in it (`PHRASES`: English and French); otherwise the
whole sentence is the rule's own text in English, so words and dates never mix languages.
The year is written only when it is not the session's (a pause starting before New Year).
"""

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from plans import engine


class Trigger(enum.StrEnum):
    """What makes a rule apply. The screening's triggers are its field names."""

    ASPIRIN_OR_CLOPIDOGREL = "takes_aspirin_or_clopidogrel"
    RETINOID_CREAMS = "uses_retinoid_creams"
    ANAESTHETIC_CREAM = "wants_anaesthetic_cream"
    MALE = "male"
    EVERY_SESSION = "every_session"


# The triggers that are answers of the patient's screening (field names of Screening).
SCREENING_TRIGGERS = (
    Trigger.ASPIRIN_OR_CLOPIDOGREL,
    Trigger.RETINOID_CREAMS,
    Trigger.ANAESTHETIC_CREAM,
)
# The triggers that pause a medication or a cream the patient uses: reception calls about
# these ("stop aspirin from tomorrow").
MEDICATION_TRIGGERS = frozenset({Trigger.ASPIRIN_OR_CLOPIDOGREL, Trigger.RETINOID_CREAMS})


class When(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


class OffsetUnit(enum.StrEnum):
    DAY = "day"
    MINUTE = "minute"
    ARRIVAL = "arrival"  # the clinic's anaesthetic-cream minutes, as the cards print them


DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    trigger: str
    when: str
    text: str  # in DEFAULT_LANGUAGE
    unit: str | None = None  # an OffsetUnit, or None for no date
    offset_min: int | None = None
    offset_max: int | None = None
    translations: Mapping[str, str] = field(default_factory=dict)  # language -> text
    forbids: frozenset[int] = frozenset()  # method ids not to book while an after-rule runs
    methods: frozenset[int] = frozenset()  # the sessions' methods it is for; empty: all

    @property
    def offset(self) -> int:
        """The offset counted: a range's larger end ("2-3 days" is 3)."""
        return max(self.offset_min or 0, self.offset_max or 0)


@dataclass(frozen=True, slots=True)
class Visit:
    """An appointment's times, aware, and the clinic's zone."""

    starts: datetime
    ends: datetime
    tz: ZoneInfo
    method_id: int | None = None  # the plan's method


@dataclass(frozen=True, slots=True)
class PatientFacts:
    triggers: frozenset[str]  # the triggers that hold for the patient (EVERY_SESSION always)
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class DatedInstruction:
    """One rule's sentence for one appointment.

    `starts` is a `date` for a rule in days and an aware `datetime` (clinic zone) for one
    in minutes or at arrival (`datetime` is a `date` too: test it first). For a rule
    after the session, `starts` is the session (its day, or its end) and `ends` the last
    day (or instant) it holds; `ends` is None before the session and for no date.
    """

    key: str
    trigger: str
    when: str
    starts: date | datetime
    sentence: str
    language: str
    ends: date | datetime | None = None
    forbids: frozenset[int] = frozenset()

    @property
    def is_medication_pause(self) -> bool:
        return self.when == When.BEFORE and self.trigger in MEDICATION_TRIGGERS


def arrival(starts: datetime, cream_minutes: int) -> datetime:
    """When a patient who wants anaesthetic cream is asked to arrive: `cream_minutes`
    of real time before `starts`, on `starts`' clock."""
    return minutes_from(starts, -cream_minutes)


def minutes_from(moment: datetime, minutes: int, tz: ZoneInfo | None = None) -> datetime:
    """`moment` plus `minutes` of elapsed time, read on `tz` (`moment`'s zone by default).

    Aware arithmetic in one zone is wall-clock arithmetic in Python: 03:10 minus 40
    minutes on the night the clocks go forward would be 02:30, an hour that does not
    exist. Counting in UTC gives 01:30, the real instant.
    """
    zone = tz or moment.tzinfo
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)


@dataclass(frozen=True, slots=True)
class Phrases:
    """How a language writes the dates around a rule's text."""

    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    from_day: str  # "{text} from {date} ({offset})"
    on_day: str
    until_day: str
    at_time: str
    until_time: str
    days_before: str
    day_before: str
    day_of: str
    days_after: str
    day_after: str
    minutes_before: str
    minutes_after: str
    on_date: str  # " on {date}": a time on another day than the session's
    first_of_month: str = "{day}"

    def day(self, value: date, session_year: int) -> str:
        number = self.first_of_month if value.day == 1 else "{day}"
        text = (
            f"{self.weekdays[value.weekday()]} {number.format(day=value.day)} "
            f"{self.months[value.month - 1]}"
        )
        return text if value.year == session_year else f"{text} {value.year}"


def _time_en(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _time_fr(moment: datetime) -> str:
    return f"{moment.hour} h {moment.minute:02d}"


PHRASES = {
    "en": Phrases(
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        from_day="{text} from {date} ({offset})",
        on_day="{text} on {date} ({offset})",
        until_day="{text} until {date} ({offset})",
        at_time="{text} at {time}{on} ({offset})",
        until_time="{text} until about {time}{on} ({offset})",
        days_before="{n} days before your session",
        day_before="the day before your session",
        day_of="the day of your session",
        days_after="{n} days after your session",
        day_after="the day after your session",
        minutes_before="{n} minutes before your session",
        minutes_after="{n} minutes after your session",
        on_date=" on {date}",
    ),
    "fr": Phrases(
        weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        from_day="{text} à partir du {date} ({offset})",
        on_day="{text} le {date} ({offset})",
        until_day="{text} jusqu'au {date} inclus ({offset})",
        at_time="{text} à {time}{on} ({offset})",
        until_time="{text} jusqu'à {time} environ{on} ({offset})",
        days_before="{n} jours avant votre séance",
        day_before="la veille de votre séance",
        day_of="le jour de votre séance",
        days_after="{n} jours après votre séance",
        day_after="le lendemain de votre séance",
        minutes_before="{n} minutes avant votre séance",
        minutes_after="{n} minutes après votre séance",
        on_date=" le {date}",
        first_of_month="{day}er",
    ),
}
_TIMES = {"en": _time_en, "fr": _time_fr}


def applies(rule: Rule, facts: PatientFacts, method_id: int | None = None) -> bool:
    if rule.methods and method_id not in rule.methods:
        return False
    return rule.trigger == Trigger.EVERY_SESSION or rule.trigger in facts.triggers


def language_of(rule: Rule, language: str) -> str:
    """The language the rule's sentence is written in for a patient speaking `language`."""
    if language != DEFAULT_LANGUAGE and language in PHRASES and rule.translations.get(language):
        return language
    return DEFAULT_LANGUAGE


def dated_instructions(
    visit: Visit, facts: PatientFacts, rules: Sequence[Rule], *, cream_minutes: int
) -> list[DatedInstruction]:
    """The sentences of the rules that apply to the patient, for this appointment, in the
    rules' order. `cream_minutes` is the clinic's arrival advance for the cream."""
    return [
        dated(visit, rule, facts.language, cream_minutes=cream_minutes)
        for rule in rules
        if applies(rule, facts, visit.method_id)
    ]


def dated(visit: Visit, rule: Rule, language: str, *, cream_minutes: int) -> DatedInstruction:
    """One rule's sentence for one appointment (whether it applies is not asked)."""
    language = language_of(rule, language)
    words = PHRASES[language]
    text = rule.translations[language] if language != DEFAULT_LANGUAGE else rule.text
    tz = visit.tz
    starts, ends = visit.starts.astimezone(tz), visit.ends.astimezone(tz)
    day, year = starts.date(), starts.year
    n = rule.offset
    ending: date | datetime | None = None
    if rule.unit is None:
        begins: date | datetime = starts if rule.when == When.BEFORE else ends
        sentence = text
    elif rule.unit == OffsetUnit.DAY and rule.when == When.BEFORE:
        begins = engine.add_interval(day, -n, engine.Unit.DAY)
        if n == 0:
            sentence = words.on_day.format(
                text=text, date=words.day(begins, year), offset=words.day_of
            )
        else:
            offset = words.day_before if n == 1 else words.days_before.format(n=n)
            sentence = words.from_day.format(text=text, date=words.day(begins, year), offset=offset)
    elif rule.unit == OffsetUnit.DAY:
        begins, ending = day, engine.add_interval(day, n, engine.Unit.DAY)
        if n == 0:
            offset = words.day_of
        else:
            offset = words.day_after if n == 1 else words.days_after.format(n=n)
        sentence = words.until_day.format(text=text, date=words.day(ending, year), offset=offset)
    elif rule.when == When.BEFORE:  # minutes, or the arrival time
        if rule.unit == OffsetUnit.ARRIVAL:
            n = cream_minutes
            begins = arrival(starts, cream_minutes)
        else:
            begins = minutes_from(starts, -n, tz)
        sentence = words.at_time.format(
            text=text,
            time=_TIMES[language](begins),
            on=_on(words, begins, day, year),
            offset=words.minutes_before.format(n=n),
        )
    else:  # after, in minutes, from the end
        begins, ending = ends, minutes_from(ends, n, tz)
        sentence = words.until_time.format(
            text=text,
            time=_TIMES[language](ending),
            on=_on(words, ending, day, year),
            offset=words.minutes_after.format(n=n),
        )
    return DatedInstruction(
        key=rule.key,
        trigger=rule.trigger,
        when=rule.when,
        starts=begins,
        sentence=sentence,
        language=language,
        ends=ending,
        forbids=rule.forbids if rule.when == When.AFTER else frozenset(),
    )


def _on(words: Phrases, moment: datetime, session_day: date, year: int) -> str:
    # A time is given its day only when that is not the session's own.
    if moment.date() == session_day:
        return ""
    return words.on_date.format(date=words.day(moment.date(), year))


def forbidden_after(
    instructions: Sequence[DatedInstruction], method_id: int, day: date
) -> DatedInstruction | None:
    """The first of `instructions` (another treatment's, after its session) that forbids
    a session of `method_id` on `day`, its last day included; or None."""
    for instruction in instructions:
        if instruction.when != When.AFTER or method_id not in instruction.forbids:
            continue
        first, last = instruction.starts, instruction.ends
        if isinstance(first, datetime):
            first = first.date()
        if isinstance(last, datetime):
            last = last.date()
        if last is not None and first <= day <= last:
            return instruction
    return None
