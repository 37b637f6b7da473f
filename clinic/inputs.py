"""What the clinic accepts from an address, a query string or a form, read in one place.

- Days: the clinic's calendar runs from `FIRST_DAY` to `LAST_DAY`. Every date the pages,
  forms and models take is checked against it, so date arithmetic near the ends of
  Python's calendar (year 1, year 9999) can never overflow: a day outside is a 404 in an
  address and `OUTSIDE_CALENDAR` at a form field.
- Integers and ids: ASCII digits only (`str.isdigit()` accepts "²", which `int()`
  refuses), at most `MAX_ID` (the largest id the databases store; SQLite cannot even
  compare with a larger one), so a tampered id is "not found", never a server error.
- Where to go back to (`next`): a local path of this site, else the page's own default.
"""

import re
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
OUTSIDE_CALENDAR = (
    f"Use a date between {FIRST_DAY:%d %b %Y} and {LAST_DAY:%d %b %Y}: the clinic's calendar "
    "does not reach further."
)
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def as_int(value, *, maximum: int = MAX_ID) -> int | None:
    """`value` as a whole number from 0 to `maximum`, or None when it is not one."""
    text = value.strip() if isinstance(value, str) else str(value)
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= maximum else None


def in_calendar(day: date | datetime) -> bool:
    day = day.date() if isinstance(day, datetime) else day
    return FIRST_DAY <= day <= LAST_DAY


def validate_in_calendar(value: date | datetime) -> None:
    """A field validator: the date (or the day of the moment) lies in the clinic's calendar."""
    if value is not None and not in_calendar(value):
        raise ValidationError(OUTSIDE_CALENDAR, code="outside_calendar")


def as_day(text: str | None) -> date | None:
    """An ISO day (2026-03-14) inside the clinic's calendar, or None."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if in_calendar(day) else None


def local_path(request, value: str | None) -> str:
    """`value` if it is a path of this site ("/schedule/?by=room"), else ""."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return ""
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value


def next_path(request) -> str:
    """The page an action should return to, as posted or asked (`next`), if it is ours."""
    return local_path(request, request.POST.get("next") or request.GET.get("next"))


class IdChoiceField(forms.ModelChoiceField):
    """A choice of a row by id: anything but a storable id is an unknown choice."""

    def to_python(self, value):
        typed = value not in self.empty_values and not isinstance(value, self.queryset.model)
        if typed and as_int(value) is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Rows chosen by id: anything but storable ids is an unknown choice."""

    def _check_values(self, value):
        try:
            values = list(value)
        except TypeError:
            values = []
        for item in values:
            if not isinstance(item, self.queryset.model) and as_int(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super()._check_values(value)
