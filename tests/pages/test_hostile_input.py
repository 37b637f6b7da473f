"""Input no page expects gets a message at its field or a 404, never a server error, and
never an action done and then a crash: each of the causes the fuzz test
(`tests/security/test_fuzz.py`) found, as the user would meet it."""

from datetime import date, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from clinic import inputs
from clinic.models import ClinicSettings
from plans.models import BEFORE_BIRTH, Appointment
from tests import factories
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db
BIG = str(2**63)


@pytest.fixture
def client():
    # A server error is a 500 answer here, not an exception raised into the test.
    return Client(raise_request_exception=False)


@pytest.fixture
def today():
    return ClinicSettings.load().today()


@pytest.fixture
def booked(clinician, today):
    return clinic_day(today, clinician=clinician, per_clinician=1)[0]


@pytest.mark.parametrize("target", ["foo", "//evil.example", "http://evil.example/", "/\\x.org"])
def test_a_next_that_is_not_ours_returns_to_the_day_after_the_action(
    client, receptionist, booked, today, target
):
    client.force_login(receptionist)
    response = client.post(reverse("appointment_arrived", args=[booked.pk]), {"next": target})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("schedule_day", args=[today])
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.ARRIVED


def test_a_next_of_ours_is_followed(client, receptionist, booked, today):
    client.force_login(receptionist)
    back = reverse("schedule_day", args=[today]) + "?by=room"
    response = client.post(
        reverse("appointment_no_show", args=[booked.pk]), {"next": back, "confirm": "yes"}
    )
    assert response["Location"] == back


def test_the_cancel_page_keeps_only_a_next_of_ours(client, receptionist, booked):
    client.force_login(receptionist)
    url = reverse("appointment_cancel", args=[booked.pk])
    assert client.get(url, {"next": "http://evil.example/"}).context["next"] == ""
    assert client.get(url, {"next": "/recall/"}).context["next"] == "/recall/"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_days_outside_the_clinic_calendar_are_not_found(client, receptionist, clinician, day):
    client.force_login(receptionist)
    assert client.get(f"/schedule/{day}/").status_code == HTTPStatus.NOT_FOUND
    week = f"/schedule/week/{clinician.pk}/{day}/"
    assert client.get(week).status_code == HTTPStatus.NOT_FOUND


def test_the_first_and_last_days_of_the_clinic_calendar_open(client, receptionist, clinician):
    client.force_login(receptionist)
    for day in (inputs.FIRST_DAY, inputs.LAST_DAY):
        assert client.get(reverse("schedule_day", args=[day])).status_code == HTTPStatus.OK
        week = reverse("schedule_week", args=[clinician.pk, day])
        assert client.get(week).status_code == HTTPStatus.OK


def test_a_picked_day_outside_the_calendar_is_a_message(client, receptionist, today):
    client.force_login(receptionist)
    response = client.get(reverse("schedule_day", args=[today]), {"day": "9999-12-31"})
    assert response.status_code == HTTPStatus.OK
    said = [str(message) for message in response.context["messages"]]
    assert said == [f"That date could not be read. {inputs.OUTSIDE_CALENDAR}"]


@pytest.mark.parametrize("value", ["²", "٣", BIG, "1" * 4301])
def test_an_unreadable_appointment_in_the_menu_is_a_bad_request(client, receptionist, today, value):
    client.force_login(receptionist)
    response = client.get(reverse("schedule_day", args=[today]), {"actions": value})
    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("value", ["²", BIG, "1" * 4301])
def test_a_tampered_whole_plan_booking_is_stale_and_books_nothing(client, clinician, booked, value):
    client.force_login(clinician.user)
    plan = booked.session.plan
    response = client.post(
        reverse("plan_book_all", args=[plan.pk]),
        {
            "session": value,
            "starts_at": "2030-01-07T09:00:00+01:00",
            "clinician": clinician.pk,
            "room": booked.room_id,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("value", [BIG, "9" * 40, "²"])
def test_ids_too_large_to_store_are_ignored_or_refused(client, clinician, booked, value):
    client.force_login(clinician.user)
    board = client.get(reverse("recall_board"), {"clinician": value, "protocol": value})
    assert board.status_code == HTTPStatus.OK
    response = client.post(
        reverse("session_done", args=[booked.session_id]),
        {"held_at": "2026-01-01T10:00", "areas": [value], "batches": [value]},
    )
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert {"areas", "batches"} <= set(form.errors)


def test_a_new_plan_with_an_id_too_large_is_refused_at_the_field(
    client, clinician, booked, patient
):
    client.force_login(clinician.user)
    response = client.post(
        reverse("plan_new", args=[patient.pk]),
        {"protocol": BIG, "clinician": BIG, "areas": [BIG], "start_date": "2026-01-05"},
    )
    assert response.status_code == HTTPStatus.OK
    assert {"protocol", "clinician", "areas"} <= set(response.context["form"].errors)


@pytest.fixture
def held_yesterday(clinician, today):
    """Session 1 booked yesterday at 10:00 for a patient born on 17 May 1980."""
    day = today - timedelta(days=1)
    plan = factories.make_plan(clinician=clinician, start_date=day)
    starts_at = datetime.combine(day, time(10), tzinfo=ClinicSettings.load().tz)
    return factories.book(plan.sessions.get(number=1), starts_at, clinician, factories.make_room())


@pytest.mark.parametrize(
    ("held_at", "message"),
    [
        ("1900-01-01T10:00", BEFORE_BIRTH.format(born=date(1980, 5, 17))),
        ("1980-05-16T23:00", BEFORE_BIRTH.format(born=date(1980, 5, 17))),
        ("0001-01-01T00:00", inputs.OUTSIDE_CALENDAR),
        ("1899-12-31T10:00", inputs.OUTSIDE_CALENDAR),
    ],
)
def test_a_session_done_before_the_patient_was_born_is_refused_at_the_field(
    client, clinician, held_yesterday, held_at, message
):
    client.force_login(clinician.user)
    response = client.post(
        reverse("session_done", args=[held_yesterday.session_id]), {"held_at": held_at}
    )
    assert response.status_code == HTTPStatus.OK
    assert message in response.context["form"].errors["held_at"]
    held_yesterday.refresh_from_db()
    assert held_yesterday.status == Appointment.Status.BOOKED


def test_an_appointment_before_the_patient_was_born_is_refused_by_the_model(held_yesterday):
    held_yesterday.starts_at = datetime(1979, 1, 1, 10, tzinfo=ClinicSettings.load().tz)
    held_yesterday.ends_at = held_yesterday.starts_at + timedelta(minutes=45)
    with pytest.raises(Exception) as refused:
        held_yesterday.full_clean()
    assert BEFORE_BIRTH.format(born=date(1980, 5, 17)) in refused.value.message_dict["starts_at"]


@pytest.mark.parametrize(
    "starts_at",
    ["9999-12-31T23:45:00+00:00", "0001-01-01T00:00:00-14:00", "2201-01-01T09:00+01:00"],
)
def test_a_slot_time_at_the_ends_of_the_calendar_is_a_message(
    client, receptionist, booked, starts_at
):
    client.force_login(receptionist)
    url = reverse("appointment_move", args=[booked.pk])
    response = client.post(
        url, {"starts_at": starts_at, "clinician": booked.clinician_id, "room": booked.room_id}
    )
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(response["Location"])
    assert "could not be read" in page.content.decode()


def test_a_typed_day_outside_the_calendar_is_refused_at_the_field(client, receptionist, booked):
    client.force_login(receptionist)
    response = client.post(
        reverse("appointment_move", args=[booked.pk]),
        {"day": "9999-12-31", "time": "23:45", "clinician": booked.clinician_id, "room": 1},
    )
    assert response.status_code == HTTPStatus.OK
    assert inputs.OUTSIDE_CALENDAR in response.context["typed"].errors["day"]
