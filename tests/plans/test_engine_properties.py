"""Laws of the plan engine that hold for any protocol and start date (hypothesis)."""

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.engine import (
    Outcome,
    Phase,
    SessionWindow,
    SpanKind,
    Unit,
    add_interval,
    check_protocol,
    expand,
    parse_protocol,
    render_protocol,
    replan,
    with_default_tolerance,
)

# Intervals short enough to give many sessions, long enough to stay under 500 of them.
INTERVALS = {Unit.DAY: (5, 20), Unit.WEEK: (1, 6), Unit.MONTH: (1, 6), Unit.YEAR: (1, 2)}
FEWEST_DAYS = {Unit.DAY: 1, Unit.WEEK: 7, Unit.MONTH: 28, Unit.YEAR: 365}
DURATIONS = {Unit.DAY: (1, 60), Unit.WEEK: (1, 12), Unit.MONTH: (1, 8), Unit.YEAR: (1, 1)}

# Around three century years, of which only 2000 is a leap year.
starts = st.dates(min_value=date(1890, 1, 1), max_value=date(2210, 12, 31))
horizons = st.integers(min_value=1, max_value=36)


@st.composite
def phases(draw, *, last: bool) -> Phase:
    unit = draw(st.sampled_from(Unit))
    low = draw(st.integers(*INTERVALS[unit]))
    high = draw(st.integers(low, low + 3))
    # None: no tolerance written (the clinic's default, once resolved; 0 until then)
    tolerance = draw(st.none() | st.integers(0, min(FEWEST_DAYS[unit] * low - 1, 10)))
    kind = draw(
        st.sampled_from([SpanKind.COUNT, SpanKind.DURATION, SpanKind.OPEN][: 3 if last else 2])
    )
    span_min = span_max = span_unit = None
    if kind == SpanKind.COUNT:
        span_min = draw(st.integers(1, 8))
        span_max = draw(st.integers(span_min, span_min + 4))
    elif kind == SpanKind.DURATION:
        span_unit = draw(st.sampled_from(Unit))
        span_min = draw(st.integers(*DURATIONS[span_unit]))
        span_max = draw(st.integers(span_min, DURATIONS[span_unit][1]))
    return Phase(
        low,
        high,
        unit,
        tolerance,
        kind,
        span_min,
        span_max,
        span_unit,
        maintenance=draw(st.booleans()),
    )


@st.composite
def protocols(draw) -> tuple[Phase, ...]:
    count = draw(st.integers(1, 3))
    return tuple(draw(phases(last=number == count)) for number in range(1, count + 1))


def step(day: date, amount: int, unit: Unit) -> date:
    return day + relativedelta(**{f"{unit}s": amount})


def expand_as_written(protocol, start, horizon_months):
    """The expansion rule of the issue, word for word, with relativedelta; slow and plain."""
    horizon_end = step(start, horizon_months, Unit.MONTH)
    windows = []
    previous_due = None
    for number, phase in enumerate(protocol, start=1):
        unit, tolerance = phase.interval_unit, timedelta(days=phase.tolerance_days or 0)
        anchor = start if number == 1 else step(previous_due, phase.interval_min, unit)
        if phase.span_kind == SpanKind.DURATION:
            optional_from = step(anchor, phase.span_min, phase.span_unit)
            end = step(anchor, phase.span_max, phase.span_unit)
        k = 0
        while True:
            due = step(anchor, k * phase.interval_min, unit)
            if phase.span_kind == SpanKind.COUNT:
                if k == phase.span_max:
                    break
                optional = k >= phase.span_min
            elif phase.span_kind == SpanKind.DURATION:
                if due >= end:
                    break
                optional = due >= optional_from
            else:
                if due > horizon_end:
                    break
                optional = False
            if k:
                latest = step(anchor, (k - 1) * phase.interval_min + phase.interval_max, unit)
            elif number > 1:
                latest = step(previous_due, phase.interval_max, unit)
            else:
                latest = due
            earliest = due if number == 1 and k == 0 else due - tolerance
            windows.append(
                SessionWindow(len(windows) + 1, number, due, earliest, latest + tolerance, optional)
            )
            k += 1
        previous_due = windows[-1].due
    return tuple(windows)


@settings(max_examples=150, deadline=None)
@given(protocols(), starts, horizons)
def test_due_dates_never_go_back(protocol, start, horizon):
    windows = expand(protocol, start, horizon_months=horizon)
    assert windows[0].due == start
    assert [w.number for w in windows] == list(range(1, len(windows) + 1))
    assert all(a.due < b.due for a, b in pairwise(windows))
    assert all(a.phase <= b.phase for a, b in pairwise(windows))


@settings(max_examples=150, deadline=None)
@given(protocols(), starts, horizons)
def test_every_session_is_due_inside_its_window_and_after_the_one_before(protocol, start, horizon):
    windows = expand(protocol, start, horizon_months=horizon)
    assert all(w.earliest <= w.due <= w.latest for w in windows)
    assert all(a.due < b.earliest for a, b in pairwise(windows))


@settings(max_examples=200, deadline=None)
@given(protocols())
def test_the_canonical_text_reads_back_to_the_same_phases(protocol):
    text = render_protocol(protocol)
    assert parse_protocol(text) == protocol
    assert render_protocol(parse_protocol(text.upper())) == text


@settings(max_examples=100, deadline=None)
@given(protocols(), starts, horizons, st.sampled_from([1, 2, 3, 4, 100, 400]))
def test_expansion_is_deterministic_and_follows_the_rule_as_written(
    protocol, start, horizon, years
):
    windows = expand(protocol, start, horizon_months=horizon)
    assert expand(protocol, start, horizon_months=horizon) == windows
    assert windows == expand_as_written(protocol, start, horizon)
    # a start some years on often shares its calendar, and so its expansion's shape
    later = start + relativedelta(years=years)
    assert expand(protocol, later, horizon_months=horizon) == expand_as_written(
        protocol, later, horizon
    )


percents = st.integers(0, 100)


@settings(max_examples=150, deadline=None)
@given(protocols(), starts, horizons, percents)
def test_default_tolerances_fill_what_is_not_written_and_keep_to_the_rules(
    protocol, start, horizon, percent
):
    resolved = with_default_tolerance(protocol, percent)
    for phase, as_written in zip(resolved, protocol, strict=True):
        if as_written.tolerance_days is not None:
            assert phase == as_written
            continue
        assert replace(phase, tolerance_days=None) == as_written
        if as_written.interval_min != as_written.interval_max or percent == 0:
            assert phase.tolerance_days == 0
        else:
            # the strategy's intervals are all longer than a day, so the day minimum holds
            assert 1 <= phase.tolerance_days <= 14
    check_protocol(resolved)
    assert parse_protocol(render_protocol(resolved)) == resolved
    windows = expand(resolved, start, horizon_months=horizon)
    assert dues(windows) == dues(expand(protocol, start, horizon_months=horizon))
    assert all(w.earliest <= w.due <= w.latest for w in windows)
    assert all(a.due < b.earliest for a, b in pairwise(windows))
    assert windows == expand_as_written(resolved, start, horizon)


def dues(windows):
    return [w.due for w in windows]


@settings(max_examples=500, deadline=None)
@given(
    # 1,200 months either side of these days stays inside the calendar (years 1 to 9999).
    st.dates(min_value=date(101, 1, 1), max_value=date(9800, 12, 31)),
    st.integers(-1200, 1200),
    st.sampled_from(Unit),
)
def test_calendar_steps_agree_with_relativedelta(day, amount, unit):
    if unit == Unit.YEAR:
        amount //= 12
    assert add_interval(day, amount, unit) == step(day, amount, unit)


@settings(max_examples=100, deadline=None)
@given(protocols(), starts, st.integers(0, 12))
def test_sessions_held_on_their_due_dates_leave_the_rest_of_the_plan_as_it_was(
    protocol, start, held
):
    planned = expand(protocol, start)
    held = min(held, len(planned))
    outcomes = [Outcome(w.number, w.due) for w in planned[:held]]
    assert replan(protocol, start, outcomes) == planned[held:]


@settings(max_examples=100, deadline=None)
@given(protocols(), starts, st.lists(st.one_of(st.none(), st.integers(-10, 30)), max_size=8))
def test_what_is_left_after_sessions_moved_or_missed_comes_after_the_last_one_held(
    protocol, start, moves
):
    outcomes, last_held = [], None
    rest = expand(protocol, start)
    for move in moves:
        if not rest:
            break
        held_on = None
        if move is not None:
            held_on = rest[0].due + timedelta(days=move)
            held_on = max(held_on, last_held or held_on)
            last_held = held_on
        outcomes.append(Outcome(rest[0].number, held_on))
        rest = replan(protocol, start, outcomes)
        assert [w.number for w in rest] == list(
            range(len(outcomes) + 1, len(outcomes) + 1 + len(rest))
        )
        assert all(a.due < b.due for a, b in pairwise(rest))
        assert all(w.earliest <= w.due <= w.latest for w in rest)
        if last_held is not None:
            assert all(w.due > last_held for w in rest)
