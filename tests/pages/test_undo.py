"""Arrived and no-show undone the same day, from the card's menu or the session page: the
appointment is booked again and the trail keeps the undo with who made it; a no-show is
asked for first; another day's, or a time taken meanwhile, cannot be undone."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import booking, services
from plans.models import Appointment, Session
from tests import factories
from tests.factories import book
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def today():
    return ClinicSettings.load().today()


def act(client, appointment, action, **headers):
    return client.post(
        reverse("appointment_act", args=[appointment.pk]), {"action": action}, headers=headers
    )


def menu(client, appointment, day):
    url = reverse("schedule_day", args=[day])
    return client.get(url, {"actions": appointment.pk}, headers=HTMX).content.decode()


def test_an_arrival_is_undone_from_the_card_and_kept_in_the_trail(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    act(client, appointment, "arrived", **HTMX)
    assert 'value="undo_arrival"' in menu(client, appointment, today)

    response = act(client, appointment, "undo_arrival", **HTMX)

    assert response.status_code == HTTPStatus.OK and "Booked" in response.text
    appointment.refresh_from_db()
    assert (appointment.status, appointment.arrived_at) == (Appointment.Status.BOOKED, None)
    trail = list(appointment.trail.order_by("history_date", "history_id"))
    assert [v.status for v in trail[-3:]] == ["booked", "arrived", "booked"]
    assert trail[-1].changed_by == receptionist


def test_a_no_show_asks_first_and_is_undone_the_same_day(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    opened = menu(client, appointment, today)
    assert 'hx-confirm="Mark ' in opened and "as a no-show?" in opened
    assert '"confirm": "yes"' in opened

    client.post(
        reverse("appointment_act", args=[appointment.pk]),
        {"action": "no_show", "confirm": "yes"},
        headers=HTMX,
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    day = client.get(reverse("schedule_day", args=[today])).text
    assert f'hx-get="{reverse("schedule_day", args=[today])}?actions={appointment.pk}"' in day
    assert 'value="undo_no_show"' in menu(client, appointment, today)

    act(client, appointment, "undo_no_show", **HTMX)

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.session.status == Session.Status.BOOKED
    assert appointment.trail.order_by("-history_date", "-history_id")[0].changed_by == receptionist


def test_yesterdays_arrival_or_no_show_stands(client, receptionist, today, clock):
    arrived, missed = clinic_day(today, per_clinician=2)
    services.appointment_mark_arrived(appointment=arrived)
    services.appointment_mark_no_show(appointment=missed)
    clock.set(clock.now + timedelta(days=1))
    client.force_login(receptionist)

    for appointment, action in ((arrived, "undo_arrival"), (missed, "undo_no_show")):
        response = act(client, appointment, action, **HTMX)
        assert "Only an arrival or a no-show of today can be undone" in response.text
    assert 'value="undo_' not in menu(client, arrived, today)
    assert 'value="undo_' not in menu(client, missed, today)
    arrived.refresh_from_db()
    missed.refresh_from_db()
    assert (arrived.status, missed.status) == (
        Appointment.Status.ARRIVED,
        Appointment.Status.NO_SHOW,
    )


def test_a_no_show_whose_time_was_taken_meanwhile_stays_one(receptionist, today):
    missed = clinic_day(today, per_clinician=1)[0]
    services.appointment_mark_no_show(appointment=missed)
    other = factories.make_plan(clinician=missed.clinician, start_date=today)
    book(other.sessions.get(number=1), missed.starts_at, missed.clinician, missed.room)

    with pytest.raises(ValidationError) as refused:
        booking.appointment_undo_no_show(appointment=missed, by=receptionist)

    assert booking.SLOT_TAKEN in str(refused.value)
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW
    assert missed.session.status == Session.Status.TO_BOOK


def test_a_no_show_whose_session_was_booked_again_stays_one(receptionist, today):
    missed = clinic_day(today, per_clinician=1)[0]
    services.appointment_mark_no_show(appointment=missed)
    book(missed.session, missed.starts_at + timedelta(days=1), missed.clinician, missed.room)

    with pytest.raises(ValidationError) as refused:
        booking.appointment_undo_no_show(appointment=missed, by=receptionist)

    assert "was booked again meanwhile" in str(refused.value)
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW


def test_the_session_page_offers_the_undo(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    services.appointment_mark_no_show(appointment=appointment)
    client.force_login(receptionist)
    url = reverse("session_detail", args=[appointment.session_id])
    assert reverse("appointment_undo_no_show", args=[appointment.pk]) in client.get(url).text

    response = client.post(
        reverse("appointment_undo_no_show", args=[appointment.pk]), {"next": url}
    )

    assert response["Location"] == url
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
