"""A receptionist opens today, checks a patient in, marks a no-show, and cannot read a
screening."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans.models import Appointment
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD
from tests.pages.data import clinic_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_marks_an_arrival_and_a_no_show(
    page, live_server, sign_in, shoot, receptionist
):
    first, second = clinic_day(ClinicSettings.load().today(), per_clinician=2)
    sign_in(receptionist.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    shoot("schedule-day", tablet=True)

    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Arrived").click()
    expect(page.locator(f"#booking-{first.pk} .badge")).to_have_text("Arrived")

    card = page.locator(f"#booking-{second.pk}")
    card.get_by_text("Actions").click()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    card.get_by_role("button", name="No-show").click()
    expect(card.locator(".badge")).to_have_text("Booked")  # dismissed: nothing changed
    assert asked and "as a no-show?" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="No-show").click()
    expect(page.locator(f"#booking-{second.pk} .badge")).to_have_text("No-show")
    shoot("schedule-day-after-actions")

    # A mistake at the desk, put right the same day: the arrival undone, then redone.
    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Undo arrival").click()
    expect(page.locator(f"#booking-{first.pk} .badge")).to_have_text("Booked")
    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Arrived").click()
    expect(page.locator(f"#booking-{first.pk} .badge")).to_have_text("Arrived")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (
        Appointment.Status.ARRIVED,
        Appointment.Status.NO_SHOW,
    )

    page.goto(
        f"{live_server.url}{reverse('schedule_day', args=[ClinicSettings.load().today()])}?by=room"
    )
    shoot("schedule-day-rooms", tablet=True)
    page.goto(f"{live_server.url}{reverse('recall_board')}")
    shoot("recall-board", tablet=True)
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
    expect(page.locator(f"#booking-{missed.pk} .badge")).to_have_text("No-show")

    card = page.locator(f"#booking-{missed.pk}")
    card.get_by_text("Actions").click()
    card.get_by_role("button", name="Undo no-show").click()

    expect(page.locator(f"#booking-{missed.pk} .badge")).to_have_text("Booked")
    shoot("schedule-day-no-show-undone")
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.BOOKED


def test_the_printed_day_carries_each_patients_phone_and_arrival(
    page, live_server, sign_in, receptionist
):
    cream, plain = clinic_day(ClinicSettings.load().today(), per_clinician=2)  # cream first
    sign_in(receptionist.username, PASSWORD)
    first, second = page.locator(f"#booking-{cream.pk}"), page.locator(f"#booking-{plain.pk}")
    expect(first.locator(".booking-phone")).to_be_hidden()  # the screen's grid: no room

    page.emulate_media(media="print")

    expect(first.locator(".booking-phone")).to_have_text("Tel. +33 6 12 34 56 78")
    expect(first).to_contain_text("Arrive 07:30")  # early for the anaesthetic cream
    expect(second).to_contain_text("Arrive 09:00")
    expect(second.locator(".booking-phone")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "schedule-day-print.png", full_page=True)


@pytest.mark.parametrize("width", [390, 768, 1024, 1280])
def test_the_card_menu_never_covers_the_patients_name(
    page, live_server, sign_in, receptionist, width
):
    first, _ = clinic_day(ClinicSettings.load().today(), per_clinician=2)
    sign_in(receptionist.username, PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    card = page.locator(f"#booking-{first.pk}")
    card.get_by_text("Actions").click()
    expect(card.get_by_role("button", name="Arrived")).to_be_visible()

    name = card.locator(".booking-patient").bounding_box()
    menu = card.locator(".booking-menu").bounding_box()
    assert menu["y"] + menu["height"] <= name["y"] or name["y"] + name["height"] <= menu["y"]
    expect(card.locator(".booking-patient")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"schedule-day-menu-{width}.png", full_page=True)
