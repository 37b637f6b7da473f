"""The plan engine: protocol text <-> phases, phases -> dated session windows, re-planning.

Pure: no Django, no clock ("today" is always an argument). Frozen dataclasses in and out.

Protocol text
=============
Phases are joined by ``then`` (``, then``, ``; then`` or `` then``); case does not matter.
A phase is an interval, an optional tolerance and an optional span, in any order, optionally
separated by commas, with an optional leading word ``maintenance``:

- interval: ``every N unit``, ``every N-M unit`` (or an en dash, or ``N to M``),
  ``every unit`` (N = 1); unit is day, week, month or year, singular or plural. Words: ``daily``,
  ``weekly``, ``fortnightly`` (2 weeks), ``monthly``, ``yearly``/``annually``,
  ``twice a year`` (6 months), ``once or twice a year`` (6-12 months).
- tolerance: ``±N days`` or ``+/-N days``, ``±0 days`` included (default: the clinic's, see
  Windows). `Phase.tolerance_days` is None when no tolerance is written.
- span: ``for N unit`` / ``for N-M unit`` (a duration), or ``N times``, ``N sessions``,
  ``N treatments`` (a count, also ``N-M``; ``for 6 sessions`` is a count too). No span
  means open-ended, which only the last phase may be.

Each phase must also pass `phase_problems` (every number at most `MAX_NUMBER`, intervals
and spans at least 1, ranges not reversed, a tolerance shorter than the interval so no
session can fall on the day of the one before, a unit for a duration only); those errors
give the phase and position too.

`render_protocol` writes one canonical text (interval, tolerance, then span:
``every 2 weeks ±2 days, 6 sessions``; no tolerance when none is written, ``±0 days`` when
0 is); parsing it gives the same phases back. A text that does not parse raises
`ProtocolError` saying what was expected at which position; numbers are ASCII digits, at
most `MAX_NUMBER_DIGITS` of them.

Expansion
=========
Calendar dates; a month or year step is ``relativedelta``'s (31 Jan + 1 month = 28 Feb).
Within a phase the k-th session (k = 0, 1, ...) is due at ``anchor + k * interval_min``,
always counted from the anchor, never chained (monthly from 31 Jan: 31 Jan, 28 Feb, 31 Mar).

- The first phase's anchor is the plan's start; a later phase's anchor is the previous
  phase's last due date (optional sessions included) plus this phase's interval_min.
- Count ``N-M``: M sessions, those after the N-th optional.
- Duration ``for D1-D2 unit``: the sessions due before ``anchor + D2``; those due on or
  after ``anchor + D1`` are optional.
- Open-ended last phase: the sessions due on or before ``start + horizon`` (24 months).
- Windows: ``earliest = due - tolerance``; ``latest`` is where the session would be due had
  the interval before it been interval_max, plus the tolerance: for k >= 1,
  ``anchor + ((k-1) * interval_min + interval_max) + tolerance``; for the first session of
  a later phase, ``previous phase's last due + interval_max + tolerance``. The plan's first
  session: ``earliest = due = start``, ``latest = start + tolerance``.
- Windows' tolerance, when the phase has none written: a fixed interval (interval_min ==
  interval_max) gets the clinic's default, `default_tolerance_days`: ``percent`` (the
  clinic's ``default_tolerance_percent``, 15 unless changed) of the interval counted in days
  (a week is 7 days, a month 30.44, a year 365.25), rounded half up (1.5 days is 2), at
  least 1 day and at most 14; a percent of 0 gives 0. It also stays under the fewest days
  the interval can span (``every 2 days``: 1, ``daily``: 0), so a default never breaks the
  rule that a tolerance is shorter than the interval. So ``every 2 weeks`` is ±2 days,
  ``monthly`` ±5, ``every 3 months`` and longer ±14. A tolerance written in the text,
  ``±0 days`` included, wins. An interval range (``every 3-6 months``) is already a window
  and gets 0. The engine knows no clinic: callers resolve the defaults first with
  `with_default_tolerance`; every other function here counts a tolerance not written as 0.
- More than MAX_SESSIONS sessions: `ProtocolTooLong`.

Re-planning
===========
`replan` takes what happened to sessions 1..n, in order, and returns the windows of the
sessions still to come, numbered n+1, n+2, ... Intervals count from the last session
actually done. Each outcome applies to the session the plan had in that place once the
outcomes before it were taken into account:

- Held on its due date: nothing moves (the plan is exactly the expansion).
- Held on another date (earlier or later): it counts as a treatment of its phase and the
  phase is re-anchored on the day it was held: the next session of the phase is due one
  interval_min after it, the one after two, ... with windows counted from there as above.
  A count span goes on counting treatments; a duration span's two ends move by the same
  number of days as the session did; the open-ended horizon stays ``start + horizon``. The
  next phase's anchor is the day its previous phase's last session was held plus its
  interval_min.
- Skipped (cancelled or no-show), not optional: not a treatment, so nothing is counted and
  intervals still count from the last session held: the same session is offered again
  with the same due date and window (the engine has no clock; booking it from today is the
  caller's business). With no session held yet this is the plan's first session again,
  due on the start date.
- Skipped and optional: optional sessions are "if needed", so the phase ends there; the
  next phase is anchored on the last session held, as if this phase had ended with it.

Replanning with no outcomes, or with every session held on its due date, gives the same
windows as `expand`. Outcomes out of order, past the end of the plan, or a session held
before the one held before it raise ValueError; more than MAX_SESSIONS sessions still to
come raise `ProtocolTooLong`.
"""

import calendar
import enum
import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import MAXYEAR, MINYEAR, date, timedelta
from fractions import Fraction
from typing import NamedTuple


class Unit(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class SpanKind(enum.StrEnum):
    COUNT = "count"
    DURATION = "duration"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Phase:
    interval_min: int
    interval_max: int
    interval_unit: Unit
    tolerance_days: int | None = None  # None: not written (see `with_default_tolerance`)
    span_kind: SpanKind = SpanKind.OPEN
    span_min: int | None = None  # COUNT: sessions; DURATION: amount of span_unit; OPEN: None
    span_max: int | None = None
    span_unit: Unit | None = None  # DURATION only
    maintenance: bool = False


@dataclass(frozen=True, slots=True)
class SessionWindow:
    number: int  # 1-based position in the plan
    phase: int  # 1-based phase number
    due: date
    earliest: date
    latest: date
    optional: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a session of the plan."""

    number: int
    held_on: date | None  # None = skipped (cancelled or no-show)


class ProtocolError(ValueError):
    """A protocol that cannot be read or planned; `message` is one line for the user."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


class ProtocolTooLong(ProtocolError):
    pass


MAX_SESSIONS = 500
# The numbers of a protocol text: no interval, span or tolerance needs more, and a phase
# stores each in a small integer.
MAX_NUMBER_DIGITS = 4
MAX_NUMBER = 10**MAX_NUMBER_DIGITS - 1
DEFAULT_HORIZON_MONTHS = 24
DEFAULT_TOLERANCE_MIN_DAYS = 1
DEFAULT_TOLERANCE_MAX_DAYS = 14

NO_PHASES = "A protocol needs at least one phase."
NUMBER_TOO_LARGE = f"Use a number up to {MAX_NUMBER}."
INTERVAL_TOO_SHORT = "Sessions are at least one day apart: the interval starts at 1."
INTERVAL_RANGE_REVERSED = "The longest interval cannot be shorter than the shortest."
INTERVAL_UNIT_UNKNOWN = "The interval is counted in days, weeks, months or years."
TOLERANCE_NEGATIVE = "The tolerance cannot be negative."
TOLERANCE_TOO_WIDE = (
    "The tolerance must be shorter than the interval, or a session could fall on the day of "
    "the one before."
)
TOLERANCE_PERCENT_NEGATIVE = "The default tolerance cannot be a negative percent ({percent})."
SPAN_KIND_UNKNOWN = "A phase lasts a number of sessions, a duration, or is open-ended."
SPAN_MISSING = "Say how long this phase lasts: how many sessions, or for how long."
SPAN_TOO_SHORT = "A phase has at least one session, or lasts at least one day."
SPAN_RANGE_REVERSED = "The longest span cannot be shorter than the shortest."
SPAN_UNIT_MISSING = "Say what the duration is counted in: days, weeks, months or years."
SPAN_UNIT_NOT_FOR_COUNT = "Only a duration has a unit; a number of sessions has none."
OPEN_PHASE_HAS_SPAN = "An open-ended phase has no span."
OPEN_PHASE_NOT_LAST = (
    "Only the last phase can be open-ended; give this phase a number of sessions or a duration."
)
TOO_MANY_SESSIONS = (
    f"This protocol plans more than {MAX_SESSIONS} sessions; "
    "shorten a span or lengthen an interval."
)
PAST_THE_CALENDAR = "This protocol plans sessions outside the calendar (years 1 to 9999)."
OUTCOMES_OUT_OF_ORDER = "Outcomes must be for sessions 1, 2, 3, ... in order; got session {got}."
OUTCOME_PAST_THE_PLAN = "Session {number} is past the end of the plan."
HELD_BEFORE_PREVIOUS = "Session {number} cannot be done before the session before it ({day})."


# Calendar arithmetic
# ===================

_LAST_ORDINAL = date.max.toordinal()
_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_interval(day: date, amount: int, unit: Unit) -> date:
    """`day` plus `amount` units: the one place that does calendar arithmetic.

    Months and years step as dateutil's ``relativedelta`` does: move the month, keep the
    day, clamp it to the length of a shorter month (31 Jan + 1 month = 28 Feb; 29 Feb +
    1 year = 28 Feb). It is written out because relativedelta costs some 15 microseconds a
    step, most of an expansion; the tests hold the two equal. Raises OverflowError outside
    years 1 to 9999.
    """
    # Day steps go through ordinals: building a timedelta costs more than the whole step.
    if unit == Unit.MONTH:
        months = amount
    elif unit == Unit.WEEK:
        return _from_ordinal(day.toordinal() + 7 * amount)
    elif unit == Unit.DAY:
        return _from_ordinal(day.toordinal() + amount)
    elif unit == Unit.YEAR:
        months = amount * 12
    else:
        raise ValueError(f"unknown unit {unit!r}")
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    if day.day <= 28:
        return date(year, month, day.day)
    length = 29 if month == 2 and calendar.isleap(year) else _MONTH_LENGTHS[month - 1]
    return date(year, month, min(day.day, length))


def _from_ordinal(ordinal: int) -> date:
    if not 1 <= ordinal <= _LAST_ORDINAL:
        raise OverflowError(f"day {ordinal} is out of range")
    return date.fromordinal(ordinal)


def _tolerance(phase: Phase) -> int:
    """The phase's tolerance in days, one not written counting as 0."""
    return phase.tolerance_days or 0


def earliest_after(phase: Phase, previous: date) -> date:
    """The first day a session of `phase` may be booked after one held on `previous`."""
    return add_interval(previous, phase.interval_min, phase.interval_unit) - timedelta(
        days=_tolerance(phase)
    )


def latest_before(phase: Phase, following: date) -> date:
    """The last day a session may be booked before a session of `phase` on `following`.

    The mirror of `earliest_after`: any day up to it keeps `earliest_after(phase, day)`
    on or before `following` (month steps only shorten when they clamp a month end).
    """
    return add_interval(following, -phase.interval_min, phase.interval_unit) + timedelta(
        days=_tolerance(phase)
    )


# Rules of a phase
# ================

# The fewest days `n` units can span, so the tolerance can be held below the interval.
_FEWEST_DAYS = {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 28, Unit.YEAR: 365}


def phase_problems(phase: Phase, *, is_last: bool) -> list[tuple[str, str]]:
    """What is wrong with one phase, as (field name, message) pairs; empty if nothing."""
    problems = [
        (name, NUMBER_TOO_LARGE)
        for name in ("interval_min", "interval_max", "tolerance_days", "span_min", "span_max")
        if (getattr(phase, name) or 0) > MAX_NUMBER
    ]
    if phase.interval_min < 1:
        problems.append(("interval_min", INTERVAL_TOO_SHORT))
    if phase.interval_max < phase.interval_min:
        problems.append(("interval_max", INTERVAL_RANGE_REVERSED))
    if phase.interval_unit not in _FEWEST_DAYS:
        problems.append(("interval_unit", INTERVAL_UNIT_UNKNOWN))
    tolerance = _tolerance(phase)
    if tolerance < 0:
        problems.append(("tolerance_days", TOLERANCE_NEGATIVE))
    elif (
        phase.interval_unit in _FEWEST_DAYS
        and phase.interval_min >= 1
        and tolerance >= phase.interval_min * _FEWEST_DAYS[phase.interval_unit]
    ):
        problems.append(("tolerance_days", TOLERANCE_TOO_WIDE))
    match phase.span_kind:
        case SpanKind.OPEN:
            if phase.span_min is not None or phase.span_max is not None:
                problems.append(("span_min", OPEN_PHASE_HAS_SPAN))
            if phase.span_unit is not None:
                problems.append(("span_unit", OPEN_PHASE_HAS_SPAN))
            if not is_last:
                problems.append(("span_kind", OPEN_PHASE_NOT_LAST))
        case SpanKind.COUNT | SpanKind.DURATION:
            problems += _span_problems(phase)
        case _:
            problems.append(("span_kind", SPAN_KIND_UNKNOWN))
    return problems


def _span_problems(phase: Phase) -> list[tuple[str, str]]:
    problems = []
    if phase.span_min is None or phase.span_max is None:
        field = "span_min" if phase.span_min is None else "span_max"
        problems.append((field, SPAN_MISSING))
    elif phase.span_min < 1:
        problems.append(("span_min", SPAN_TOO_SHORT))
    elif phase.span_max < phase.span_min:
        problems.append(("span_max", SPAN_RANGE_REVERSED))
    if phase.span_kind == SpanKind.DURATION and phase.span_unit is None:
        problems.append(("span_unit", SPAN_UNIT_MISSING))
    elif phase.span_kind == SpanKind.DURATION and phase.span_unit not in _FEWEST_DAYS:
        problems.append(("span_unit", INTERVAL_UNIT_UNKNOWN))
    elif phase.span_kind == SpanKind.COUNT and phase.span_unit is not None:
        problems.append(("span_unit", SPAN_UNIT_NOT_FOR_COUNT))
    return problems


# How many days a unit counts for a default tolerance: the average month and year.
_AVERAGE_DAYS = {
    Unit.DAY: Fraction(1),
    Unit.WEEK: Fraction(7),
    Unit.MONTH: Fraction("30.44"),
    Unit.YEAR: Fraction("365.25"),
}


def _check_percent(percent: int) -> None:
    if percent < 0:
        raise ValueError(TOLERANCE_PERCENT_NEGATIVE.format(percent=percent))


def default_tolerance_days(phase: Phase, percent: int) -> int:
    """The tolerance `phase` gets when it has none written (whatever it has written).

    `percent` of a fixed interval in days, rounded half up, from 1 to 14 days and less
    than the fewest days the interval spans, so it never trips TOLERANCE_TOO_WIDE (0 for
    ``daily``); 0 for an interval range, a percent of 0, or an invalid interval (left to
    `phase_problems`). Raises ValueError for a negative percent.
    """
    _check_percent(percent)
    unit = phase.interval_unit
    if phase.interval_min != phase.interval_max or not percent or unit not in _AVERAGE_DAYS:
        return 0
    # Exact fractions: 10 days at 15 % must be exactly 1.5 to round up to 2.
    days = math.floor(phase.interval_min * _AVERAGE_DAYS[unit] * percent / 100 + Fraction(1, 2))
    days = min(max(days, DEFAULT_TOLERANCE_MIN_DAYS), DEFAULT_TOLERANCE_MAX_DAYS)
    return max(min(days, phase.interval_min * _FEWEST_DAYS[unit] - 1), 0)


def with_default_tolerance(phases: Sequence[Phase], percent: int) -> tuple[Phase, ...]:
    """`phases` with every tolerance not written replaced by its default; see the module.

    A written tolerance is kept. Raises ValueError for a negative percent.
    """
    _check_percent(percent)
    return tuple(
        phase
        if phase.tolerance_days is not None
        else replace(phase, tolerance_days=default_tolerance_days(phase, percent))
        for phase in phases
    )


def check_protocol(phases: Sequence[Phase]) -> None:
    """Raise `ProtocolError` for an empty protocol or the first problem of a phase."""
    if not phases:
        raise ProtocolError(NO_PHASES)
    for number, phase in enumerate(phases, start=1):
        problems = phase_problems(phase, is_last=number == len(phases))
        if problems:
            raise ProtocolError(f"Phase {number}: {problems[0][1]}")


# Reading protocol text
# =====================

_UNITS = {"day": Unit.DAY, "week": Unit.WEEK, "month": Unit.MONTH, "year": Unit.YEAR}
_UNITS |= {word + "s": unit for word, unit in _UNITS.items()}
_COUNT_WORDS = {"session", "sessions", "treatment", "treatments", "time", "times"}
_INTERVAL_WORDS = {
    "daily": (1, 1, Unit.DAY),
    "weekly": (1, 1, Unit.WEEK),
    "fortnightly": (2, 2, Unit.WEEK),
    "monthly": (1, 1, Unit.MONTH),
    "yearly": (1, 1, Unit.YEAR),
    "annually": (1, 1, Unit.YEAR),
}

_EXPECT_UNIT = "a unit (day, week, month, year)"
_EXPECT_NUMBER = "a number"
_EXPECT_SMALL_NUMBER = f"a number of at most {MAX_NUMBER_DIGITS} digits"
_EXPECT_PART = (
    "an interval ('every 2 weeks', 'monthly'), a tolerance ('±2 days') "
    "or a span ('for 3 months', '6 sessions')"
)
_EXPECT_INTERVAL = "an interval for this phase ('every 2 weeks', 'monthly', 'twice a year')"
_EXPECT_NEXT = "', then' and another phase, or the end of the protocol"

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[0-9]+)|(?P<word>[^\W\d_]+)|(?P<dash>[-\u2013\u2014])|(?P<plusminus>±|\+/-)"
    r"|(?P<comma>,)|(?P<semicolon>;)|(?P<other>\S))"
)


class _Token(NamedTuple):
    kind: str  # number, word, dash, plusminus, comma, semicolon, other, end
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        tokens.append(_Token(kind, match[kind].lower(), match.start(kind)))
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """A recursive-descent reader over tokens; every failure names what it expected where."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def is_word(self, *words: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "word" and token.text in words

    def fail(self, expected: str) -> ProtocolError:
        token = self.peek()
        text = token.text if len(token.text) <= 20 else token.text[:12] + "…"
        found = "the protocol ends there" if token.kind == "end" else f"found '{text}'"
        return ProtocolError(
            f"expected {expected} at position {token.position}, {found}", token.position
        )

    def expect_word(self, words: set[str] | dict, expected: str) -> str:
        if self.peek().kind != "word" or self.peek().text not in words:
            raise self.fail(expected)
        return self.take().text

    def number(self) -> int:
        if self.peek().kind != "number":
            raise self.fail(_EXPECT_NUMBER)
        if len(self.peek().text.lstrip("0")) > MAX_NUMBER_DIGITS:
            raise self.fail(_EXPECT_SMALL_NUMBER)
        return int(self.take().text)

    def range(self) -> tuple[int, int]:
        low = self.number()
        if self.peek().kind == "dash" or self.is_word("to"):
            self.take()
            return low, self.number()
        return low, low

    def protocol(self) -> tuple[Phase, ...]:
        phases, positions = [], []
        while True:
            positions.append(self.peek().position)
            phases.append(self.phase())
            if self.peek().kind in ("comma", "semicolon") and self.is_word("then", ahead=1):
                self.take()
            if not self.is_word("then"):
                break
            self.take()
        if self.peek().kind != "end":
            raise self.fail(_EXPECT_NEXT)
        for number, (phase, fields) in enumerate(phases, start=1):
            problems = phase_problems(phase, is_last=number == len(phases))
            if problems:
                field, message = problems[0]
                position = fields.get(field, positions[number - 1])
                raise ProtocolError(f"{message} (phase {number}, at position {position})", position)
        return tuple(phase for phase, _ in phases)

    def phase(self) -> tuple[Phase, dict[str, int]]:
        """One phase, and where each of its fields was written (to place problems)."""
        maintenance = self.is_word("maintenance")
        if maintenance:
            self.take()
        values: dict[str, object] = {}
        positions: dict[str, int] = {}
        expected = _EXPECT_PART
        while True:
            token = self.peek()
            part = self.part_kind(token)
            if part is None:
                raise self.fail(expected)
            if part in values:
                raise self.fail(f"', then' before another {part} (a phase has one {part})")
            values[part] = getattr(self, part)()
            positions[part] = token.position
            if self.peek().kind == "comma" and not self.is_word("then", ahead=1):
                self.take()
                expected = f"'then' or {_EXPECT_PART}"
            elif self.part_kind(self.peek()) is None:
                break
        if "interval" not in values:
            raise self.fail(_EXPECT_INTERVAL)
        interval_min, interval_max, interval_unit = values["interval"]
        span_kind, span_min, span_max, span_unit = values.get(
            "span", (SpanKind.OPEN, None, None, None)
        )
        phase = Phase(
            interval_min=interval_min,
            interval_max=interval_max,
            interval_unit=interval_unit,
            tolerance_days=values.get("tolerance"),
            span_kind=span_kind,
            span_min=span_min,
            span_max=span_max,
            span_unit=span_unit,
            maintenance=maintenance,
        )
        fields = {
            name: positions[part]
            for part, names in (
                ("interval", ("interval_min", "interval_max", "interval_unit")),
                ("tolerance", ("tolerance_days",)),
                ("span", ("span_kind", "span_min", "span_max", "span_unit")),
            )
            if part in positions
            for name in names
        }
        return phase, fields

    @staticmethod
    def part_kind(token: _Token) -> str | None:
        """Which part of a phase `token` starts, if any."""
        if token.kind == "number":
            return "span"
        if token.kind == "plusminus":
            return "tolerance"
        if token.kind != "word":
            return None
        if token.text in ("every", "twice", "once") or token.text in _INTERVAL_WORDS:
            return "interval"
        if token.text == "for":
            return "span"
        return None

    def interval(self) -> tuple[int, int, Unit]:
        word = self.take().text
        if word in _INTERVAL_WORDS:
            return _INTERVAL_WORDS[word]
        if word == "once":
            self.expect_word({"or"}, "'or twice a year'")
            self.expect_word({"twice"}, "'twice a year'")
            self.a_year()
            return 6, 12, Unit.MONTH
        if word == "twice":
            self.a_year()
            return 6, 6, Unit.MONTH
        if self.peek().kind == "word" and self.peek().text in _UNITS:
            return 1, 1, _UNITS[self.take().text]
        if self.peek().kind != "number":
            raise self.fail(f"a number or {_EXPECT_UNIT}")
        low, high = self.range()
        return low, high, _UNITS[self.expect_word(_UNITS, _EXPECT_UNIT)]

    def a_year(self) -> None:
        self.expect_word({"a"}, "'a year'")
        self.expect_word({"year"}, "'year'")

    def tolerance(self) -> int:
        self.take()
        if self.peek().kind != "number":
            raise self.fail("a number of days")
        days = self.number()
        self.expect_word({"day", "days"}, "'days' (a tolerance is in days)")
        return days

    def span(self) -> tuple[SpanKind, int, int, Unit | None]:
        if self.is_word("for"):
            self.take()
            low, high = self.range()
            if self.is_word(*_COUNT_WORDS):
                self.take()
                return SpanKind.COUNT, low, high, None
            unit = self.expect_word(_UNITS, f"{_EXPECT_UNIT} or 'sessions'")
            return SpanKind.DURATION, low, high, _UNITS[unit]
        low, high = self.range()
        self.expect_word(_COUNT_WORDS, "'sessions', 'treatments' or 'times'")
        return SpanKind.COUNT, low, high, None


def parse_protocol(text: str) -> tuple[Phase, ...]:
    """The phases a protocol text describes; `ProtocolError` says what was expected where."""
    return _Parser(text).protocol()


# Writing protocol text
# =====================

_WORD_FOR_EVERY_ONE = {
    Unit.DAY: "daily",
    Unit.WEEK: "weekly",
    Unit.MONTH: "monthly",
    Unit.YEAR: "yearly",
}


def _amount(low: int, high: int, unit: str) -> str:
    numbers = str(low) if low == high else f"{low}-{high}"
    return f"{numbers} {unit}" if high == 1 else f"{numbers} {unit}s"


def render_phase(phase: Phase) -> str:
    """The canonical text of one phase: interval, tolerance, then span."""
    low, high, unit = phase.interval_min, phase.interval_max, Unit(phase.interval_unit)
    text = _WORD_FOR_EVERY_ONE[unit] if low == high == 1 else "every " + _amount(low, high, unit)
    if phase.maintenance:
        text = "maintenance " + text
    if phase.tolerance_days is not None:
        text += " ±" + _amount(phase.tolerance_days, phase.tolerance_days, "day")
    if phase.span_kind == SpanKind.COUNT:
        text += ", " + _amount(phase.span_min, phase.span_max, "session")
    elif phase.span_kind == SpanKind.DURATION:
        text += " for " + _amount(phase.span_min, phase.span_max, Unit(phase.span_unit))
    return text


def render_protocol(phases: Sequence[Phase]) -> str:
    """The canonical text of a protocol; `parse_protocol` reads it back to the same phases."""
    return ", then ".join(render_phase(phase) for phase in phases)


# Expansion
# =========


class _Position(NamedTuple):
    """Where a plan stands: in which phase, and what its next session is counted from."""

    phase: int  # index into the phases
    anchor: date  # the day step 0 of the phase is due
    step: int  # the next session is due at anchor + step * interval_min
    held: int  # treatments counted in this phase so far
    optional_from: date | None  # duration spans: sessions due from here on are optional
    end: date | None  # duration spans: sessions are due before this day
    previous: date | None  # the plan's session before step 0 (None: this is the plan's start)


def _plan_start(phases: Sequence[Phase], start: date) -> _Position:
    return _position(phases[0], 0, start, None)


def _phase_start(phases: Sequence[Phase], index: int, previous: date) -> _Position:
    phase = phases[index]
    anchor = add_interval(previous, phase.interval_min, phase.interval_unit)
    return _position(phase, index, anchor, previous)


def _position(phase: Phase, index: int, anchor: date, previous: date | None) -> _Position:
    optional_from = end = None
    if phase.span_kind == SpanKind.DURATION:
        optional_from = add_interval(anchor, phase.span_min, phase.span_unit)
        end = add_interval(anchor, phase.span_max, phase.span_unit)
    return _Position(index, anchor, 0, 0, optional_from, end, previous)


def _last_held(phase: Phase, at: _Position) -> date | None:
    """The day of the plan's last session before `at` (a phase's step 0 counts from it)."""
    if at.step == 0:
        return at.previous
    return add_interval(at.anchor, (at.step - 1) * phase.interval_min, phase.interval_unit)


# A row is a window without its number: (phase number, due, earliest, latest, optional).
# Plain tuples, as expansion makes many of them.
type _Row = tuple[int, date, date, date, bool]


def _rows(phases: Sequence[Phase], at: _Position | None, horizon_end: date) -> Iterator[_Row]:
    """Every session still to come from `at`."""
    while at is not None:
        index = at.phase
        phase = phases[index]
        low, high, unit = phase.interval_min, phase.interval_max, phase.interval_unit
        tolerance = timedelta(days=_tolerance(phase))
        counted = phase.span_kind == SpanKind.COUNT
        timed = phase.span_kind == SpanKind.DURATION
        span_min, span_max = phase.span_min, phase.span_max
        _, anchor, step, held, optional_from, end, previous = at
        while not counted or held < span_max:
            due = add_interval(anchor, step * low, unit)
            if timed:
                if due >= end:
                    break
                optional = due >= optional_from
            elif counted:
                optional = held >= span_min
            elif due > horizon_end:
                break
            else:
                optional = False
            if step:
                latest = due if high == low else add_interval(anchor, (step - 1) * low + high, unit)
                earliest = due - tolerance
            elif previous is not None:
                latest = add_interval(previous, high, unit)
                earliest = due - tolerance
            else:
                latest = earliest = due
            yield index + 1, due, earliest, latest + tolerance, optional
            step += 1
            held += 1
        at = _after_phase(
            phases, _Position(index, anchor, step, held, optional_from, end, previous)
        )


def _at_most_max_sessions(rows: Iterator[_Row]) -> Iterator[_Row]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_SESSIONS:
            raise ProtocolTooLong(TOO_MANY_SESSIONS)
        yield row


@functools.lru_cache(maxsize=32)
def _checked(phases: tuple[Phase, ...]) -> "_Layouts":
    check_protocol(phases)
    return _Layouts(phases)


def _most_days(amount: int, unit: Unit) -> int:
    """More days than `amount` units can span, or than two steps from one anchor differ by.

    n months span at most 31n days, and clamping the 31st to a shorter month can give
    back at most 3 of them between two steps from the same anchor.
    """
    return amount * {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 31, Unit.YEAR: 366}[unit] + 3


class _Layouts:
    """Expansions of one protocol as day offsets from the start, shared between start dates.

    The expansion only adds days, weeks, months and years to the start and compares the
    results, so the offset in days of every date it computes depends on the start only
    through its month and day and through which years around it are leap years, as long as
    every date it computes lies in those years. `reach_for` bounds how far it can go, so a
    `calendar_key` holds all the calendar the offsets depend on: plans that share a key
    share the offsets, and the expansion runs once per key rather than once per plan.
    """

    __slots__ = ("before", "by_calendar", "phases", "reach")

    def __init__(self, phases: tuple[Phase, ...]):
        self.phases = phases
        self.before = timedelta(days=max(_tolerance(phase) for phase in phases))
        self.reach: dict[int, timedelta] = {}
        self.by_calendar: dict[tuple, tuple] = {}

    def reach_for(self, horizon_months: int) -> timedelta:
        """More days after the start than any date the expansion computes."""
        reach = self.reach.get(horizon_months)
        if reach is None:
            reach = self.reach[horizon_months] = timedelta(days=self._reach(horizon_months))
        return reach

    def _reach(self, horizon_months: int) -> int:
        # Bounds, in days after the start, phase by phase: the anchor, the last due date
        # (including the one computed and found past the span), every latest.
        horizon = _most_days(max(horizon_months, 0), Unit.MONTH)
        last_due = reach = horizon
        for index, phase in enumerate(self.phases):
            low, high, unit = phase.interval_min, phase.interval_max, phase.interval_unit
            anchor = last_due + _most_days(low, unit) if index else 0
            if phase.span_kind == SpanKind.COUNT:
                last_due = anchor + _most_days(phase.span_max * high, unit)
            elif phase.span_kind == SpanKind.DURATION:
                span_end = anchor + _most_days(phase.span_max, phase.span_unit)
                last_due = span_end + _most_days(low, unit)
            else:
                last_due = max(anchor, horizon) + _most_days(low, unit)
            reach = max(reach, last_due + _most_days(high, unit) + _tolerance(phase))
        return reach + 1

    def calendar_key(self, start: date, horizon_months: int) -> tuple | None:
        try:
            reach = self.reach.get(horizon_months) or self.reach_for(horizon_months)
            first = (start - self.before).year if self.before else start.year
            last = (start + reach).year
        except OverflowError:
            return None  # near the ends of the calendar: expand without sharing
        return (
            horizon_months,
            start.month,
            start.day,
            start.year - first,
            _leap_years(first, last),
        )

    def offsets(self, start: date, horizon_months: int) -> tuple:
        """The expansion from `start` as (phase, due, earliest, latest, optional) offsets.

        earliest and latest are None when they fall on the due date.
        """
        horizon_end = add_interval(start, horizon_months, Unit.MONTH)
        offsets = []
        for phase, due, earliest, latest, optional in _at_most_max_sessions(
            _rows(self.phases, _plan_start(self.phases, start), horizon_end)
        ):
            offsets.append(
                (
                    phase,
                    due - start,
                    None if earliest == due else earliest - start,
                    None if latest == due else latest - start,
                    optional,
                )
            )
        return tuple(offsets)


@functools.lru_cache(maxsize=4096)
def _leap_years(first: int, last: int) -> tuple[bool, ...]:
    return tuple(calendar.isleap(year) for year in range(first, last + 1))


# A frozen dataclass's __init__ sets each field through object.__setattr__; a plan of
# fifteen sessions spent most of its expansion there. Filling the slots directly builds
# the same object twice as fast.
_WINDOW_SLOTS = tuple(
    getattr(SessionWindow, name).__set__
    for name in ("number", "phase", "due", "earliest", "latest", "optional")
)


def expand(
    phases: Sequence[Phase], start: date, *, horizon_months: int = DEFAULT_HORIZON_MONTHS
) -> tuple[SessionWindow, ...]:
    """The sessions of a plan following `phases` from `start`, with their windows.

    Raises `ProtocolError` for invalid phases, `ProtocolTooLong` past MAX_SESSIONS.
    """
    layouts = _checked(tuple(phases))
    key = layouts.calendar_key(start, horizon_months)
    offsets = layouts.by_calendar.get(key)
    if offsets is None:
        try:
            offsets = layouts.offsets(start, horizon_months)
        except OverflowError as error:
            raise ProtocolError(PAST_THE_CALENDAR) from error
        if key is not None:
            if len(layouts.by_calendar) >= 2048:
                # A bound on memory: one horizon needs 1,461 keys (four years of days).
                layouts.by_calendar.clear()
            layouts.by_calendar[key] = offsets
    new, window_type = object.__new__, SessionWindow  # locals: this loop is the hot spot
    set_number, set_phase, set_due, set_earliest, set_latest, set_optional = _WINDOW_SLOTS
    windows = []
    for number, (phase, due, earliest, latest, optional) in enumerate(offsets, start=1):
        due = start + due
        window = new(window_type)
        set_number(window, number)
        set_phase(window, phase)
        set_due(window, due)
        set_earliest(window, due if earliest is None else start + earliest)
        set_latest(window, due if latest is None else start + latest)
        set_optional(window, optional)
        windows.append(window)
    return tuple(windows)


def replan(
    phases: Sequence[Phase],
    start: date,
    outcomes: Sequence[Outcome],
    *,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
) -> tuple[SessionWindow, ...]:
    """The sessions still to come after `outcomes` (sessions 1..n); see the module's rule.

    Raises `ProtocolError` as `expand` does, and ValueError for outcomes out of order, past
    the end of the plan, or held before the session before them.
    """
    phases = _checked(tuple(phases)).phases
    try:
        horizon_end = add_interval(start, horizon_months, Unit.MONTH)
        at = _position_after(phases, start, outcomes, horizon_end)
        rows = list(_at_most_max_sessions(_rows(phases, at, horizon_end)))
    except OverflowError as error:
        raise ProtocolError(PAST_THE_CALENDAR) from error
    return tuple(SessionWindow(number, *row) for number, row in enumerate(rows, len(outcomes) + 1))


def _position_after(
    phases: tuple[Phase, ...], start: date, outcomes: Sequence[Outcome], horizon_end: date
) -> _Position | None:
    """Where the plan stands once `outcomes` happened (None: nothing is left to do)."""
    at = _plan_start(phases, start)
    last_held_on = None
    for number, outcome in enumerate(outcomes, start=1):
        if outcome.number != number:
            raise ValueError(OUTCOMES_OUT_OF_ORDER.format(got=outcome.number))
        row = next(_rows(phases, at, horizon_end), None)
        if row is None:
            raise ValueError(OUTCOME_PAST_THE_PLAN.format(number=number))
        phase_number, due, _, _, optional = row
        if phase_number != at.phase + 1:
            # `at`'s phase had no session left; only the last phase can be empty, so the
            # session is the first of the next one.
            at = _after_phase(phases, at)
        held_on = outcome.held_on
        if held_on is None:
            if optional:
                at = _after_phase(phases, at)
            continue
        if last_held_on is not None and held_on < last_held_on:
            raise ValueError(HELD_BEFORE_PREVIOUS.format(number=number, day=last_held_on))
        last_held_on = held_on
        if held_on == due:
            at = at._replace(step=at.step + 1, held=at.held + 1)
        else:
            moved = held_on - due
            at = at._replace(
                anchor=held_on,
                step=1,
                held=at.held + 1,
                optional_from=None if at.optional_from is None else at.optional_from + moved,
                end=None if at.end is None else at.end + moved,
            )
    return at


def _after_phase(phases: Sequence[Phase], at: _Position) -> _Position | None:
    """The plan's position once the phase of `at` ends there (None: the plan ends)."""
    if at.phase + 1 == len(phases):
        return None
    return _phase_start(phases, at.phase + 1, _last_held(phases[at.phase], at))
