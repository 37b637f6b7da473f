"""A receptionist opens today, checks a patient in, marks a no-show, and cannot read a
screening."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans.models import Appointment
from tests.factories import PASSWORD
from tests.pages.data import clinic_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_marks_an_arrival_and_a_no_show(
    page, live_server, sign_in, shoot, receptionist
):
    first, second = clinic_day(ClinicSettings.load().today(), per_clinician=2)
    sign_in(receptionist.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    shoot("schedule-day")

    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Arrived").click()
    expect(page.locator(f"#booking-{first.pk}")).to_contain_text("Arrived")

    card = page.locator(f"#booking-{second.pk}")
    card.get_by_text("Actions").click()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    card.get_by_role("button", name="No-show").click()
    expect(card).to_contain_text("Booked")  # dismissed: nothing changed
    assert asked and "as a no-show?" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="No-show").click()
    expect(page.locator(f"#booking-{second.pk}")).to_contain_text("No-show")
    shoot("schedule-day-after-actions")

    # A mistake at the desk, put right the same day: the arrival undone, then redone.
    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Undo arrival").click()
    expect(page.locator(f"#booking-{first.pk}")).to_contain_text("Booked")
    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Arrived").click()
    expect(page.locator(f"#booking-{first.pk}")).to_contain_text("Arrived")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (
        Appointment.Status.ARRIVED,
        Appointment.Status.NO_SHOW,
    )

    page.goto(
        f"{live_server.url}{reverse('schedule_day', args=[ClinicSettings.load().today()])}?by=room"
    )
    shoot("schedule-day-rooms")
    page.goto(f"{live_server.url}{reverse('recall_board')}")
    shoot("recall-board")
    page.goto(f"{live_server.url}{reverse('patient_list')}?q=Sophie")
    shoot("patient-search")


def test_receptionist_is_refused_a_screening_page(page, live_server, sign_in, receptionist):
    appointment = clinic_day(ClinicSettings.load().today(), per_clinician=1)[0]
    sign_in(receptionist.username, PASSWORD)
    response = page.goto(
        f"{live_server.url}{reverse('screening_detail', args=[appointment.patient_id])}"
    )
    assert response.status == 403
    page.goto(f"{live_server.url}{reverse('patient_detail', args=[appointment.patient_id])}")
    expect(page.get_by_text("Latest screening")).to_have_count(0)


def test_receptionist_undoes_a_no_show_marked_by_mistake(
    page, live_server, sign_in, shoot, receptionist
):
    (missed,) = clinic_day(ClinicSettings.load().today(), per_clinician=1)
    sign_in(receptionist.username, PASSWORD)
    card = page.locator(f"#booking-{missed.pk}")
    card.get_by_text("Actions").click()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="No-show").click()
    expect(page.locator(f"#booking-{missed.pk}")).to_contain_text("No-show")

    card = page.locator(f"#booking-{missed.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Undo no-show").click()

    expect(page.locator(f"#booking-{missed.pk}")).to_contain_text("Booked")
    shoot("schedule-day-no-show-undone")
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.BOOKED
