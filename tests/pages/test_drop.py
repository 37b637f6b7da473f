"""A card dropped on another time, column or day: the move's own checks answer before
anything is saved, in JSON for the page's script; outside the window it asks first."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import booking
from tests import factories
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def tomorrow():
    """The next weekday after the suite's day: its clinicians work then."""
    day = ClinicSettings.load().today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def drop(client, appointment, day, at, **fields):
    data = {
        "day": day.isoformat(),
        "time": at,
        "clinician": appointment.clinician_id,
        "room": appointment.room_id,
        **fields,
    }
    return client.post(reverse("appointment_drop", args=[appointment.pk]), data).json()


def test_a_drop_on_another_clinicians_column_moves_it_there(client, receptionist, tomorrow):
    mine, theirs = clinic_day(tomorrow, clinicians=2, per_clinician=1)
    client.force_login(receptionist)

    answer = drop(client, mine, tomorrow, "13:00", clinician=theirs.clinician_id)

    assert answer == {"ok": True}
    mine.refresh_from_db()
    tz = ClinicSettings.load().tz
    assert (mine.starts_at, mine.clinician_id) == (
        datetime.combine(tomorrow, time(13), tzinfo=tz),
        theirs.clinician_id,
    )
    page = client.get(reverse("schedule_day", args=[tomorrow])).text
    assert "moved to" in page  # the page the script reloads says so


def test_a_drop_on_a_taken_time_is_refused_and_nothing_moves(client, receptionist, tomorrow):
    first, second = clinic_day(tomorrow, per_clinician=2)
    client.force_login(receptionist)
    taken = second.starts_at.astimezone(ClinicSettings.load().tz)

    answer = drop(client, first, tomorrow, f"{taken:%H:%M}")

    assert answer == {"ok": False, "message": booking.SLOT_TAKEN, "confirm": False}
    before = first.starts_at
    first.refresh_from_db()
    assert first.starts_at == before


def test_a_drop_outside_the_window_asks_then_moves_once_confirmed(client, receptionist, tomorrow):
    appointment = clinic_day(tomorrow, per_clinician=1)[0]
    client.force_login(receptionist)
    far = tomorrow + timedelta(days=45)
    while far.weekday() >= 5:
        far += timedelta(days=1)

    asked = drop(client, appointment, far, "10:00")
    assert asked["ok"] is False and asked["confirm"] is True and "window" in asked["message"]
    appointment.refresh_from_db()
    assert appointment.starts_at.date() == tomorrow

    assert drop(client, appointment, far, "10:00", confirm_outside="on") == {"ok": True}
    appointment.refresh_from_db()
    assert appointment.outside_window


def test_only_booked_cards_can_be_dragged(client, receptionist, tomorrow):
    booked, done = clinic_day(tomorrow, per_clinician=2)
    factories.make_clinician()
    done.status = "arrived"
    done.save(update_fields=["status"])
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[tomorrow])).text
    assert f'draggable="true" data-appointment="{booked.pk}"' in page
    assert f'data-appointment="{done.pk}"' not in page
    assert 'data-drop-clinician="' in page and f'data-drop-day="{tomorrow.isoformat()}"' in page


def test_a_drop_needs_sign_in(client, tomorrow):
    appointment = clinic_day(tomorrow, per_clinician=1)[0]
    response = client.post(reverse("appointment_drop", args=[appointment.pk]), {})
    assert response.status_code == 302 and "login" in response.url
