"""The patient's dated instructions on the session and plan pages: the clinician reads what
triggered each one, reception the patient's own words; the plan page reads them in the same
few queries however many sessions are booked."""

import html
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from tests import factories

pytestmark = pytest.mark.django_db


def booked_plan(clinician, patient, monday, *, sessions: int = 1):
    factories.make_screening(
        patient, clinician, takes_aspirin_or_clopidogrel=True, wants_anaesthetic_cream=True
    )
    room = factories.make_room("Room 1")
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol(f"{max(sessions, 2)} sessions every 2 weeks ±2 days"),
        clinician=clinician,
        start_date=monday,
    )
    tz = ClinicSettings.load().tz
    for number in range(1, sessions + 1):
        day = monday + timedelta(weeks=2 * (number - 1))
        starts = datetime.combine(day, time(10), tzinfo=tz)
        factories.book(plan.sessions.get(number=number), starts, clinician, room)
    return plan


@pytest.fixture
def monday():
    today = ClinicSettings.load().today()
    return today + timedelta(days=7 - today.weekday() + 7)


def stop_from(monday) -> str:
    friday = monday - timedelta(days=3)
    return f"Stop aspirin or clopidogrel from Friday {friday.day} {friday:%B}"


def test_the_session_page_dates_the_instructions(client, clinician, patient, monday):
    plan = booked_plan(clinician, patient, monday)
    client.force_login(clinician.user)
    page = html.unescape(
        client.get(
            reverse("session_detail", args=[plan.sessions.get(number=1).pk])
        ).content.decode()
    )
    assert "Instructions for the patient" in page
    assert f"{stop_from(monday)} (3 days before your session)" in page
    assert "(Screening: takes aspirin or clopidogrel)" in page
    assert (
        "Arrive early for the anaesthetic cream at 09:30 (30 minutes before your session)" in page
    )


def test_the_card_and_the_instruction_give_the_same_arrival(client, clinician, patient, monday):
    booked_plan(clinician, patient, monday)
    client.force_login(clinician.user)
    day = client.get(reverse("schedule_day", args=[monday])).content.decode()
    assert "Arrive 09:30" in day


def test_reception_reads_the_sentences_without_their_reason(
    client, receptionist, clinician, patient, monday
):
    plan = booked_plan(clinician, patient, monday)
    client.force_login(receptionist)
    page = html.unescape(client.get(reverse("plan_detail", args=[plan.pk])).content.decode())
    assert stop_from(monday) in page
    assert "Screening:" not in page


# The plan page's own queries (16 before the instructions) and the instructions' seven:
# the rules and their links (4), the patient, the screenings, the appointments' methods.
PLAN_PAGE_QUERIES = 24


@pytest.mark.parametrize("sessions", [1, 6])
def test_the_plan_page_reads_them_in_a_fixed_number_of_queries(
    client, clinician, patient, monday, sessions, django_assert_max_num_queries
):
    plan = booked_plan(clinician, patient, monday, sessions=sessions)
    client.force_login(clinician.user)
    with django_assert_max_num_queries(PLAN_PAGE_QUERIES):
        page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert page.count("Instructions for the patient") == sessions
