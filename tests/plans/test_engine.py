"""The plan engine: protocol text, the expansion rule and re-planning, without a database."""

import re
from dataclasses import replace
from datetime import date

import pytest

from plans import engine
from plans.engine import (
    Outcome,
    Phase,
    ProtocolError,
    ProtocolTooLong,
    SpanKind,
    Unit,
    add_interval,
    check_protocol,
    default_tolerance_days,
    earliest_after,
    expand,
    latest_before,
    parse_protocol,
    phase_problems,
    render_protocol,
    replan,
    with_default_tolerance,
)

FIRST_PROTOCOL = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"
MONDAY_5_JANUARY = date(2026, 1, 5)


def dues(windows):
    return [window.due for window in windows]


def every(low, high=None, unit=Unit.WEEK, **span):
    return Phase(low, high or low, unit, **span)


def _fields(phase):
    return {name: getattr(phase, name) for name in Phase.__dataclass_fields__}


# Reading protocols
# =================


def test_first_published_protocol_reads_as_three_phases():
    assert parse_protocol(FIRST_PROTOCOL) == (
        Phase(
            2,
            2,
            Unit.WEEK,
            span_kind=SpanKind.DURATION,
            span_min=1,
            span_max=2,
            span_unit=Unit.MONTH,
        ),
        Phase(
            1,
            1,
            Unit.MONTH,
            span_kind=SpanKind.DURATION,
            span_min=3,
            span_max=3,
            span_unit=Unit.MONTH,
        ),
        Phase(3, 6, Unit.MONTH),
    )


def test_six_sessions_with_a_tolerance_then_once_or_twice_a_year():
    assert parse_protocol("6 sessions every 2 weeks ±2 days, then once or twice a year") == (
        Phase(2, 2, Unit.WEEK, tolerance_days=2, span_kind=SpanKind.COUNT, span_min=6, span_max=6),
        Phase(6, 12, Unit.MONTH),
    )


def test_sessions_until_the_effect_then_maintenance():
    assert parse_protocol("every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months") == (
        Phase(1, 3, Unit.WEEK, span_kind=SpanKind.COUNT, span_min=3, span_max=6),
        Phase(2, 3, Unit.MONTH, maintenance=True),
    )


def test_repeat_every_two_to_four_weeks_is_one_open_ended_phase():
    assert parse_protocol("every 2-4 weeks") == (Phase(2, 4, Unit.WEEK),)


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("daily", (1, 1, Unit.DAY)),
        ("weekly", (1, 1, Unit.WEEK)),
        ("fortnightly", (2, 2, Unit.WEEK)),
        ("monthly", (1, 1, Unit.MONTH)),
        ("yearly", (1, 1, Unit.YEAR)),
        ("annually", (1, 1, Unit.YEAR)),
        ("twice a year", (6, 6, Unit.MONTH)),
        ("once or twice a year", (6, 12, Unit.MONTH)),
        ("every day", (1, 1, Unit.DAY)),
        ("every week", (1, 1, Unit.WEEK)),
        ("every month", (1, 1, Unit.MONTH)),
        ("every year", (1, 1, Unit.YEAR)),
        ("every 1 day", (1, 1, Unit.DAY)),
        ("every 10 days", (10, 10, Unit.DAY)),
        ("every 3 months", (3, 3, Unit.MONTH)),
        ("every 2 years", (2, 2, Unit.YEAR)),
        ("every 2-4 weeks", (2, 4, Unit.WEEK)),
        ("every 2–4 weeks", (2, 4, Unit.WEEK)),  # clinicians type en dashes
        ("every 2 to 4 weeks", (2, 4, Unit.WEEK)),
        ("every 2 - 4 week", (2, 4, Unit.WEEK)),
    ],
)
def test_every_way_of_writing_an_interval(text, interval):
    (phase,) = parse_protocol(text)
    assert (phase.interval_min, phase.interval_max, phase.interval_unit) == interval


@pytest.mark.parametrize("text", ["weekly ±2 days", "weekly +/-2 days", "weekly ± 2 days"])
def test_a_tolerance_is_a_number_of_days_either_side(text):
    assert parse_protocol(text)[0].tolerance_days == 2


def test_a_one_day_tolerance_may_be_written_singular():
    assert parse_protocol("weekly ±1 day")[0].tolerance_days == 1


def test_no_tolerance_written_is_none_and_a_written_zero_is_kept():
    assert parse_protocol("weekly")[0].tolerance_days is None
    assert parse_protocol("weekly ±0 days")[0].tolerance_days == 0


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("weekly for 3 months", (SpanKind.DURATION, 3, 3, Unit.MONTH)),
        ("weekly for 1-2 months", (SpanKind.DURATION, 1, 2, Unit.MONTH)),
        ("weekly for 1 year", (SpanKind.DURATION, 1, 1, Unit.YEAR)),
        ("weekly for 10 days", (SpanKind.DURATION, 10, 10, Unit.DAY)),
        ("weekly for 6 to 8 weeks", (SpanKind.DURATION, 6, 8, Unit.WEEK)),
        ("weekly, 6 times", (SpanKind.COUNT, 6, 6, None)),
        ("weekly, 6 sessions", (SpanKind.COUNT, 6, 6, None)),
        ("weekly, 6 treatments", (SpanKind.COUNT, 6, 6, None)),
        ("weekly, 1 session", (SpanKind.COUNT, 1, 1, None)),
        ("weekly, 3-6 sessions", (SpanKind.COUNT, 3, 6, None)),
        ("weekly, 3 to 6 treatments", (SpanKind.COUNT, 3, 6, None)),
        ("weekly for 6 sessions", (SpanKind.COUNT, 6, 6, None)),
        ("weekly", (SpanKind.OPEN, None, None, None)),
    ],
)
def test_every_way_of_writing_a_span(text, span):
    (phase,) = parse_protocol(text)
    assert (phase.span_kind, phase.span_min, phase.span_max, phase.span_unit) == span


def test_interval_tolerance_and_span_come_in_any_order():
    expected = parse_protocol("every 2 weeks ±2 days, 6 sessions")
    assert parse_protocol("6 sessions every 2 weeks ±2 days") == expected
    assert parse_protocol("±2 days, 6 sessions, every 2 weeks") == expected
    assert parse_protocol("6 sessions ±2 days every 2 weeks") == expected


@pytest.mark.parametrize(
    "text",
    [
        "weekly, 2 sessions, then monthly",
        "weekly, 2 sessions; then monthly",
        "weekly, 2 sessions then monthly",
        "WEEKLY, 2 Sessions, THEN Monthly",
        "  weekly ,2 sessions ,  then   monthly  ",
    ],
)
def test_phases_are_joined_by_then_whatever_the_case_and_spacing(text):
    assert parse_protocol(text) == (
        Phase(1, 1, Unit.WEEK, span_kind=SpanKind.COUNT, span_min=2, span_max=2),
        Phase(1, 1, Unit.MONTH),
    )


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (FIRST_PROTOCOL, FIRST_PROTOCOL),
        (
            "6 sessions every 2 weeks ±2 days, then once or twice a year",
            "every 2 weeks ±2 days, 6 sessions, then every 6-12 months",
        ),
        (
            "every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months",
            "every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months",
        ),
        ("Every 2 to 4 Weeks", "every 2-4 weeks"),
        ("fortnightly +/-1 day for 1 month", "every 2 weeks ±1 day for 1 month"),
        ("every week, 1 treatment; then twice a year", "weekly, 1 session, then every 6 months"),
        ("every 1 year", "yearly"),
        ("every 1-1 days for 10 days", "daily for 10 days"),
        (
            "monthly +/-0 days, 3 sessions, then every 3-6 months",
            "monthly ±0 days, 3 sessions, then every 3-6 months",
        ),
    ],
)
def test_protocols_are_shown_in_one_canonical_text(typed, canonical):
    phases = parse_protocol(typed)
    assert render_protocol(phases) == canonical
    assert parse_protocol(canonical) == phases


def test_a_phase_renders_on_its_own_for_the_admin():
    assert engine.render_phase(Phase(3, 6, Unit.MONTH, maintenance=True)) == (
        "maintenance every 3-6 months"
    )


# Errors say what was expected where
# ==================================

EXPECT_PART = "an interval ('every 2 weeks', 'monthly'), a tolerance ('±2 days') or a span"


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("", 0, f"expected {EXPECT_PART}"),
        ("maintenance", 11, f"expected {EXPECT_PART}"),
        ("every 2", 7, "expected a unit (day, week, month, year) at position 7, the protocol ends"),
        ("every 2 fortnights", 8, "expected a unit (day, week, month, year) at position 8, found"),
        (
            "every fortnight",
            6,
            "expected a number or a unit (day, week, month, year) at position 6",
        ),
        ("every 2-", 8, "expected a number at position 8"),
        ("every 2 to four weeks", 11, "expected a number at position 11, found 'four'"),
        ("twice a month", 8, "expected 'year' at position 8, found 'month'"),
        ("twice yearly", 6, "expected 'a year' at position 6"),
        ("once a year", 5, "expected 'or twice a year' at position 5"),
        ("weekly ±two days", 8, "expected a number of days at position 8"),
        ("weekly ±2", 9, "expected 'days' (a tolerance is in days) at position 9"),
        ("weekly ±2 weeks", 10, "expected 'days' (a tolerance is in days) at position 10"),
        (
            "weekly for 3",
            12,
            "expected a unit (day, week, month, year) or 'sessions' at position 12",
        ),
        ("6 visits weekly", 2, "expected 'sessions', 'treatments' or 'times' at position 2"),
        ("weekly, 6", 9, "expected 'sessions', 'treatments' or 'times' at position 9"),
        ("weekly,", 7, f"expected 'then' or {EXPECT_PART}"),
        ("weekly, maintenance", 8, f"expected 'then' or {EXPECT_PART}"),
        ("weekly, 2 sessions, then", 24, f"expected {EXPECT_PART}"),
        ("weekly, 2 sessions; monthly", 18, "expected ', then' and another phase, or the end"),
        ("weekly #", 7, "expected ', then' and another phase, or the end of the protocol at pos"),
        ("weekly every 3 weeks", 7, "expected ', then' before another interval"),
        ("weekly ±1 day ±2 days", 14, "expected ', then' before another tolerance"),
        ("weekly, 6 sessions for 2 months", 19, "expected ', then' before another span"),
        ("6 sessions, then monthly", 10, "expected an interval for this phase"),
        ("weekly, then ±2 days", 20, "expected an interval for this phase"),
    ],
)
def test_text_that_does_not_parse_says_what_was_expected_where(text, position, says):
    with pytest.raises(ProtocolError) as raised:
        parse_protocol(text)
    assert raised.value.position == position
    assert says in raised.value.message
    assert str(raised.value) == raised.value.message


def test_the_error_names_what_was_found_or_that_the_text_ended():
    with pytest.raises(ProtocolError, match="found 'fortnights'"):
        parse_protocol("every 2 fortnights")
    with pytest.raises(ProtocolError, match="the protocol ends there"):
        parse_protocol("every 2")


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("every 0 weeks", 0, engine.INTERVAL_TOO_SHORT),
        ("every 4-2 weeks", 0, engine.INTERVAL_RANGE_REVERSED),
        ("every 2 weeks ±14 days", 14, engine.TOLERANCE_TOO_WIDE),
        ("daily ±1 day", 6, engine.TOLERANCE_TOO_WIDE),
        ("weekly, 0 sessions", 8, engine.SPAN_TOO_SHORT),
        ("weekly, 6-3 sessions", 8, engine.SPAN_RANGE_REVERSED),
        ("weekly for 3-1 months", 7, engine.SPAN_RANGE_REVERSED),
        ("weekly for 0 days", 7, engine.SPAN_TOO_SHORT),
        ("weekly, 2 sessions, then monthly, then yearly", 25, engine.OPEN_PHASE_NOT_LAST),
    ],
)
def test_a_protocol_that_reads_but_makes_no_sense_is_refused_at_the_phase(text, position, message):
    with pytest.raises(ProtocolError) as raised:
        parse_protocol(text)
    assert raised.value.position == position
    assert raised.value.message.startswith(message)
    assert f"at position {position}" in raised.value.message


# Rules of a phase (shared with the admin's forms)
# ================================================

VALID = Phase(2, 4, Unit.WEEK, tolerance_days=2, span_kind=SpanKind.COUNT, span_min=3, span_max=6)


def test_a_sound_phase_has_no_problems():
    assert phase_problems(VALID, is_last=False) == []
    assert phase_problems(Phase(3, 6, Unit.MONTH), is_last=True) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"interval_min": 0, "interval_max": 0}, "interval_min", engine.INTERVAL_TOO_SHORT),
        ({"interval_max": 1}, "interval_max", engine.INTERVAL_RANGE_REVERSED),
        ({"interval_unit": "fortnight"}, "interval_unit", engine.INTERVAL_UNIT_UNKNOWN),
        ({"tolerance_days": -1}, "tolerance_days", engine.TOLERANCE_NEGATIVE),
        ({"tolerance_days": 14}, "tolerance_days", engine.TOLERANCE_TOO_WIDE),
        ({"span_min": None}, "span_min", engine.SPAN_MISSING),
        ({"span_max": None}, "span_max", engine.SPAN_MISSING),
        ({"span_min": 0}, "span_min", engine.SPAN_TOO_SHORT),
        ({"span_max": 2}, "span_max", engine.SPAN_RANGE_REVERSED),
        ({"span_unit": Unit.MONTH}, "span_unit", engine.SPAN_UNIT_NOT_FOR_COUNT),
        ({"span_kind": SpanKind.DURATION}, "span_unit", engine.SPAN_UNIT_MISSING),
        ({"span_kind": "forever"}, "span_kind", engine.SPAN_KIND_UNKNOWN),
        ({"span_kind": SpanKind.OPEN}, "span_min", engine.OPEN_PHASE_HAS_SPAN),
        (
            {"span_kind": SpanKind.OPEN, "span_min": None, "span_max": None},
            "span_kind",
            engine.OPEN_PHASE_NOT_LAST,
        ),
    ],
)
def test_each_broken_rule_names_its_field(changes, field, message):
    phase = Phase(**{**_fields(VALID), **changes})
    assert (field, message) in phase_problems(phase, is_last=False)


def test_a_tolerance_just_under_the_interval_is_allowed():
    assert phase_problems(every(2, tolerance_days=13), is_last=True) == []
    assert phase_problems(every(1, unit=Unit.MONTH, tolerance_days=27), is_last=True) == []


def test_an_open_ended_phase_is_fine_last():
    assert phase_problems(every(2), is_last=True) == []
    assert ("span_kind", engine.OPEN_PHASE_NOT_LAST) in phase_problems(every(2), is_last=False)


def test_check_protocol_refuses_an_empty_protocol():
    with pytest.raises(ProtocolError, match=re.escape(engine.NO_PHASES)):
        check_protocol([])


def test_check_protocol_names_the_phase_with_the_problem():
    with pytest.raises(ProtocolError) as raised:
        check_protocol([every(2), every(3)])
    assert raised.value.message == f"Phase 1: {engine.OPEN_PHASE_NOT_LAST}"


def test_check_protocol_accepts_the_published_protocols():
    check_protocol(parse_protocol(FIRST_PROTOCOL))


# The clinic's default tolerance
# ==============================


def default_of(text, percent=15):
    return default_tolerance_days(parse_protocol(text)[0], percent)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("every 2 weeks", 2),  # 14 days: 2.1
        ("monthly", 5),  # 30.44 days: 4.566
        ("every 3 months", 14),  # 91.32 days: 13.698
        ("every 6 months", 14),  # 27.4, held to two weeks
        ("yearly", 14),
        ("every 1 week", 1),  # 1.05
        ("every 3 days", 1),  # 0.45, at least a day
        ("every 2 days", 1),
    ],
)
def test_a_fixed_interval_gets_15_percent_from_one_day_to_two_weeks(text, days):
    assert default_of(text) == days


def test_the_default_rounds_half_a_day_up():
    assert default_of("every 10 days") == 2  # 1.5 exactly
    assert default_of("every 10 days", percent=25) == 3  # 2.5 exactly
    assert default_of("every 10 days", percent=14) == 1  # 1.4


def test_a_clinic_default_of_0_percent_gives_no_tolerance():
    assert default_of("every 2 weeks", percent=0) == 0
    assert default_of("yearly", percent=0) == 0


def test_an_interval_range_is_its_own_window_and_gets_no_default():
    assert default_of("every 3-6 months") == 0
    assert default_of("every 2-4 weeks", percent=100) == 0


@pytest.mark.parametrize(
    ("text", "days"),
    [("daily", 0), ("every 2 days", 1), ("weekly", 6), ("every 2 weeks", 13), ("monthly", 14)],
)
def test_a_default_stays_shorter_than_the_interval(text, days):
    assert default_of(text, percent=100) == days
    resolved = with_default_tolerance(parse_protocol(text), 100)
    assert phase_problems(resolved[0], is_last=True) == []


def test_a_negative_percent_is_refused():
    with pytest.raises(ValueError, match="negative"):
        default_of("monthly", percent=-1)
    with pytest.raises(ValueError, match="negative"):
        with_default_tolerance(parse_protocol("monthly ±2 days"), -1)


def test_resolving_fills_only_the_tolerances_not_written():
    phases = parse_protocol(
        "every 2 weeks, 3 sessions, then monthly ±0 days, 2 sessions, then weekly ±3 days, "
        "2 sessions, then every 3-6 months"
    )
    resolved = with_default_tolerance(phases, 15)
    assert [phase.tolerance_days for phase in resolved] == [2, 0, 3, 0]
    assert [replace(phase, tolerance_days=None) for phase in resolved] == [
        replace(phase, tolerance_days=None) for phase in phases
    ]
    assert render_protocol(resolved) == (
        "every 2 weeks ±2 days, 3 sessions, then monthly ±0 days, 2 sessions, "
        "then weekly ±3 days, 2 sessions, then every 3-6 months ±0 days"
    )
    assert with_default_tolerance(resolved, 50) == resolved


def test_a_tolerance_not_written_counts_as_0_until_resolved():
    phases = parse_protocol("every 2 weeks for 1-2 months, then monthly")
    assert expand(phases, MONDAY_5_JANUARY) == expand(
        with_default_tolerance(phases, 0), MONDAY_5_JANUARY
    )
    assert earliest_after(phases[0], MONDAY_5_JANUARY) == date(2026, 1, 19)
    assert latest_before(phases[0], date(2026, 1, 19)) == MONDAY_5_JANUARY


def windows_of(windows):
    return [(w.phase, w.earliest, w.due, w.latest, w.optional) for w in windows]


def test_the_first_published_protocol_with_the_clinic_default():
    windows = expand(with_default_tolerance(parse_protocol(FIRST_PROTOCOL), 15), MONDAY_5_JANUARY)
    assert windows_of(windows[:10]) == [
        # every 2 weeks: ±2 days; the very first session only after its due date
        (1, date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 7), False),
        (1, date(2026, 1, 17), date(2026, 1, 19), date(2026, 1, 21), False),
        (1, date(2026, 1, 31), date(2026, 2, 2), date(2026, 2, 4), False),
        (1, date(2026, 2, 14), date(2026, 2, 16), date(2026, 2, 18), True),
        (1, date(2026, 2, 28), date(2026, 3, 2), date(2026, 3, 4), True),
        # monthly: ±5 days
        (2, date(2026, 3, 28), date(2026, 4, 2), date(2026, 4, 7), False),
        (2, date(2026, 4, 27), date(2026, 5, 2), date(2026, 5, 7), False),
        (2, date(2026, 5, 28), date(2026, 6, 2), date(2026, 6, 7), False),
        # every 3-6 months: the range is the window, nothing either side
        (3, date(2026, 9, 2), date(2026, 9, 2), date(2026, 12, 2), False),
        (3, date(2026, 12, 2), date(2026, 12, 2), date(2027, 3, 2), False),
    ]
    assert dues(windows) == dues(expand(parse_protocol(FIRST_PROTOCOL), MONDAY_5_JANUARY))


def test_default_windows_from_31_january_follow_the_month_ends():
    phases = with_default_tolerance(parse_protocol("monthly, 4 sessions"), 15)
    assert windows_of(expand(phases, date(2026, 1, 31))) == [
        (1, date(2026, 1, 31), date(2026, 1, 31), date(2026, 2, 5), False),
        (1, date(2026, 2, 23), date(2026, 2, 28), date(2026, 3, 5), False),
        (1, date(2026, 3, 26), date(2026, 3, 31), date(2026, 4, 5), False),
        (1, date(2026, 4, 25), date(2026, 4, 30), date(2026, 5, 5), False),
    ]


def test_default_windows_around_29_february():
    monthly = with_default_tolerance(parse_protocol("monthly, 3 sessions"), 15)
    assert windows_of(expand(monthly, date(2028, 1, 30)))[1:] == [
        (1, date(2028, 2, 24), date(2028, 2, 29), date(2028, 3, 5), False),
        (1, date(2028, 3, 25), date(2028, 3, 30), date(2028, 4, 4), False),
    ]
    yearly = with_default_tolerance(parse_protocol("yearly, 3 sessions"), 15)
    assert windows_of(expand(yearly, date(2028, 2, 29))) == [
        (1, date(2028, 2, 29), date(2028, 2, 29), date(2028, 3, 14), False),
        (1, date(2029, 2, 14), date(2029, 2, 28), date(2029, 3, 14), False),
        (1, date(2030, 2, 14), date(2030, 2, 28), date(2030, 3, 14), False),
    ]


def test_a_late_session_keeps_the_default_window_from_the_day_it_was_held():
    phases = with_default_tolerance(parse_protocol("every 2 weeks, 3 sessions"), 15)
    rest = replan(
        phases, MONDAY_5_JANUARY, [Outcome(1, date(2026, 1, 5)), Outcome(2, date(2026, 1, 23))]
    )
    assert windows_of(rest) == [(1, date(2026, 2, 4), date(2026, 2, 6), date(2026, 2, 8), False)]


# Calendar arithmetic
# ===================


@pytest.mark.parametrize(
    ("day", "amount", "unit", "result"),
    [
        (date(2026, 1, 31), 1, Unit.MONTH, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, Unit.MONTH, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, Unit.MONTH, date(2026, 4, 30)),
        (date(2026, 1, 31), 2, Unit.MONTH, date(2026, 3, 31)),
        (date(2026, 12, 15), 3, Unit.MONTH, date(2027, 3, 15)),
        (date(2026, 3, 31), -1, Unit.MONTH, date(2026, 2, 28)),
        (date(2028, 2, 29), 1, Unit.YEAR, date(2029, 2, 28)),
        (date(2028, 2, 29), 4, Unit.YEAR, date(2032, 2, 29)),
        (date(2100, 2, 28), 0, Unit.YEAR, date(2100, 2, 28)),
        (date(2096, 2, 29), 4, Unit.YEAR, date(2100, 2, 28)),
        (date(2026, 12, 29), 2, Unit.WEEK, date(2027, 1, 12)),
        (date(2028, 2, 28), 1, Unit.DAY, date(2028, 2, 29)),
        (date(2026, 1, 5), -3, Unit.DAY, date(2026, 1, 2)),
    ],
)
def test_calendar_steps_clamp_to_the_end_of_shorter_months(day, amount, unit, result):
    assert add_interval(day, amount, unit) == result


@pytest.mark.parametrize(
    ("day", "amount", "unit"),
    [
        (date(9999, 12, 1), 1, Unit.MONTH),
        (date(9999, 12, 31), 1, Unit.DAY),
        (date(1, 1, 1), -1, Unit.YEAR),
    ],
)
def test_calendar_steps_past_the_ends_of_the_calendar_overflow(day, amount, unit):
    with pytest.raises(OverflowError):
        add_interval(day, amount, unit)


def test_earliest_booking_after_a_session_keeps_the_minimum_interval_less_the_tolerance():
    phase = parse_protocol("every 2-3 weeks ±2 days")[0]
    assert earliest_after(phase, MONDAY_5_JANUARY) == date(2026, 1, 17)
    assert earliest_after(parse_protocol("monthly")[0], date(2026, 1, 31)) == date(2026, 2, 28)


# The expansion rule
# ==================


def test_every_two_weeks_for_one_to_two_months_from_5_january():
    windows = expand(parse_protocol("every 2 weeks for 1-2 months"), MONDAY_5_JANUARY)
    assert [(w.due, w.optional) for w in windows] == [
        (date(2026, 1, 5), False),
        (date(2026, 1, 19), False),
        (date(2026, 2, 2), False),
        (date(2026, 2, 16), True),
        (date(2026, 3, 2), True),
    ]
    assert [w.number for w in windows] == [1, 2, 3, 4, 5]
    assert {w.phase for w in windows} == {1}


def test_first_published_protocol_over_two_years():
    windows = expand(parse_protocol(FIRST_PROTOCOL), MONDAY_5_JANUARY)
    assert [(w.phase, w.due) for w in windows[5:]] == [
        # one month after the last (optional) session of the first phase
        (2, date(2026, 4, 2)),
        (2, date(2026, 5, 2)),
        (2, date(2026, 6, 2)),
        # three months after the last monthly session, then until 5 January 2028
        (3, date(2026, 9, 2)),
        (3, date(2026, 12, 2)),
        (3, date(2027, 3, 2)),
        (3, date(2027, 6, 2)),
        (3, date(2027, 9, 2)),
        (3, date(2027, 12, 2)),
    ]
    maintenance = windows[8:]
    # "every 3-6 months": due from 3 months, overdue after 6
    assert maintenance[0].latest == date(2026, 12, 2)  # 2 June + 6 months
    assert maintenance[1].latest == date(2027, 3, 2)  # 2 Sep + 6 months
    assert all(w.earliest == w.due for w in windows)


def test_monthly_from_31_january_is_counted_from_the_anchor_not_chained():
    windows = expand(parse_protocol("monthly, 4 sessions"), date(2026, 1, 31))
    assert dues(windows) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_a_plan_started_on_29_february_keeps_to_february_ends():
    windows = expand(parse_protocol("yearly, 5 sessions"), date(2028, 2, 29))
    assert dues(windows) == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_a_monthly_plan_through_february_of_a_leap_year():
    windows = expand(parse_protocol("monthly, 3 sessions"), date(2028, 1, 30))
    assert dues(windows) == [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30)]


def test_a_range_of_sessions_makes_the_ones_after_the_minimum_optional():
    windows = expand(parse_protocol("weekly, 3-5 sessions"), MONDAY_5_JANUARY)
    assert [w.optional for w in windows] == [False, False, False, True, True]


def test_a_duration_includes_sessions_due_before_its_longest_end_only():
    # weekly for 2-4 weeks from 5 Jan: optional from 19 Jan, over on 2 Feb
    windows = expand(parse_protocol("weekly for 2-4 weeks"), MONDAY_5_JANUARY)
    assert [(w.due, w.optional) for w in windows] == [
        (date(2026, 1, 5), False),
        (date(2026, 1, 12), False),
        (date(2026, 1, 19), True),
        (date(2026, 1, 26), True),
    ]


def test_an_open_ended_phase_runs_to_the_horizon_inclusive():
    windows = expand(parse_protocol("monthly"), MONDAY_5_JANUARY)
    assert len(windows) == 25
    assert windows[-1].due == date(2028, 1, 5)
    assert dues(expand(parse_protocol("monthly"), MONDAY_5_JANUARY, horizon_months=2)) == [
        date(2026, 1, 5),
        date(2026, 2, 5),
        date(2026, 3, 5),
    ]


def test_a_closed_protocol_ignores_the_horizon():
    windows = expand(parse_protocol("yearly, 4 sessions"), MONDAY_5_JANUARY, horizon_months=1)
    assert len(windows) == 4


def test_maintenance_that_would_start_past_the_horizon_adds_nothing():
    phases = parse_protocol("monthly, 2 sessions, then yearly")
    windows = expand(phases, MONDAY_5_JANUARY, horizon_months=6)
    # the first yearly session would be due on 5 Feb 2027, past the horizon of 5 Jul 2026
    assert [(w.phase, w.due) for w in windows] == [(1, date(2026, 1, 5)), (1, date(2026, 2, 5))]


def test_the_first_session_is_due_on_the_start_and_only_the_tolerance_after():
    windows = expand(parse_protocol("every 2 weeks ±2 days, 3 sessions"), MONDAY_5_JANUARY)
    first, second, third = windows
    assert (first.earliest, first.due, first.latest) == (
        date(2026, 1, 5),
        date(2026, 1, 5),
        date(2026, 1, 7),
    )
    assert (second.earliest, second.due, second.latest) == (
        date(2026, 1, 17),
        date(2026, 1, 19),
        date(2026, 1, 21),
    )
    assert (third.earliest, third.latest) == (date(2026, 1, 31), date(2026, 2, 4))


def test_an_interval_range_puts_the_latest_where_the_longest_interval_would():
    windows = expand(parse_protocol("every 2-4 weeks, 3 sessions"), MONDAY_5_JANUARY)
    assert [(w.due, w.latest) for w in windows] == [
        (date(2026, 1, 5), date(2026, 1, 5)),
        (date(2026, 1, 19), date(2026, 2, 2)),  # 5 Jan + 4 weeks
        (date(2026, 2, 2), date(2026, 2, 16)),  # 5 Jan + 2 + 4 weeks
    ]


def test_a_later_phase_opens_its_window_from_the_previous_phase_last_session():
    protocol = "weekly, 2 sessions, then every 2-3 weeks ±1 day, 2 sessions"
    windows = expand(parse_protocol(protocol), MONDAY_5_JANUARY)
    assert [(w.phase, w.earliest, w.due, w.latest) for w in windows] == [
        (1, date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 5)),
        (1, date(2026, 1, 12), date(2026, 1, 12), date(2026, 1, 12)),
        (2, date(2026, 1, 25), date(2026, 1, 26), date(2026, 2, 3)),  # 12 Jan + 3 weeks + 1
        (2, date(2026, 2, 8), date(2026, 2, 9), date(2026, 2, 17)),  # 26 Jan + 3 weeks + 1
    ]


def test_a_protocol_of_more_than_500_sessions_is_refused():
    with pytest.raises(ProtocolTooLong, match="more than 500 sessions"):
        expand(parse_protocol("daily"), MONDAY_5_JANUARY)
    with pytest.raises(ProtocolTooLong):
        expand(parse_protocol("daily, 501 sessions"), MONDAY_5_JANUARY)
    assert len(expand(parse_protocol("daily, 500 sessions"), MONDAY_5_JANUARY)) == 500


def test_too_long_is_a_protocol_error_for_the_forms():
    assert issubclass(ProtocolTooLong, ProtocolError)
    with pytest.raises(ProtocolError, match=re.escape(engine.TOO_MANY_SESSIONS)):
        expand(parse_protocol("every 2 days for 3 years"), MONDAY_5_JANUARY)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("yearly, 10 sessions", date(9995, 6, 1)),
        ("every 9999 years, 2 sessions", MONDAY_5_JANUARY),
    ],
)
def test_a_protocol_running_past_year_9999_is_refused(text, start):
    with pytest.raises(ProtocolError, match=re.escape(engine.PAST_THE_CALENDAR)):
        expand(parse_protocol(text), start)


@pytest.mark.parametrize(
    "text",
    [
        "every 99999999999 days, 2 sessions",
        "monthly for 40000 years",
        "every 2 weeks for " + "9" * 4301 + " months",  # past Python's int() digit limit
        "every ٣ weeks",  # an Arabic-Indic digit: int() reads it, the clinic does not
        "every ² weeks",
    ],
)
def test_a_protocol_number_is_at_most_four_ascii_digits(text):
    with pytest.raises(ProtocolError, match="expected a number") as refused:
        parse_protocol(text)
    assert len(str(refused.value)) < 200  # the message does not repeat 4,301 digits


def test_re_planning_past_year_9999_is_refused():
    phases = parse_protocol("yearly, 10 sessions")
    with pytest.raises(ProtocolError, match=re.escape(engine.PAST_THE_CALENDAR)):
        replan(phases, date(9980, 6, 1), [Outcome(1, date(9995, 6, 1))])


def test_expanding_invalid_phases_is_refused():
    with pytest.raises(ProtocolError, match=re.escape(engine.NO_PHASES)):
        expand([], MONDAY_5_JANUARY)
    with pytest.raises(ProtocolError, match=re.escape(engine.OPEN_PHASE_NOT_LAST)):
        expand([every(1), every(2)], MONDAY_5_JANUARY)


def test_plans_starting_four_years_apart_share_their_shape_but_not_their_dates():
    phases = parse_protocol(FIRST_PROTOCOL)
    early = expand(phases, date(2027, 3, 31))
    later = expand(phases, date(2031, 3, 31))
    assert [w.due.replace(year=w.due.year + 4) for w in early] == dues(later)
    assert expand(phases, date(2027, 3, 31)) == early


def test_phases_given_as_a_list_expand_like_a_tuple():
    phases = parse_protocol(FIRST_PROTOCOL)
    assert expand(list(phases), MONDAY_5_JANUARY) == expand(phases, MONDAY_5_JANUARY)


# Re-planning
# ===========

SIX_FORTNIGHTLY = "every 2 weeks ±2 days, 6 sessions"


def done(*days):
    return [Outcome(number, day) for number, day in enumerate(days, start=1)]


def test_nothing_done_yet_replans_to_the_expansion():
    phases = parse_protocol(FIRST_PROTOCOL)
    assert replan(phases, MONDAY_5_JANUARY, []) == expand(phases, MONDAY_5_JANUARY)


def test_sessions_done_on_their_due_dates_change_nothing():
    phases = parse_protocol("monthly for 4 months, then every 2-3 months")
    start = date(2026, 1, 31)
    planned = expand(phases, start)
    held = done(*dues(planned[:5]))
    assert replan(phases, start, held) == planned[5:]


def test_late_session_pushes_the_next_ones():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 5), date(2026, 1, 23)))
    assert [w.number for w in rest] == [3, 4, 5, 6]
    assert dues(rest) == [date(2026, 2, 6), date(2026, 2, 20), date(2026, 3, 6), date(2026, 3, 20)]
    assert (rest[0].earliest, rest[0].latest) == (date(2026, 2, 4), date(2026, 2, 8))


def test_early_session_brings_the_next_ones_forward():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 5), date(2026, 1, 17)))
    assert dues(rest)[0] == date(2026, 1, 31)


def test_late_monthly_session_counts_months_from_the_day_it_was_held():
    phases = parse_protocol("monthly, 4 sessions")
    rest = replan(phases, date(2026, 1, 31), done(date(2026, 1, 31), date(2026, 3, 3)))
    assert dues(rest) == [date(2026, 4, 3), date(2026, 5, 3)]


def test_skipped_session_is_offered_again_and_still_counts_as_owed():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    planned = expand(phases, MONDAY_5_JANUARY)
    outcomes = [Outcome(1, date(2026, 1, 5)), Outcome(2, None)]
    rest = replan(phases, MONDAY_5_JANUARY, outcomes)
    assert [w.number for w in rest] == [3, 4, 5, 6, 7]  # five treatments still to give
    offered_again = rest[0]
    assert (offered_again.earliest, offered_again.due, offered_again.latest) == (
        planned[1].earliest,
        planned[1].due,
        planned[1].latest,
    )


def test_no_show_on_the_first_session_offers_it_again_on_the_start_date():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    rest = replan(phases, MONDAY_5_JANUARY, [Outcome(1, None)])
    assert rest[0].number == 2
    assert (rest[0].earliest, rest[0].due, rest[0].latest) == (
        date(2026, 1, 5),
        date(2026, 1, 5),
        date(2026, 1, 7),
    )
    assert len(rest) == 6


def test_skipped_optional_session_ends_its_phase():
    phases = parse_protocol("every 2 weeks, 2-4 sessions, then monthly, 2 sessions")
    outcomes = [*done(date(2026, 1, 5), date(2026, 1, 21)), Outcome(3, None)]
    rest = replan(phases, MONDAY_5_JANUARY, outcomes)
    assert [(w.number, w.phase, w.due) for w in rest] == [
        (4, 2, date(2026, 2, 21)),  # one month after the last session held
        (5, 2, date(2026, 3, 21)),
    ]


def test_skipped_optional_session_of_the_last_phase_ends_the_plan():
    phases = parse_protocol("weekly, 1-3 sessions")
    assert replan(phases, MONDAY_5_JANUARY, [*done(MONDAY_5_JANUARY), Outcome(2, None)]) == ()


def test_late_session_moves_the_end_of_a_duration_by_as_many_days():
    phases = parse_protocol("every 2 weeks for 1-2 months")
    # 19 Jan held a week late: optional from 12 Feb instead of 5 Feb, over on 12 Mar
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 5), date(2026, 1, 26)))
    assert [(w.due, w.optional) for w in rest] == [
        (date(2026, 2, 9), False),
        (date(2026, 2, 23), True),
        (date(2026, 3, 9), True),
    ]


def test_late_last_session_of_a_phase_moves_the_next_phase():
    phases = parse_protocol("weekly, 2 sessions, then every 1-2 months, 2 sessions")
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 5), date(2026, 1, 16)))
    assert [(w.phase, w.due, w.latest) for w in rest] == [
        (2, date(2026, 2, 16), date(2026, 3, 16)),
        (2, date(2026, 3, 16), date(2026, 4, 16)),
    ]


def test_sessions_running_late_do_not_move_the_horizon():
    phases = parse_protocol("monthly")
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 20)), horizon_months=3)
    assert dues(rest) == [date(2026, 2, 20), date(2026, 3, 20)]  # 20 Apr is past 5 Apr


def test_the_next_phase_starts_after_the_last_session_of_a_count():
    phases = parse_protocol("weekly, 2 sessions, then monthly, 1 session")
    rest = replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 5), date(2026, 1, 12)))
    assert [(w.number, w.phase, w.due) for w in rest] == [(3, 2, date(2026, 2, 12))]


def test_outcomes_must_follow_the_plan_in_order():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    with pytest.raises(ValueError, match="got session 2"):
        replan(phases, MONDAY_5_JANUARY, [Outcome(2, MONDAY_5_JANUARY)])


def test_outcomes_past_the_end_of_the_plan_are_refused():
    phases = parse_protocol("weekly, 1 session")
    with pytest.raises(ValueError, match="Session 2 is past the end of the plan"):
        replan(phases, MONDAY_5_JANUARY, done(MONDAY_5_JANUARY, date(2026, 1, 12)))


def test_a_session_cannot_be_done_before_the_one_before_it():
    phases = parse_protocol(SIX_FORTNIGHTLY)
    with pytest.raises(ValueError, match="cannot be done before"):
        replan(phases, MONDAY_5_JANUARY, done(date(2026, 1, 10), date(2026, 1, 9)))


@pytest.mark.parametrize(
    ("text", "following", "expected"),
    [
        ("every 2 weeks", date(2026, 3, 2), date(2026, 2, 16)),
        ("every 2 weeks ±2 days", date(2026, 3, 2), date(2026, 2, 18)),
        ("monthly", date(2026, 3, 31), date(2026, 2, 28)),
    ],
)
def test_spacing_before_a_booked_session_mirrors_the_spacing_after(text, following, expected):
    phase = parse_protocol(text)[0]
    assert latest_before(phase, following) == expected
    assert earliest_after(phase, expected) <= following
