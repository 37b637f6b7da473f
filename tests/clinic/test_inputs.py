"""`clinic.inputs`: what the clinic reads from an address, a query string or a form."""

from datetime import date

import pytest
from django.test import RequestFactory

from clinic import inputs


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("42", 42),
        (" 7 ", 7),
        (str(inputs.MAX_ID), inputs.MAX_ID),
        (str(inputs.MAX_ID + 1), None),  # 2**63: past what SQLite and PostgreSQL store
        ("1" * 4301, None),  # past int()'s digit limit
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # int() reads it; ids are ASCII
        ("-1", None),
        ("1e3", None),
        ("", None),
        (None, None),
    ],
)
def test_whole_numbers_are_ascii_digits_up_to_the_largest_id(text, number):
    assert inputs.as_int(text) == number


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-03-14", date(2026, 3, 14)),
        ("1900-01-01", inputs.FIRST_DAY),
        ("2200-12-31", inputs.LAST_DAY),
        ("1899-12-31", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("", None),
    ],
)
def test_days_are_read_inside_the_clinic_calendar(text, day):
    assert inputs.as_day(text) == day


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("/schedule/2026-03-14/?by=room", True),
        ("/recall/", True),
        ("foo", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("http://evil.example/", False),
        ("http://testserver/schedule/", False),  # ours, but not a path: not needed
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_only_a_path_of_this_site_is_a_place_to_return_to(value, kept):
    request = RequestFactory().post("/", {"next": value})
    assert inputs.next_path(request) == (value if kept else "")
