"""The demo clinic loads once and a second run adds nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command

from plans.models import Appointment, Session

pytestmark = pytest.mark.django_db


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"clinic", "patients", "plans", "auth"}
    }


def test_demo_clinic_is_believable_and_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo")
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


def test_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")
