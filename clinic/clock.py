"""The clock seam: everything that asks "what time is it?" asks here.

Tests hold the clock with `tests.conftest`'s `clock` fixture (one fixed instant for the
whole suite, `CLINIC_TEST_NOW`, movable per test); the code reads the time only here.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

# What `now` asks; the tests' `clock` fixture replaces it.
_source = timezone.now


def now() -> datetime:
    """The current instant, aware."""
    return _source()


def today(tz: ZoneInfo) -> date:
    """The current day on the clock of `tz` (the clinic's)."""
    return timezone.localdate(now(), tz)
