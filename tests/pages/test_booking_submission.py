"""A booking form submitted twice (a double click, a retry after an answer that never came)
books once, and the second answer says what the first did; so does a form submitted twice
at the same moment. A form's key serves its own plan and user only."""

import threading
from datetime import datetime
from http import HTTPStatus

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic import clock
from clinic.models import Room
from plans import availability, services, submissions
from plans.models import Appointment, BookingSubmission, Session
from tests import factories
from tests.factories import book


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def slot_form(client, session: Session) -> dict:
    """What the session's booking page posts for its first suggested slot, key included."""
    page = client.get(reverse("session_book", args=[session.pk]))
    key = page.context["submission"]
    assert f'name="submission" value="{key}"' in page.text
    slot = page.context["choices"][0][0]
    return {
        "starts_at": slot.start.isoformat(),
        "clinician": slot.clinician_id,
        "room": slot.room_id,
        "submission": str(key),
    }


def already_made(outcome: str, what: str = "booking") -> str:
    at = timezone.localtime(clock.now())
    return submissions.ALREADY_MADE.format(what=what, at=at, outcome=outcome)


def booked_for(session: Session, appointment: Appointment) -> str:
    when = timezone.localtime(appointment.starts_at)
    return (
        f"Session {session.number} of {session.patient.full_name} booked for "
        f"{when:%a %d %b %Y at %H:%M}."
    )


@pytest.mark.django_db
def test_a_booking_form_posted_twice_books_once_and_names_the_first_booking(
    client, clinician, plan
):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    data = slot_form(client, session)
    url = reverse("session_book", args=[session.pk])
    first = client.post(url, data, follow=True)
    second = client.post(url, data, follow=True)
    appointment = Appointment.objects.get()
    assert appointment.session == session
    assert booked_for(session, appointment) in messages_of(first)
    assert second.redirect_chain[-1][0] == reverse("plan_detail", args=[plan.pk])
    assert messages_of(second) == [already_made(booked_for(session, appointment))]


@pytest.mark.django_db
def test_a_move_posted_twice_moves_once_and_says_where_to(client, clinician, plan, monday):
    session = plan.sessions.get(number=1)
    slot = availability.slot_search(session=session).slots[0]
    booked = book(session, slot.start, clinician, Room.objects.get())
    client.force_login(clinician.user)
    url = reverse("appointment_move", args=[booked.pk])
    page = client.get(url)
    later = page.context["choices"][1][0]
    data = {
        "starts_at": later.start.isoformat(),
        "clinician": later.clinician_id,
        "room": later.room_id,
        "submission": str(page.context["submission"]),
    }
    client.post(url, data, follow=True)
    booked.refresh_from_db()
    assert booked.starts_at == later.start
    second = client.post(url, data, follow=True)
    booked.refresh_from_db()
    assert booked.starts_at == later.start
    when = timezone.localtime(later.start)
    moved = f"Session 1 of {session.patient.full_name} moved to {when:%a %d %b %Y at %H:%M}."
    assert messages_of(second) == [already_made(moved, "move")]


@pytest.mark.django_db
def test_the_whole_plan_form_posted_twice_books_the_plan_once(client, clinician, plan):
    client.force_login(clinician.user)
    url = reverse("plan_book_all", args=[plan.pk])
    page = client.get(url)
    rows = page.context["rows"]
    assert rows
    data = {
        "session": [session.pk for session, *_ in rows],
        "starts_at": [slot.start.isoformat() for _, slot, *_ in rows],
        "clinician": [slot.clinician_id for _, slot, *_ in rows],
        "room": [slot.room_id for _, slot, *_ in rows],
        "confirm_outside": "on",
        "submission": str(page.context["submission"]),
    }
    first = client.post(url, data, follow=True)
    second = client.post(url, data, follow=True)
    assert Appointment.objects.count() == len(rows)
    outcome = next(m for m in messages_of(first) if " booked" in m)
    assert outcome.startswith(f"{len(rows)} sessions booked")
    assert second.redirect_chain[-1][0] == reverse("plan_detail", args=[plan.pk])
    assert messages_of(second) == [already_made(outcome)]


@pytest.mark.django_db
def test_a_refused_booking_leaves_its_form_free_to_post_again(client, clinician, plan):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    data = slot_form(client, session)
    url = reverse("session_book", args=[session.pk])
    rival = factories.make_plan(clinician=clinician, start_date=plan.start_date)
    taken = book(
        rival.sessions.get(number=1),
        datetime.fromisoformat(data["starts_at"]),
        clinician,
        Room.objects.get(),
    )
    client.post(url, data)
    assert not session.appointments.exists()
    assert not BookingSubmission.objects.exists()
    services.appointment_cancel(appointment=taken, reason="Patient called")
    again = client.post(url, data, follow=True)
    appointment = session.appointments.get()
    assert booked_for(session, appointment) in messages_of(again)


@pytest.mark.django_db
def test_a_key_used_for_another_plan_or_by_another_user_is_refused(
    client, clinician, receptionist, plan
):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    data = slot_form(client, session)
    client.post(reverse("session_book", args=[session.pk]), data)
    other = factories.make_plan(clinician=clinician, start_date=plan.start_date)
    other_session = other.sessions.get(number=1)
    elsewhere = client.post(reverse("session_book", args=[other_session.pk]), data, follow=True)
    assert submissions.KEY_REUSED in messages_of(elsewhere)
    assert not other_session.appointments.exists()
    client.force_login(receptionist)
    by_someone_else = client.post(reverse("session_book", args=[session.pk]), data, follow=True)
    assert submissions.KEY_REUSED in messages_of(by_someone_else)
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_an_unreadable_key_is_refused_with_a_message(client, clinician, plan):
    session = plan.sessions.get(number=1)
    client.force_login(clinician.user)
    data = slot_form(client, session) | {"submission": "²"}
    response = client.post(reverse("session_book", args=[session.pk]), data, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert submissions.KEY_UNREADABLE in messages_of(response)
    assert not Appointment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_form_posted_twice_at_the_same_moment_books_once(clinician, plan):
    session = plan.sessions.get(number=1)
    clients = [Client(), Client()]
    for each in clients:
        each.force_login(clinician.user)
    data = slot_form(clients[0], session)
    url = reverse("session_book", args=[session.pk])
    barrier = threading.Barrier(len(clients))
    pages: list[str] = []
    lock = threading.Lock()

    def post(each: Client) -> None:
        try:
            barrier.wait()
            # The page as shown: the context the test client records is shared by
            # requests answered at the same moment.
            told = each.post(url, data, follow=True).text
        except Exception as error:  # reported as unexpected, failing the test
            told = f"unexpected {type(error).__name__}: {error}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            pages.append(told)

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    appointment = Appointment.objects.get()
    made = booked_for(session, appointment)
    replayed = [page for page in pages if escape(already_made(made)) in page]
    booked = [page for page in pages if escape(made) in page and page not in replayed]
    assert (len(replayed), len(booked)) == (1, 1), pages
