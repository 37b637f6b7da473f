"""The take-home plan: the patient's dates, arrival times and instructions, the clinic's
contact and when to call it, as a page and as a PDF printed from the same template; for
reception as for clinicians, and nothing of the clinical record on it."""

import shutil
import subprocess
from datetime import datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from patients.models import Screening
from plans.models import Appointment
from tests.factories import book, make_room

pytestmark = pytest.mark.django_db

PHONE = "+33 1 23 45 67 89"
WHEN_TO_CALL = "Call us if the swelling lasts more than 5 days."
PLAN_NOTES = "CLINICAL-NOTE-do-not-print"


@pytest.fixture
def sheet_plan(plan, monday):
    """The plan with sessions 1 and 2 booked (10:00, on Mondays two weeks apart) and
    session 3 booked then cancelled; the patient wants anaesthetic cream."""
    clinic = ClinicSettings.load()
    clinic.phone, clinic.email = PHONE, "desk@clinic.example"
    clinic.address = "12 rue de la Paix\n75002 Paris"
    clinic.when_to_call = WHEN_TO_CALL
    clinic.save()
    Screening.objects.filter(patient=plan.patient).update(wants_anaesthetic_cream=True)
    plan.notes = PLAN_NOTES
    plan.save()
    room = make_room("Room 2")
    tz = clinic.tz
    for number, weeks in [(1, 0), (2, 2), (3, 4)]:
        session = plan.sessions.get(number=number)
        day = monday + timedelta(weeks=weeks)
        book(session, datetime.combine(day, time(10), tzinfo=tz), plan.clinician, room)
    Appointment.objects.filter(session__number=3, session__plan=plan).update(
        status=Appointment.Status.CANCELLED_BY_PATIENT, reason="Away"
    )
    return plan


def dates(plan, monday):
    return [
        (monday + timedelta(weeks=weeks)).strftime("%A %-d %B %Y").replace(" 0", " ")
        for weeks in (0, 2, 4)
    ]


@pytest.mark.parametrize("who", ["receptionist", "clinician"])
def test_the_page_lists_the_coming_appointments_with_arrival_times(
    client, request, sheet_plan, monday, who
):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))

    response = client.get(reverse("plan_take_home", args=[sheet_plan.pk]))

    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    first, second, cancelled = dates(sheet_plan, monday)
    assert first in text and second in text
    assert cancelled not in text
    # 30 minutes of anaesthetic cream before 10:00, as the schedule's cards say.
    assert "09:30" in text and "10:00–10:45" in text
    assert ClinicSettings.load().name in text
    assert PHONE in text and "desk@clinic.example" in text and "75002 Paris" in text
    assert WHEN_TO_CALL in text
    assert PLAN_NOTES not in text


def test_without_cream_the_patient_arrives_at_the_start(client, clinician, sheet_plan):
    Screening.objects.filter(patient=sheet_plan.patient).update(wants_anaesthetic_cream=False)
    client.force_login(clinician.user)

    text = client.get(reverse("plan_take_home", args=[sheet_plan.pk])).content.decode()

    assert "09:30" not in text
    assert "anaesthetic cream" not in text


def test_past_appointments_are_left_off(client, clinician, sheet_plan, clock, monday):
    tz = ClinicSettings.load().tz
    clock.set(datetime.combine(monday + timedelta(days=1), time(9), tzinfo=tz))
    client.force_login(clinician.user)

    text = client.get(reverse("plan_take_home", args=[sheet_plan.pk])).content.decode()

    first, second, _ = dates(sheet_plan, monday)
    assert first not in text and second in text


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_pdf_is_the_same_plan(client, receptionist, sheet_plan, monday, tmp_path):
    client.force_login(receptionist)

    response = client.get(reverse("plan_take_home_pdf", args=[sheet_plan.pk]))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "take-home-plan-" in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content, tmp_path).split())
    first, second, cancelled = dates(sheet_plan, monday)
    assert "Your appointments" in text
    assert first in text and second in text and cancelled not in text
    assert "09:30" in text and PHONE in text and WHEN_TO_CALL in text
    assert sheet_plan.patient.full_name in text
    assert PLAN_NOTES not in text


def test_another_plan_is_not_found(client, clinician, sheet_plan):
    client.force_login(clinician.user)
    assert client.get(reverse("plan_take_home", args=[999999])).status_code == 404
    assert client.get(reverse("plan_take_home_pdf", args=[999999])).status_code == 404
