"""Moving an appointment from its card's menu by typing a date and time (keyboard and
touch users' drag): checked as any move, back to the day when it is done, the reason on
the session's booking page when it is refused."""

from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans.models import Appointment
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def today():
    """The next weekday after the suite's day: its clinicians work then."""
    day = ClinicSettings.load().today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def weekday_after(day, days):
    day += timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def move(client, appointment, day, at, back):
    menu = client.get(
        reverse("schedule_day", args=[day]), {"actions": appointment.pk}, headers=HTMX
    ).text
    assert 'aria-label="Move to another date and time"' in menu
    submission = menu.split('name="submission" value="')[1].split('"')[0]
    return client.post(
        reverse("appointment_move", args=[appointment.pk]),
        {
            "next": back,
            "submission": submission,
            "clinician": appointment.clinician_id,
            "room": appointment.room_id,
            "day": day.isoformat(),
            "time": at,
        },
    )


def test_the_card_menu_moves_to_a_typed_time_and_returns_to_the_day(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    back = reverse("schedule_day", args=[today])

    response = move(client, appointment, today, "15:00", back)

    assert response.status_code == 302 and response.url == back
    appointment.refresh_from_db()
    tz = ClinicSettings.load().tz
    assert appointment.starts_at == datetime.combine(today, time(15), tzinfo=tz)
    assert appointment.status == Appointment.Status.BOOKED


def test_a_refused_time_says_why_where_it_was_typed(client, receptionist, today):
    first, second = clinic_day(today, per_clinician=2)
    client.force_login(receptionist)
    back = reverse("schedule_day", args=[today])
    taken = second.starts_at.astimezone(ClinicSettings.load().tz)

    response = move(client, first, today, f"{taken:%H:%M}", back)

    assert response.status_code == 200
    assert "taken by another appointment" in unescape(response.content.decode())
    first.refresh_from_db()
    assert first.starts_at != second.starts_at


def test_a_time_outside_the_window_asks_for_the_confirmation(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    far = weekday_after(today, 60)
    back = reverse("schedule_day", args=[today])

    response = move(client, appointment, far, "10:00", back)

    assert response.status_code == 200
    assert response.context["typed"].errors["confirm_outside"]
    appointment.refresh_from_db()
    assert appointment.starts_at.date() != far
