"""Booking one session from its suggested slots, and moving a booked one, in the browser's
terms: one click per slot, a clear message, and nothing saved when the slot is refused."""

from datetime import datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings, OpeningHours, Room, WorkingHours
from plans import availability, booking
from plans.models import Appointment, Session
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db


def slot_data(slot) -> dict:
    return {
        "starts_at": slot.start.isoformat(),
        "clinician": slot.clinician_id,
        "room": slot.room_id,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_page_offers_slots_on_the_due_day_first(client, clinician, plan, monday):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    response = client.get(reverse("session_book", args=[session.pk]))
    assert response.status_code == HTTPStatus.OK
    first = response.context["choices"][0][0]
    assert first.start.astimezone(ClinicSettings.load().tz).date() == monday
    assert f'value="{first.start.isoformat()}"' in response.text


def test_one_click_books_the_slot_and_says_when(client, clinician, plan):
    session = plan.sessions.get(number=1)
    slot = availability.slot_search(session=session).slots[0]
    client.force_login(clinician.user)
    response = client.post(reverse("session_book", args=[session.pk]), slot_data(slot), follow=True)
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED
    appointment = session.appointments.get()
    assert (appointment.status, appointment.starts_at) == (Appointment.Status.BOOKED, slot.start)
    assert (appointment.clinician_id, appointment.room_id) == (slot.clinician_id, slot.room_id)
    assert appointment.created_by == clinician.user
    local = slot.start.astimezone(ClinicSettings.load().tz)
    assert any(f"booked for {local:%a %d %b %Y at %H:%M}" in m for m in messages_of(response))


def test_a_slot_taken_meanwhile_is_refused_and_fresh_slots_are_offered(client, clinician, plan):
    session = plan.sessions.get(number=1)
    slot = availability.slot_search(session=session).slots[0]
    rival = factories.make_plan(clinician=clinician, start_date=plan.start_date)
    book(rival.sessions.get(number=1), slot.start, clinician, Room.objects.get(pk=slot.room_id))
    client.force_login(clinician.user)
    response = client.post(reverse("session_book", args=[session.pk]), slot_data(slot), follow=True)
    session.refresh_from_db()
    assert session.status == Session.Status.TO_BOOK
    assert not session.appointments.exists()
    assert booking.SLOT_TAKEN in messages_of(response)
    offered = [choice[0].start for choice in response.context["choices"]]
    assert offered and slot.start not in offered


def test_a_forged_time_is_refused_with_a_message(client, clinician, plan):
    session = plan.sessions.get(number=1)
    slot = availability.slot_search(session=session).slots[0]
    client.force_login(clinician.user)
    data = slot_data(slot) | {"starts_at": "next tuesday"}
    response = client.post(reverse("session_book", args=[session.pk]), data, follow=True)
    session.refresh_from_db()
    assert session.status == Session.Status.TO_BOOK
    assert not session.appointments.exists()
    assert response.redirect_chain[-1][0] == reverse("session_book", args=[session.pk])
    assert messages_of(response)


def test_moving_a_session_warns_about_the_next_one_now_too_close(client, clinician, plan, monday):
    tz = ClinicSettings.load().tz
    room = Room.objects.get()
    first, second = plan.sessions.get(number=1), plan.sessions.get(number=2)
    ten_am = time(10)
    booked = booking.appointment_book(
        session=first,
        starts_at=datetime.combine(monday, ten_am, tzinfo=tz),
        clinician=clinician,
        room=room,
    ).appointment
    # As early as the protocol allows: 14 days minus 2 of tolerance, a Saturday.
    second_day = monday + timedelta(days=12)
    OpeningHours.objects.create(weekday=5, opens=time(9), closes=time(13))
    WorkingHours.objects.create(clinician=clinician, weekday=5, starts=time(9), ends=time(13))
    later = booking.appointment_book(
        session=second,
        starts_at=datetime.combine(second_day, ten_am, tzinfo=tz),
        clinician=clinician,
        room=room,
    ).appointment
    moved_to = datetime.combine(monday + timedelta(days=2), ten_am, tzinfo=tz)
    client.force_login(clinician.user)
    response = client.post(
        reverse("appointment_move", args=[booked.pk]),
        {"starts_at": moved_to.isoformat(), "clinician": clinician.pk, "room": room.pk},
        follow=True,
    )
    booked.refresh_from_db()
    later.refresh_from_db()
    assert booked.starts_at == moved_to  # the same appointment, moved
    assert first.appointments.get() == booked
    assert later.starts_at.astimezone(tz).date() == second_day  # reported, never moved
    assert later.status == Appointment.Status.BOOKED
    assert any(
        f"Session 2 on {second_day:%d %b} is now too close to this one" in m
        for m in messages_of(response)
    )


def test_booking_one_session_from_the_plan_page_returns_to_the_plan(client, clinician, plan):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    plan_url = reverse("plan_detail", args=[plan.pk])
    link = f"{reverse('session_book', args=[session.pk])}?next={plan_url}"
    assert link in client.get(plan_url).text  # the plan page's "Book…"
    page = client.get(link)
    assert f'name="next" value="{plan_url}"' in page.text
    slot = page.context["choices"][0][0]

    response = client.post(link, {**slot_data(slot), "next": plan_url})

    assert response.status_code == HTTPStatus.FOUND and response.url == plan_url
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED


def test_the_reschedule_list_never_offers_the_appointments_own_time(
    client, clinician, plan, monday
):
    tz = ClinicSettings.load().tz
    factories.make_room("Room 2")  # its time is still free in the other room
    starts_at = datetime.combine(monday, time(10), tzinfo=tz)
    booked = booking.appointment_book(
        session=plan.sessions.get(number=1),
        starts_at=starts_at,
        clinician=clinician,
        room=Room.objects.get(name="Room 1"),
    ).appointment
    assert any(
        s.start == starts_at
        for s in availability.slot_search(
            session=booked.session, exclude_appointment=booked.pk
        ).slots
    )  # the search alone would offer it again
    client.force_login(clinician.user)

    response = client.get(reverse("appointment_move", args=[booked.pk]))

    offered = [choice[0] for choice in response.context["choices"]]
    assert offered and all(slot.start != starts_at for slot in offered)
