"""`manage.py plan_preview`: the engine's contract on the command line."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from plans import engine
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
FIRST_EXAMPLE = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"


def preview(*args) -> str:
    out = StringIO()
    call_command("plan_preview", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_json_output_is_one_object_with_every_session():
    data = json.loads(preview(FIRST_EXAMPLE, "--start", "2026-01-05", "--json"))
    assert data["protocol"] == FIRST_EXAMPLE
    assert data["start"] == "2026-01-05"
    assert data["sessions"][:4] == [
        {
            "number": 1,
            "phase": 1,
            "due": "2026-01-05",
            "earliest": "2026-01-05",
            "latest": "2026-01-05",
            "optional": False,
        },
        {
            "number": 2,
            "phase": 1,
            "due": "2026-01-19",
            "earliest": "2026-01-19",
            "latest": "2026-01-19",
            "optional": False,
        },
        {
            "number": 3,
            "phase": 1,
            "due": "2026-02-02",
            "earliest": "2026-02-02",
            "latest": "2026-02-02",
            "optional": False,
        },
        {
            "number": 4,
            "phase": 1,
            "due": "2026-02-16",
            "earliest": "2026-02-16",
            "latest": "2026-02-16",
            "optional": True,
        },
    ]
    expected = engine.expand(engine.parse_protocol(FIRST_EXAMPLE), engine.date(2026, 1, 5))
    assert len(data["sessions"]) == len(expected)


@pytest.mark.django_db
def test_horizon_limits_the_open_ended_phase():
    short = json.loads(
        preview("every 2-4 weeks", "--start", "2026-01-05", "--json", "--horizon-months", "2")
    )
    assert [s["due"] for s in short["sessions"]] == [
        "2026-01-05",
        "2026-01-19",
        "2026-02-02",
        "2026-02-16",
        "2026-03-02",
    ]


@pytest.mark.django_db
def test_a_saved_protocol_is_found_by_name():
    factories.make_protocol("6 sessions every 2 weeks ±2 days", name="Dark circles course")
    data = json.loads(preview("dark circles course", "--start", "2026-03-02", "--json"))
    assert data["protocol"] == "every 2 weeks ±2 days, 6 sessions"
    assert len(data["sessions"]) == 6


@pytest.mark.django_db
def test_table_shows_weekdays_and_optional_sessions():
    table = preview("every 2 weeks for 1-2 months", "--start", "2026-01-05")
    assert "Mon 05 Jan 2026" in table
    assert table.count("yes") == 2


def run(*args):
    return subprocess.run(
        [sys.executable, "manage.py", "plan_preview", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["every 2 fortnights", "--start", "2026-01-05"], "expected a unit"),
        (["every 2 weeks", "--start", "5 January"], "--start must be a date"),
        (["daily", "--start", "2026-01-05"], "500"),
    ],
)
def test_bad_input_is_one_line_on_stderr_without_traceback(args, message):
    result = run(*args)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr
