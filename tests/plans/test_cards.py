"""The schedule's markup is joined in Python (`plans.cards`), not by the template engine:
every name a card prints comes from the database and must reach the page escaped, on the
day by clinician and by room, on the week, and on the one card answered to an action."""

from datetime import datetime, time
from html import escape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings, OpeningHours
from plans import cards, selectors
from plans.calendar import clinic_calendar
from plans.models import Session
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

SCRIPT = "<script>x</script>"


@pytest.fixture
def hostile(clock):
    """An appointment today whose every printed name carries a script: the patient's
    first and last names, the protocol, the room, the area, the clinician (and specialty)."""
    settings = ClinicSettings.load()
    today = clock.today()
    for weekday in range(7):
        OpeningHours.objects.get_or_create(weekday=weekday, opens=time(8), closes=time(20))
    user = factories.make_user("Clinician", first_name=f"{SCRIPT}Claire", last_name=f"{SCRIPT}M")
    clinician = factories.make_clinician(user=user)
    clinician.specialty = f"{SCRIPT}Dermatology"
    clinician.save()
    patient = factories.make_patient(first_name=f"{SCRIPT}Léa", last_name=f"{SCRIPT}Moreau")
    factories.make_screening(patient, clinician, screened_on=today, wants_anaesthetic_cream=True)
    protocol = factories.make_protocol(name=f"{SCRIPT}Skin")
    plan = factories.make_plan(
        patient=patient, protocol=protocol, clinician=clinician, start_date=today
    )
    plan.areas.set([factories.make_area(f"{SCRIPT}Face")])
    room = factories.make_room(f"{SCRIPT}Room")
    starts_at = datetime.combine(today, time(11), tzinfo=settings.tz)
    return book(plan.sessions.get(number=1), starts_at, clinician, room)


def names(appointment) -> dict[str, str]:
    return {
        "patient": str(appointment.patient),
        "protocol": appointment.session.plan.protocol.name,
        "area": f"{SCRIPT}Face",
        "room": appointment.room.name,
        "clinician": str(appointment.clinician),
    }


def assert_escaped(html: str, *printed: str) -> None:
    assert SCRIPT not in html.lower()  # nor in capitals, as the last name prints
    for name in printed:
        assert SCRIPT in name.lower()
        assert escape(name) in html, name


def test_the_day_by_clinician_escapes_every_name(client, receptionist, hostile):
    client.force_login(receptionist)
    day = hostile.starts_at.astimezone(ClinicSettings.load().tz).date()
    page = client.get(reverse("schedule_day", args=[day])).content.decode()
    printed = names(hostile)
    assert_escaped(page, *printed.values(), f"{SCRIPT}Dermatology")
    assert f'id="booking-{hostile.pk}"' in page


def test_the_day_by_room_escapes_every_name(client, receptionist, hostile):
    client.force_login(receptionist)
    day = hostile.starts_at.astimezone(ClinicSettings.load().tz).date()
    page = client.get(reverse("schedule_day", args=[day]) + "?by=room").content.decode()
    assert_escaped(page, *names(hostile).values())
    assert f'id="booking-{hostile.pk}"' in page


def test_the_week_escapes_every_name(client, receptionist, hostile):
    client.force_login(receptionist)
    day = hostile.starts_at.astimezone(ClinicSettings.load().tz).date()
    url = reverse("schedule_week", args=[hostile.clinician_id, day])
    page = client.get(url).content.decode()
    printed = names(hostile)
    assert_escaped(page, printed["patient"], printed["protocol"], printed["area"], printed["room"])
    assert f'id="booking-{hostile.pk}"' in page


@pytest.mark.parametrize("by_room", [False, True])
def test_the_card_answered_to_an_action_escapes_every_name(hostile, by_room):
    settings = ClinicSettings.load()
    card = selectors.schedule_card(
        hostile.pk,
        settings.tz,
        cream_minutes=settings.anaesthetic_cream_minutes,
        by_room=by_room,
        standing=clinic_calendar(settings),
        error=f"{SCRIPT}refused",
    )
    printed = names(hostile)
    place = printed["clinician"] if by_room else printed["room"]
    assert_escaped(
        card.html, printed["patient"], printed["protocol"], printed["area"], place, SCRIPT
    )


def test_an_action_answers_an_escaped_card(client, receptionist, hostile):
    client.force_login(receptionist)
    response = client.post(
        reverse("appointment_arrived", args=[hostile.pk]), headers={"HX-Request": "true"}
    )
    card = response.content.decode()
    assert card.startswith(f'<div class="booking-body status-arrived" id="booking-{hostile.pk}"')
    printed = names(hostile)
    assert_escaped(card, printed["patient"], printed["protocol"], printed["area"], printed["room"])


def test_the_recall_board_escapes_every_name(client, receptionist, hostile):
    """The board's rows are joined in `plans.cards` too: patient, phone, protocol and the
    clinician to ask."""
    session = hostile.session
    Session.objects.filter(plan=session.plan, number=2).update(
        earliest=session.earliest, latest=session.latest, due=session.due
    )  # session 2 to book, its window open today
    patient = session.patient
    patient.phone = "+33 6 11 22 33 44"
    patient.save()
    client.force_login(receptionist)

    page = client.get(reverse("recall_board")).content.decode()

    printed = names(hostile)
    assert_escaped(page, printed["patient"], printed["protocol"], printed["clinician"])
    assert reverse("session_book", args=[session.plan.sessions.get(number=2).pk]) in page


def test_the_time_a_clinician_does_not_work_is_shaded_in_grid_rows():
    paris = ZoneInfo("Europe/Paris")

    def at(hour, minute=0):
        return datetime(2026, 12, 7, hour, minute, tzinfo=paris)

    working = [(at(9), at(13)), (at(14), at(18, 30))]
    # A grid from 08:00, 12 hours of 5-minute rows: before 9, lunch, after 18:30.
    assert cards.off_rows(working, first_hour=8, rows=144) == [(1, 12), (61, 12), (127, 18)]
    # A day off: the whole column, in pieces of at most 8 hours the classes can place.
    assert cards.off_rows([], first_hour=8, rows=144) == [(1, 96), (97, 48)]
    assert cards.off_rows([(at(8), at(20))], first_hour=8, rows=144) == []


def test_overlapping_cards_share_their_rows_in_lanes_and_the_others_keep_the_width():
    def card(row, span, name):
        return cards.Card(row, span, name)

    laid = cards.lay_out(
        [card(1, 12, "a"), card(7, 12, "b"), card(13, 6, "c"), card(30, 6, "d"), card(31, 3, "e")]
    )
    lanes = {c.html: (c.lane, c.lanes) for c in laid}
    # a and b overlap, c fits under a in its lane: one cluster of two lanes.
    assert lanes["a"] == (0, 2) and lanes["b"] == (1, 2) and lanes["c"] == (0, 2)
    assert lanes["d"] == (0, 2) and lanes["e"] == (1, 2)
    alone = cards.lay_out([card(1, 6, "x"), card(7, 6, "y")])
    assert [(c.lane, c.lanes) for c in alone] == [(0, 1), (0, 1)]  # touching, not overlapping
