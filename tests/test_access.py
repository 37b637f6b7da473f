"""Every page, walked as each role: who gets the page (200), who is refused (403), who is
sent elsewhere (302). Anonymous visitors are always sent to sign in.

Receptionists run the day and the contact records but never see screenings and cannot
record treatment or create plans; clinicians do all of that; admins can do everything.
"""

from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import CalendarFeed, ClinicSettings
from plans.models import Appointment, Session
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, REDIRECT = HTTPStatus.OK, HTTPStatus.FORBIDDEN, HTTPStatus.FOUND
NOT_ALLOWED = HTTPStatus.METHOD_NOT_ALLOWED
ROLES = ("receptionist", "clinician", "clinic_admin")


@pytest.fixture
def day_data(clinician):
    today = ClinicSettings.load().today()
    booked, flagged = clinic_day(today, clinician=clinician, per_clinician=2)
    # The second appointment fell on a closure: it is on the rebooking worklist.
    Appointment.objects.filter(pk=flagged.pk).update(needs_rebooking=True)
    planned = booked.session.plan.sessions.get(number=2)
    return {
        "today": today,
        "booked": booked,  # an appointment booked today
        "session": booked.session,  # its session, booked
        "planned": planned,  # a session to book
        "flagged": flagged,
        "plan": booked.session.plan,
        "patient": booked.patient,
        "clinician": clinician,
    }


def pages(d):
    """(url, expected status for receptionist, clinician, admin)."""
    day = d["today"]
    booked = d["booked"].pk
    return [
        (reverse("home"), REDIRECT, REDIRECT, REDIRECT),
        (reverse("password_change"), OK, OK, OK),
        (reverse("schedule_today"), OK, OK, OK),
        (reverse("schedule_day", args=[day]), OK, OK, OK),
        (reverse("schedule_day", args=[day]) + "?by=room", OK, OK, OK),
        (reverse("schedule_day", args=[day]) + f"?actions={booked}", OK, OK, OK),
        (reverse("schedule_week_mine"), REDIRECT, REDIRECT, REDIRECT),
        (reverse("schedule_week", args=[d["clinician"].pk, day]), OK, OK, OK),
        (reverse("session_detail", args=[d["session"].pk]), OK, OK, OK),
        (reverse("session_detail", args=[d["planned"].pk]), OK, OK, OK),
        (reverse("session_done", args=[d["session"].pk]), FORBIDDEN, OK, FORBIDDEN),
        (reverse("session_book", args=[d["planned"].pk]), OK, OK, OK),
        (reverse("appointment_cancel", args=[booked]), OK, OK, OK),
        (reverse("appointment_move", args=[booked]), OK, OK, OK),
        (reverse("appointment_move", args=[d["flagged"].pk]), OK, OK, OK),
        # Actions are POSTs only: a GET changes nothing.
        (reverse("appointment_act", args=[booked]), NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
        (reverse("appointment_arrived", args=[booked]), NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
        (reverse("appointment_no_show", args=[booked]), NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
        (reverse("plan_new", args=[d["patient"].pk]), FORBIDDEN, OK, OK),
        (
            reverse("plan_preview") + f"?protocol={d['plan'].protocol_id}&start_date={day}",
            FORBIDDEN,
            OK,
            OK,
        ),
        (reverse("plan_detail", args=[d["plan"].pk]), OK, OK, OK),
        (reverse("plan_book_all", args=[d["plan"].pk]), OK, OK, OK),
        (reverse("recall_board"), OK, OK, OK),
        (reverse("recall_board") + f"?state=open&clinician={d['clinician'].pk}", OK, OK, OK),
        (reverse("rebooking_worklist"), OK, OK, OK),
        (reverse("patient_list") + "?q=Sophie", OK, OK, OK),
        (reverse("patient_new"), OK, OK, OK),
        (reverse("patient_detail", args=[d["patient"].pk]), OK, OK, OK),
        (reverse("patient_edit", args=[d["patient"].pk]), OK, OK, OK),
        (reverse("screening_detail", args=[d["patient"].pk]), FORBIDDEN, OK, OK),
        # A screening is signed by a clinician: an admin who treats no one is refused.
        (reverse("screening_new", args=[d["patient"].pk]), FORBIDDEN, OK, FORBIDDEN),
        # The take-home plan and the calendar file are the patient's own dates and
        # instructions: reception hands them out as clinicians do.
        (reverse("plan_take_home", args=[d["plan"].pk]), OK, OK, OK),
        (reverse("plan_take_home_pdf", args=[d["plan"].pk]), OK, OK, OK),
        (reverse("patient_appointments_ics", args=[d["patient"].pk]), OK, OK, OK),
        (reverse("profile"), OK, OK, OK),
        (reverse("admin:index"), REDIRECT, REDIRECT, OK),
        (reverse("admin:plans_session_change", args=[d["session"].pk]), REDIRECT, REDIRECT, OK),
        (reverse("admin:plans_appointment_change", args=[booked]), REDIRECT, REDIRECT, OK),
    ]


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, day_data):
    for url, *_ in pages(day_data):
        response = client.get(url)
        assert response.status_code == REDIRECT, url
        assert "login" in response["Location"], url


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_pages(client, request, day_data, role):
    user = request.getfixturevalue(role)
    user = getattr(user, "user", user)  # the clinician fixture is a Clinician row
    client.force_login(user)
    column = ROLES.index(role) + 1
    wrong = []
    for row in pages(day_data):
        response = client.get(row[0])
        if response.status_code != row[column]:
            wrong.append((row[0], response.status_code, row[column]))
    assert wrong == []


def test_each_role_lands_on_its_day(client, receptionist, clinician, clinic_admin):
    for user, landing in [
        (receptionist, reverse("schedule_today")),
        (clinician.user, reverse("schedule_today")),
        (clinic_admin, reverse("admin:index")),
    ]:
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == landing


def test_receptionist_never_sees_the_screening_on_the_patient_page(client, receptionist, day_data):
    client.force_login(receptionist)
    response = client.get(reverse("patient_detail", args=[day_data["patient"].pk]))
    assert b"Latest screening" not in response.content
    assert reverse("screening_detail", args=[day_data["patient"].pk]).encode() not in (
        response.content
    )


def test_receptionist_cannot_record_a_session_as_done(client, receptionist, day_data):
    client.force_login(receptionist)
    session = day_data["session"]
    response = client.post(
        reverse("session_done", args=[session.pk]), {"held_at": "2026-01-01T10:00"}
    )
    assert response.status_code == FORBIDDEN
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED
    assert session.appointments.get().status == Appointment.Status.BOOKED


def test_anonymous_actions_change_nothing(client, day_data):
    booked = day_data["booked"]
    for name, data in [
        ("appointment_arrived", {}),
        ("appointment_no_show", {}),
        ("appointment_act", {"action": "arrived"}),
        ("appointment_cancel", {"reason": "ill"}),
    ]:
        response = client.post(reverse(name, args=[booked.pk]), data)
        assert response.status_code == REDIRECT, name
        assert "login" in response["Location"], name
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("role", ROLES)
def test_each_role_runs_the_day_on_real_appointments(client, request, day_data, role):
    """Arrival, no-show and cancelling are every role's; each lands on the record."""
    user = request.getfixturevalue(role)
    user = getattr(user, "user", user)
    client.force_login(user)
    booked, flagged = day_data["booked"], day_data["flagged"]
    response = client.post(reverse("appointment_act", args=[booked.pk]), {"action": "arrived"})
    assert response.status_code == REDIRECT
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.ARRIVED
    response = client.post(reverse("appointment_no_show", args=[booked.pk]), {"confirm": "yes"})
    assert response.status_code == REDIRECT
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.NO_SHOW
    response = client.post(
        reverse("appointment_cancel", args=[flagged.pk]), {"reason": "Patient has a cold"}
    )
    assert response.status_code == REDIRECT
    flagged.refresh_from_db()
    assert (flagged.status, flagged.changed_by) == (Appointment.Status.CANCELLED_BY_PATIENT, user)
    assert flagged.session.status == Session.Status.TO_BOOK


def test_receptionist_cannot_create_a_plan(client, receptionist, day_data):
    client.force_login(receptionist)
    response = client.post(reverse("plan_new", args=[day_data["patient"].pk]), {})
    assert response.status_code == FORBIDDEN


def test_the_calendar_feed_is_the_one_address_read_without_signing_in(client, day_data):
    """Calendar apps cannot sign in: the feed's secret address is its only key, and
    without it nothing is found (never a sign-in page saying the address exists)."""
    feed = CalendarFeed.objects.create(clinician=day_data["clinician"])
    url = reverse("calendar_feed", args=[feed.clinician_id, feed.token])
    assert client.get(url).status_code == OK
    wrong = reverse("calendar_feed", args=[feed.clinician_id, "f" * 64])
    assert client.get(wrong).status_code == HTTPStatus.NOT_FOUND
