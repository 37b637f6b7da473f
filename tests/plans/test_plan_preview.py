"""`manage.py plan_preview`: the engine's contract on the command line."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from clinic.models import ClinicSettings
from plans import engine
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
FIRST_EXAMPLE = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"


def preview(*args) -> str:
    out = StringIO()
    call_command("plan_preview", *args, stdout=out)
    return out.getvalue()


def windows(data):
    return [(s["earliest"], s["due"], s["latest"]) for s in data["sessions"]]


@pytest.mark.django_db
def test_json_output_is_one_object_with_every_session():
    data = json.loads(
        preview(
            FIRST_EXAMPLE, "--start", "2026-01-05", "--json", "--default-tolerance-percent", "0"
        )
    )
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
def test_a_fresh_clinic_gives_fixed_intervals_its_default_tolerance():
    data = json.loads(preview(FIRST_EXAMPLE, "--start", "2026-01-05", "--json"))
    assert ClinicSettings.load().default_tolerance_percent == 15
    assert data["protocol"] == FIRST_EXAMPLE  # as written: the defaults are not part of it
    assert windows(data)[:2] == [
        ("2026-01-05", "2026-01-05", "2026-01-07"),  # every 2 weeks: ±2 days
        ("2026-01-17", "2026-01-19", "2026-01-21"),
    ]
    assert windows(data)[5] == ("2026-03-28", "2026-04-02", "2026-04-07")  # monthly: ±5 days
    assert windows(data)[8] == ("2026-09-02", "2026-09-02", "2026-12-02")  # every 3-6 months
    resolved = engine.with_default_tolerance(engine.parse_protocol(FIRST_EXAMPLE), 15)
    assert len(data["sessions"]) == len(engine.expand(resolved, engine.date(2026, 1, 5)))


@pytest.mark.django_db
def test_the_clinic_setting_sets_the_default_and_the_flag_overrides_it():
    clinic = ClinicSettings.load()
    clinic.default_tolerance_percent = 30
    clinic.save()
    args = ("every 2 weeks, 2 sessions", "--start", "2026-01-05", "--json")
    assert windows(json.loads(preview(*args)))[1] == ("2026-01-15", "2026-01-19", "2026-01-23")
    overridden = json.loads(preview(*args, "--default-tolerance-percent", "15"))
    assert windows(overridden)[1] == ("2026-01-17", "2026-01-19", "2026-01-21")
    none = json.loads(preview(*args, "--default-tolerance-percent", "0"))
    assert windows(none)[1] == ("2026-01-19", "2026-01-19", "2026-01-19")


@pytest.mark.django_db
def test_a_tolerance_written_in_the_protocol_wins_over_the_default():
    data = json.loads(
        preview("every 2 weeks ±0 days, 2 sessions", "--start", "2026-01-05", "--json")
    )
    assert data["protocol"] == "every 2 weeks ±0 days, 2 sessions"
    assert windows(data)[1] == ("2026-01-19", "2026-01-19", "2026-01-19")


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
        (["every 40000 days, 2 sessions", "--start", "2026-01-05"], "at most 4 digits"),
        (["every 2 weeks for " + "9" * 4301 + " months", "--start", "2026-01-05"], "at most 4"),
        (
            ["monthly", "--start", "2026-01-05", "--default-tolerance-percent", "101"],
            "--default-tolerance-percent must be between 0 and 100",
        ),
        (
            ["monthly", "--start", "2026-01-05", "--default-tolerance-percent", "-1"],
            "--default-tolerance-percent must be between 0 and 100",
        ),
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
