"""Reception runs the day from the schedule: bookings in columns, arrivals, no-shows,
cancellations in place, closed days flagged, and the same few queries however busy."""

from datetime import date, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings, Closure
from plans import cards
from plans.models import Appointment, Session
from plans.services import ARRIVAL_NOT_BOOKED
from tests import factories
from tests.factories import book
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return ClinicSettings.load().today()


def test_a_booking_shows_patient_protocol_number_areas_and_arrival(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    plan = appointment.session.plan
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today])).content.decode()
    assert str(appointment.patient) in page
    assert plan.protocol.name in page
    assert f"session 1 of {plan.sessions.count()}" in page
    assert "Face" in page
    cream = ClinicSettings.load().anaesthetic_cream_minutes
    arrival = appointment.starts_at.astimezone(ClinicSettings.load().tz) - timedelta(minutes=cream)
    assert f"Arrive {arrival:%H:%M}" in page
    assert "anaesthetic" not in page.lower()  # the reason is medical: only the time shows


def test_a_plans_areas_show_in_order_on_each_of_its_cards(client, receptionist, today):
    first = clinic_day(today, per_clinician=1)[0]
    plan = first.session.plan
    plan.areas.set([factories.make_area(name) for name in ("Neck", "Décolleté", "Face")])
    later = first.starts_at + timedelta(hours=3)
    book(plan.sessions.get(number=2), later, first.clinician, first.room)
    bare = factories.make_plan(protocol=plan.protocol, clinician=first.clinician, start_date=today)
    bare.areas.clear()
    book(bare.sessions.get(number=1), later + timedelta(hours=1), first.clinician, first.room)
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today])).content.decode()
    assert page.count(f"Décolleté, Face, Neck · {first.room.name}</span>") == 2
    assert f'<span class="booking-meta">{first.room.name}</span>' in page  # no areas


def test_receptionist_marks_an_arrival_in_place(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    response = client.post(
        reverse("appointment_arrived", args=[appointment.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == HTTPStatus.OK
    assert f'id="booking-{appointment.pk}"' in response.content.decode()
    assert "Arrived" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.session.status == Session.Status.BOOKED  # the step is still booked


def test_no_show_without_javascript_asks_then_goes_back_to_the_day(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    back = reverse("schedule_day", args=[today])
    url = reverse("appointment_no_show", args=[appointment.pk])

    asked = client.post(url, {"next": back})

    assert asked.status_code == HTTPStatus.OK
    assert f"Mark {appointment.patient.full_name} as a no-show?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text and f'value="{back}"' in asked.text
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED  # nothing yet
    response = client.post(url, {"next": back, "confirm": "yes"})
    assert response["Location"] == back
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    assert appointment.session.status == Session.Status.TO_BOOK  # to book again


def test_cancelling_needs_a_reason(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    session = appointment.session
    window = (session.number, session.earliest, session.latest)
    client.force_login(receptionist)
    url = reverse("appointment_cancel", args=[appointment.pk])
    response = client.post(url, {"reason": ""})
    assert "This field is required" in response.content.decode()
    client.post(url, {"reason": "Patient has flu"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.reason) == (
        Appointment.Status.CANCELLED_BY_PATIENT,
        "Patient has flu",
    )
    session.refresh_from_db()  # the step is to book again, same number and window
    assert session.status == Session.Status.TO_BOOK
    assert (session.number, session.earliest, session.latest) == window


def test_an_action_the_service_refuses_says_why(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    client.post(reverse("appointment_arrived", args=[appointment.pk]))
    response = client.post(
        reverse("appointment_arrived", args=[appointment.pk]), headers={"HX-Request": "true"}
    )
    assert ARRIVAL_NOT_BOOKED.format(status="arrived") in response.content.decode()


def test_closed_day_shows_a_banner(client, receptionist, today):
    Closure.objects.create(name="Bank holiday", first_day=today, last_day=today)
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today])).content.decode()
    assert "Closed:" in page and "Bank holiday" in page


def test_rooms_can_be_the_columns(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today]) + "?by=room").content.decode()
    assert f'id="col-{appointment.room_id}">{appointment.room.name}' in page


def test_the_date_picker_goes_to_the_day(client, receptionist, today):
    client.force_login(receptionist)
    response = client.get(reverse("schedule_day", args=[today]) + "?day=2026-03-02")
    assert response["Location"] == "/schedule/2026-03-02/"


@pytest.mark.parametrize("by", ["clinician", "room"])
def test_the_day_costs_the_same_queries_whatever_its_size(
    client, receptionist, today, django_assert_max_num_queries, by
):
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[today]) + f"?by={by}"
    clinic_day(today, clinicians=1, per_clinician=1)
    client.get(url)  # new staff: the process reads its standing calendar again, once
    # 7: the consent forms in force, for the cards' "consent to sign" (was 6).
    with django_assert_max_num_queries(7) as small:
        client.get(url)
    queries = len(small.captured_queries)  # before the next request clears the log
    clinic_day(today, clinicians=4, per_clinician=6)
    client.get(url)
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.content.decode().count('class="booking ') == 25


def test_a_clinicians_week_costs_the_same_queries_whatever_its_size(
    client, clinician, today, django_assert_max_num_queries
):
    client.force_login(clinician.user)
    monday = today - timedelta(days=today.weekday())
    url = reverse("schedule_week", args=[clinician.pk, monday])
    clinic_day(monday, clinician=clinician, per_clinician=1)
    client.get(url)  # the standing calendar, read once after a change
    with django_assert_max_num_queries(8) as small:
        client.get(url)
    queries = len(small.captured_queries)  # before the next request clears the log
    clinic_day(monday + timedelta(days=1), clinician=clinician, per_clinician=8)
    client.get(url)
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.content.decode().count('class="booking ') == 9


def test_a_cards_actions_load_when_its_menu_opens(client, receptionist, clinician, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    day = reverse("schedule_day", args=[today])
    client.force_login(receptionist)
    page = client.get(day + "?by=room").content.decode()
    assert f'hx-get="{day}?actions={appointment.pk}"' in page
    assert 'name="action"' not in page  # no form per card: the menu comes on demand
    assert str(appointment.clinician) in page  # the rooms' view names the clinician
    menu = client.get(
        f"{day}?actions={appointment.pk}",
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{day}?by=room"},
    ).content.decode()
    for action in ('value="arrived"', 'value="no_show"', 'value="cancel"', "move/"):
        assert action in menu
    assert f'hx-target="#booking-{appointment.pk}"' in menu
    assert f'name="next" value="{day}?by=room"' in menu
    assert "done/" not in menu  # only clinicians record treatment
    client.force_login(clinician.user)
    assert "done/" in client.get(f"{day}?actions={appointment.pk}").content.decode()


def test_an_action_answers_the_card_as_the_day_shows_it(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    day = reverse("schedule_day", args=[today])
    card = client.post(
        reverse("appointment_act", args=[appointment.pk]),
        {"action": "arrived", "next": day + "?by=room"},
        headers={"HX-Request": "true"},
    ).content.decode()
    opening = f'<div class="booking-body status-arrived" id="booking-{appointment.pk}">'
    assert card.startswith(opening)
    assert str(appointment.patient) in card and str(appointment.clinician) in card


# The hours, closures and columns come from the process's standing calendar: each test
# opens the day first, so the calendar is held, then changes the clinic and opens it again.


def test_a_closure_entered_after_the_day_was_opened_shows_next_time(client, receptionist, today):
    clinic_day(today, per_clinician=1)
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[today])
    assert "Bank holiday" not in client.get(url).content.decode()
    Closure.objects.create(name="Bank holiday", first_day=today, last_day=today)
    assert "<strong>Closed:</strong> Bank holiday." in client.get(url).content.decode()


def test_a_clinician_renamed_shows_the_new_name(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[today])
    assert str(appointment.clinician) in client.get(url).content.decode()
    user = appointment.clinician.user
    user.last_name = "Marchand"
    user.save()
    page = client.get(url).content.decode()
    assert f'id="col-{appointment.clinician_id}">Dr {user.first_name} Marchand' in page


def test_a_clinician_made_inactive_keeps_a_column_while_booked_that_day(
    client, receptionist, today
):
    appointment = clinic_day(today, clinicians=2, per_clinician=1)[0]
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[today])
    client.get(url)
    clinician = appointment.clinician
    clinician.is_active = False
    clinician.save()
    page = client.get(url).content.decode()
    assert f'id="col-{clinician.pk}">{clinician}' in page
    assert f'id="booking-{appointment.pk}"' in page
    day = timedelta(days=1)
    Appointment.objects.filter(pk=appointment.pk).update(  # the booking moves to the next day
        starts_at=appointment.starts_at + day,
        ends_at=appointment.ends_at + day,
        blocks_until=appointment.blocks_until + day,
    )
    assert f'id="col-{clinician.pk}"' not in client.get(url).content.decode()


def test_rooms_view_names_the_clinician_on_each_card(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today]) + "?by=room").content.decode()
    assert f'id="col-{appointment.room_id}">{appointment.room.name}' in page
    assert f"· {appointment.clinician}</span>" in page


def test_on_the_day_the_clocks_go_forward_cards_sit_by_their_hour_marks(client, receptionist):
    # Paris, 29 March 2026: 02:00 becomes 03:00. An early booking starts the grid at 01:00.
    day = date(2026, 3, 29)
    tz = ClinicSettings.load().tz
    early, late = clinic_day(day, per_clinician=2)
    length = late.blocks_until - late.starts_at
    for appointment, hour in ((early, 1), (late, 4)):
        starts_at = datetime(2026, 3, 29, hour, 0, tzinfo=tz)
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=starts_at,
            ends_at=starts_at + (appointment.ends_at - appointment.starts_at),
            blocks_until=starts_at + length,
        )
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[day])).content.decode()
    assert '<div class="hour r-1 s-12">01:00</div>' in page
    assert '<div class="hour r-37 s-12">04:00</div>' in page  # three marks of 12 rows later
    cell = f'<article class="booking r-37 s-9 l0n1" draggable="true" data-appointment="{late.pk}"'
    assert cell in page
    assert f'<div class="booking-body status-booked" id="booking-{late.pk}"' in page
    assert '<span class="booking-time">04:00–04:45</span>' in page


def test_columns_come_by_last_name_whatever_its_case(client, receptionist, today):
    for last_name in ("Martin", "de Vries", "Aubert"):
        factories.make_clinician(user=factories.make_user("Clinician", last_name=last_name))
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today])).content.decode()
    assert page.index("Aubert") < page.index("de Vries") < page.index("Martin")


def test_the_week_opens_on_your_own_else_on_the_first_clinician_by_name(
    client, receptionist, today
):
    martin = factories.make_clinician(user=factories.make_user("Clinician", last_name="Martin"))
    aubert = factories.make_clinician(user=factories.make_user("Clinician", last_name="aubert"))
    client.force_login(receptionist)
    response = client.get(reverse("schedule_week_mine"))
    assert response["Location"] == reverse("schedule_week", args=[aubert.pk, today])
    client.force_login(martin.user)
    response = client.get(reverse("schedule_week_mine"))
    assert response["Location"] == reverse("schedule_week", args=[martin.pk, today])


def test_a_room_renamed_or_retired_is_still_named_on_its_cards(client, receptionist, today):
    appointment = clinic_day(today, per_clinician=1)[0]
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[today])
    client.get(url)
    room = appointment.room
    room.name = "Cabin Lilas"
    room.save()
    assert "Face · Cabin Lilas</span>" in client.get(url).content.decode()
    room.is_active = False
    room.save()
    assert "Face · Cabin Lilas</span>" in client.get(url).content.decode()
    week = reverse("schedule_week", args=[appointment.clinician_id, today])
    assert "Face · Cabin Lilas</span>" in client.get(week).content.decode()


def test_time_a_clinician_does_not_work_is_shaded_and_a_day_off_said(client, receptionist, today):
    from clinic.models import OpeningHours, TimeOff

    monday = today + timedelta(days=7 - today.weekday())
    for weekday in range(7):
        OpeningHours.objects.get_or_create(weekday=weekday, opens=time(8), closes=time(20))
    working = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Ana", last_name="Working")
    )  # 09:00-18:00 on weekdays
    tz = ClinicSettings.load().tz
    TimeOff.objects.create(
        clinician=working,
        starts_at=datetime.combine(monday, time(14), tzinfo=tz),
        ends_at=datetime.combine(monday, time(16), tzinfo=tz),
        reason="Dentist",
    )
    away = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Bo", last_name="Away"), hours=False
    )
    client.force_login(receptionist)
    url = reverse("schedule_day", args=[monday])

    page = client.get(url).text

    column = page[page.index(f'id="col-{working.pk}"') :]
    column = column[: column.index("</section>")]
    # From 08:00 in rows of 5 minutes: 08-09 off, the time off 14-16, after 18:00.
    assert '<div class="off r-1 s-12" aria-hidden="true">' in column
    assert '<div class="off r-73 s-24" aria-hidden="true">' in column
    assert '<div class="off r-121 s-24" aria-hidden="true">' in column
    assert "Dentist" not in page  # why is the clinician's own
    assert f'id="col-{away.pk}">Dr Bo Away {cards.OFF_BADGE.strip()}' in page
    hidden = client.get(url, {"by": "clinician", "off": "hide"}).text
    assert f'id="col-{away.pk}"' not in hidden and f'id="col-{working.pk}"' in hidden
