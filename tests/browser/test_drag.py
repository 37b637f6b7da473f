"""Reception drags a card to another clinician's column and time, and a card onto a taken
time, which stays where it was with the reason."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans import booking
from tests.factories import PASSWORD
from tests.pages.data import clinic_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GRAB = {"x": 12, "y": 4}  # where the card is held, near its top


def target(page, column, at: time):
    """Where in a column's slots a card held by GRAB lands at `at`."""
    schedule = page.locator(".schedule")
    first_hour = int(schedule.get_attribute("data-first-hour"))
    row = column.locator(".slots").evaluate("e => parseFloat(getComputedStyle(e).gridAutoRows)")
    rows = (at.hour * 60 + at.minute - first_hour * 60) / 5
    return {"x": 30, "y": rows * row + GRAB["y"]}


def drag(page, card, column, position):
    """Hold `card` by GRAB and let it go at `position` in `column`'s slots, with the
    mouse, as a person does (the browser's own drag and drop runs)."""
    start = card.bounding_box()
    slots = column.locator(".slots").bounding_box()
    page.mouse.move(start["x"] + GRAB["x"], start["y"] + GRAB["y"])
    page.mouse.down()
    page.mouse.move(slots["x"] + position["x"], slots["y"] + position["y"], steps=12)
    page.mouse.up()


def test_receptionist_drags_a_card_to_another_column_and_time(
    page, live_server, sign_in, shoot, receptionist
):
    tomorrow = ClinicSettings.load().today() + timedelta(days=1)
    while tomorrow.weekday() >= 5:  # a weekday: its clinicians work
        tomorrow += timedelta(days=1)
    mine, theirs = clinic_day(tomorrow, clinicians=2, per_clinician=1)
    _, taken = clinic_day(tomorrow, clinicians=1, per_clinician=2)  # a third column, at 9:00
    sign_in(receptionist.username, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1700})  # the whole day in view
    page.goto(f"{live_server.url}/schedule/{tomorrow.isoformat()}/")
    columns = page.locator(".schedule-col")
    other = columns.filter(has=page.locator(f"#booking-{theirs.pk}"))

    drag(
        page,
        page.locator(f"article[data-appointment='{mine.pk}']"),
        other,
        target(page, other, time(13)),
    )

    expect(page.get_by_text("moved to")).to_be_visible()
    expect(other.locator(f"#booking-{mine.pk}")).to_contain_text("13:00")
    mine.refresh_from_db()
    tz = ClinicSettings.load().tz
    assert mine.starts_at == datetime.combine(tomorrow, time(13), tzinfo=tz)
    assert mine.clinician_id == theirs.clinician_id
    shoot("schedule-day-after-drag", tablet=True)

    # Onto a time already taken in its own column: refused, and the card stays.
    own = columns.filter(has=page.locator(f"#booking-{taken.pk}"))
    at = taken.starts_at.astimezone(tz).time()
    drag(page, page.locator(f"article[data-appointment='{theirs.pk}']"), own, target(page, own, at))
    expect(page.locator("#drop-status")).to_have_text(booking.SLOT_TAKEN)
    expect(other.locator(f"#booking-{theirs.pk}")).to_be_visible()
    theirs_before = theirs.starts_at
    theirs.refresh_from_db()
    assert theirs.starts_at == theirs_before


def test_on_the_week_a_card_dragged_to_another_day_moves_there(
    page, live_server, sign_in, clinician
):
    from plans.models import Appointment

    today = ClinicSettings.load().today()
    monday = today + timedelta(days=7 - today.weekday())  # next week: nothing in the past
    (first,) = clinic_day(monday, per_clinician=1, clinician=clinician)
    Appointment.objects.filter(pk=first.pk).update(
        starts_at=first.starts_at + timedelta(hours=2),
        ends_at=first.ends_at + timedelta(hours=2),
        blocks_until=first.blocks_until + timedelta(hours=2),
    )  # 10:00, inside the clinician's hours
    sign_in(clinician.user.username, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.goto(f"{live_server.url}/schedule/week/{clinician.pk}/{monday.isoformat()}/")
    wednesday = page.locator(".schedule-col").nth(2)

    drag(
        page,
        page.locator(f"article[data-appointment='{first.pk}']"),
        wednesday,
        target(page, wednesday, time(11)),
    )

    expect(page.get_by_text("moved to")).to_be_visible()
    expect(wednesday.locator(f"#booking-{first.pk}")).to_contain_text("11:00")
    first.refresh_from_db()
    tz = ClinicSettings.load().tz
    assert first.starts_at == datetime.combine(monday + timedelta(days=2), time(11), tzinfo=tz)
