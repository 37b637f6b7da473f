"""How fast the plan engine expands a protocol, next to a plain session-by-session expansion.

Expands the first published protocol for 10,000 plans, each starting on a different day,
with `plans.engine.expand` (caches cleared first, so the figure includes filling them) and
with `plain_expand` below: the rule written out directly, one relativedelta per date. Both
must give the same windows. Prints plans per second; the last line is
`engine: N plans/s, plain: M plans/s, ratio: R`.

Run from the repository root: `.venv/bin/python bench/engine.py`.
"""

import sys
import time
from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plans import engine
from plans.engine import Phase, SessionWindow, SpanKind

PROTOCOL = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"
PLANS = 10_000
FIRST_START = date(2026, 1, 1)


def _step(amount: int, unit: str) -> relativedelta:
    return relativedelta(**{f"{unit}s": amount})


def plain_expand(phases: tuple[Phase, ...], start: date, horizon_months: int = 24):
    """The expansion rule as the issue states it, computing every date with relativedelta."""
    horizon_end = start + relativedelta(months=horizon_months)
    windows = []
    previous_due = None
    for number, phase in enumerate(phases, start=1):
        unit, tolerance = phase.interval_unit, timedelta(days=phase.tolerance_days)
        anchor = start if number == 1 else previous_due + _step(phase.interval_min, unit)
        if phase.span_kind == SpanKind.DURATION:
            optional_from = anchor + _step(phase.span_min, phase.span_unit)
            end = anchor + _step(phase.span_max, phase.span_unit)
        k = 0
        while True:
            due = anchor + _step(k * phase.interval_min, unit)
            if phase.span_kind == SpanKind.COUNT:
                if k >= phase.span_max:
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
            if k > 0:
                latest = anchor + _step((k - 1) * phase.interval_min + phase.interval_max, unit)
                earliest = due - tolerance
            elif previous_due is not None:
                latest = previous_due + _step(phase.interval_max, unit)
                earliest = due - tolerance
            else:
                latest, earliest = due, due
            windows.append(
                SessionWindow(len(windows) + 1, number, due, earliest, latest + tolerance, optional)
            )
            k += 1
        previous_due = windows[-1].due
    return tuple(windows)


def _clear_engine_caches() -> None:
    engine._checked.cache_clear()
    engine._leap_years.cache_clear()


def _plans_per_second(expand, phases, starts) -> tuple[float, list]:
    plans = []
    began = time.perf_counter()
    for start in starts:
        plans.append(expand(phases, start))
    return len(starts) / (time.perf_counter() - began), plans


def main() -> None:
    phases = engine.parse_protocol(PROTOCOL)
    starts = [FIRST_START + timedelta(days=day) for day in range(PLANS)]
    print(f"protocol: {engine.render_protocol(phases)}")
    print(f"{PLANS} plans starting {starts[0]} .. {starts[-1]}")
    best_engine, best_plain = 0.0, 0.0
    for _ in range(3):
        _clear_engine_caches()
        rate, engine_plans = _plans_per_second(engine.expand, phases, starts)
        best_engine = max(best_engine, rate)
        rate, plain_plans = _plans_per_second(plain_expand, phases, starts)
        best_plain = max(best_plain, rate)
        if engine_plans != plain_plans:
            raise SystemExit("the engine and the plain expansion disagree")
    sessions = sum(len(plan) for plan in engine_plans)
    print(f"{sessions} session windows per run, best of 3 runs, caches cleared before each")
    print(
        f"engine: {best_engine:.0f} plans/s, plain: {best_plain:.0f} plans/s, "
        f"ratio: {best_engine / best_plain:.1f}"
    )


if __name__ == "__main__":
    main()
