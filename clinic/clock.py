"""The clock seam: everything that asks "what time is it?" asks here.

Tests move the clock with `tests.conftest`'s `clock` fixture (one fixed instant for
the whole suite, overridable per test, or from `CLINIC_TEST_NOW`); nothing else in the
code reads `timezone.now()` or `date.today()`.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def today(tz: ZoneInfo) -> date:
    """The current day on the clock of `tz` (the clinic's)."""
    return timezone.localdate(now(), tz)
