"""The demo clinic loads once and a second run adds nothing."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import F

from clinic.management.commands.load_demo import served_at
from clinic.models import Closure
from plans import selectors
from plans.models import Appointment, ProductUse, Session

pytestmark = pytest.mark.django_db


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"clinic", "patients", "plans", "auth"}
    }


def test_demo_clinic_is_believable_and_idempotent(settings, capsys, clock):
    """Loaded on a weekday at 11:00 (one load: it takes a while), then again."""
    tz = ZoneInfo("Europe/Paris")
    day = clock.today() + timedelta(days=1)
    while day.weekday() >= 5:  # any weekday, whatever day the suite runs on
        day += timedelta(days=1)
    clock.set(datetime.combine(day, time(11), tzinfo=tz))
    settings.DEBUG = True
    call_command("load_demo", address="0.0.0.0:8123")
    first = counts()
    printed = capsys.readouterr().out
    call_command("load_demo")
    assert counts() == first
    # 40 patients on their courses, and the week's new ones, each screened.
    assert first["patients.Patient"] >= 200
    assert first["patients.Screening"] == first["patients.Patient"]
    assert first["plans.Protocol"] == 4
    assert first["clinic.Clinician"] == 3
    assert first["clinic.Room"] == 3
    assert first["plans.Session"] > 0
    # A running clinic: sessions held in the past, others booked ahead.
    assert Session.objects.filter(status=Session.Status.DONE).exists()
    assert Session.objects.filter(status=Session.Status.BOOKED).exists()
    assert first["plans.Appointment"] > 0
    # Each step agrees with its appointments: a done one has its done appointment, a
    # booked one its live appointment (booked, or the patient arrived), one to book has
    # none live.
    for status, appointment_statuses in [
        (Session.Status.DONE, [Appointment.Status.DONE]),
        (Session.Status.BOOKED, Appointment.LIVE),
    ]:
        steps = Session.objects.filter(status=status)
        assert (
            steps.count()
            == Appointment.objects.filter(
                session__in=steps, status__in=appointment_statuses
            ).count()
        )
    assert not Appointment.objects.filter(
        session__status=Session.Status.TO_BOOK, status__in=Appointment.OCCUPYING
    ).exists()
    for login in ("admin", "reception", "dr.martin"):
        assert login in printed
    assert "Sign in at http://127.0.0.1:8123/" in printed  # where `make run HOST=` serves
    # The demo's treatments trace the batches in date: the lot report has patients.
    assert ProductUse.objects.filter(appointment__status=Appointment.Status.DONE).exists()
    assert not ProductUse.objects.filter(
        batch__expiry_date__lte=F("appointment__starts_at__date")
    ).exists()
    in_full_swing(day, tz)


def in_full_swing(day, tz):
    """Three clinicians' columns full on the day, the week either side booked, arrivals,
    a no-show, a cancellation, the worklist and the board."""

    def on(offset):
        first = datetime.combine(day + timedelta(days=offset), time(0), tzinfo=tz)
        return Appointment.objects.filter(
            starts_at__gte=first, starts_at__lt=first + timedelta(days=1)
        )

    today = on(0)
    assert 30 <= today.count() <= 50
    assert today.values("clinician").distinct().count() == 3
    statuses = set(today.values_list("status", flat=True))
    assert {Appointment.Status.DONE, Appointment.Status.ARRIVED} <= statuses
    assert Appointment.Status.BOOKED in statuses  # the afternoon ahead
    weekdays = [o for o in range(-7, 8) if (day + timedelta(days=o)).weekday() < 5 and o]
    assert all(on(o).count() >= 10 for o in weekdays if not closed_on(day + timedelta(days=o)))
    week = Appointment.objects.filter(
        starts_at__gte=datetime.combine(day - timedelta(days=7), time(0), tzinfo=tz)
    )
    assert week.filter(status=Appointment.Status.NO_SHOW).exists()
    assert week.filter(status__in=Appointment.CANCELLED).exists()
    assert Appointment.objects.filter(needs_rebooking=True, status__in=Appointment.LIVE).exists()
    assert selectors.recall_board(day).total > 0


@pytest.mark.parametrize(
    "address, url",
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("8080", "http://127.0.0.1:8080/"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000/"),
        ("clinic.local", "http://clinic.local:8000/"),
        ("[::1]:8001", "http://[::1]:8001/"),
    ],
)
def test_the_demo_prints_the_address_runserver_serves(address, url):
    assert served_at(address) == url


def closed_on(day) -> bool:
    return Closure.objects.filter(first_day__lte=day, last_day__gte=day).exists()


def test_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")
