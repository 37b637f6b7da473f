"""The demo clinic loads once and a second run adds nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import F

from clinic.management.commands.load_demo import served_at
from plans.models import Appointment, ProductUse, Session

pytestmark = pytest.mark.django_db


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"clinic", "patients", "plans", "auth"}
    }


def test_demo_clinic_is_believable_and_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo", address="0.0.0.0:8123")
    first = counts()
    printed = capsys.readouterr().out
    call_command("load_demo")
    assert counts() == first
    assert first["patients.Patient"] == 40
    assert first["patients.Screening"] == 40
    assert first["plans.Protocol"] == 4
    assert first["clinic.Clinician"] == 3
    assert first["clinic.Room"] == 3
    assert first["plans.Session"] > 0
    # A running clinic: sessions held in the past, others booked ahead.
    assert Session.objects.filter(status=Session.Status.DONE).exists()
    assert Session.objects.filter(status=Session.Status.BOOKED).exists()
    assert first["plans.Appointment"] > 0
    # Each step agrees with its appointments: a done one has its done appointment, a
    # booked one its booked appointment, one to book has none live.
    for status, appointment_status in [
        (Session.Status.DONE, Appointment.Status.DONE),
        (Session.Status.BOOKED, Appointment.Status.BOOKED),
    ]:
        steps = Session.objects.filter(status=status)
        assert (
            steps.count()
            == Appointment.objects.filter(session__in=steps, status=appointment_status).count()
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


def test_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")
