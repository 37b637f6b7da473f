"""Every page, walked as each role: who gets the page (200), who is refused (403), who is
sent elsewhere (302). Anonymous visitors are always sent to sign in.

Receptionists run the day and the contact records but never see screenings and cannot
record treatment or create plans; clinicians do all of that; admins can do everything.
"""

from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans.models import Session
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, REDIRECT = HTTPStatus.OK, HTTPStatus.FORBIDDEN, HTTPStatus.FOUND
ROLES = ("receptionist", "clinician", "clinic_admin")


@pytest.fixture
def day_data(clinician):
    today = ClinicSettings.load().today()
    booked = clinic_day(today, clinician=clinician, per_clinician=1)[0]
    planned = booked.plan.sessions.get(number=2)
    return {
        "today": today,
        "booked": booked,
        "planned": planned,
        "plan": booked.plan,
        "patient": booked.patient,
        "clinician": clinician,
    }


def pages(d):
    """(url, expected status for receptionist, clinician, admin)."""
    day = d["today"]
    return [
        (reverse("home"), REDIRECT, REDIRECT, REDIRECT),
        (reverse("password_change"), OK, OK, OK),
        (reverse("schedule_today"), OK, OK, OK),
        (reverse("schedule_day", args=[day]), OK, OK, OK),
        (reverse("schedule_day", args=[day]) + "?by=room", OK, OK, OK),
        (reverse("schedule_week_mine"), REDIRECT, REDIRECT, REDIRECT),
        (reverse("schedule_week", args=[d["clinician"].pk, day]), OK, OK, OK),
        (reverse("session_detail", args=[d["booked"].pk]), OK, OK, OK),
        (reverse("session_cancel", args=[d["booked"].pk]), OK, OK, OK),
        (reverse("session_done", args=[d["booked"].pk]), FORBIDDEN, OK, OK),
        (reverse("session_book", args=[d["planned"].pk]), OK, OK, OK),
        (reverse("session_reschedule", args=[d["booked"].pk]), OK, OK, OK),
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
        (reverse("patient_list") + "?q=Sophie", OK, OK, OK),
        (reverse("patient_new"), OK, OK, OK),
        (reverse("patient_detail", args=[d["patient"].pk]), OK, OK, OK),
        (reverse("patient_edit", args=[d["patient"].pk]), OK, OK, OK),
        (reverse("screening_detail", args=[d["patient"].pk]), FORBIDDEN, OK, OK),
        # A screening is signed by a clinician: an admin who treats no one is refused.
        (reverse("screening_new", args=[d["patient"].pk]), FORBIDDEN, OK, FORBIDDEN),
        (reverse("admin:index"), REDIRECT, REDIRECT, OK),
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
    session = day_data["booked"]
    response = client.post(
        reverse("session_done", args=[session.pk]), {"held_at": "2026-01-01T10:00"}
    )
    assert response.status_code == FORBIDDEN
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED


def test_receptionist_cannot_create_a_plan(client, receptionist, day_data):
    client.force_login(receptionist)
    response = client.post(reverse("plan_new", args=[day_data["patient"].pk]), {})
    assert response.status_code == FORBIDDEN
