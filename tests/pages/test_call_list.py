"""Reception's call list page: whom to call today and what to say, the patient's own
instruction but never the screening behind it; ticks kept with who and when, on today's
list only; the same few queries however many patients are on it."""

from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import call_views, calls
from plans.models import CallOutcome
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return ClinicSettings.load().today()


def booked(clinician, day, *, hour=10, screening=None, **patient):
    """A patient with one appointment at `hour` on `day`, screened as `screening` says."""
    person = factories.make_patient(**patient)
    factories.make_screening(person, clinician, **(screening or {}))
    plan = factories.make_plan(
        patient=person,
        protocol=factories.make_protocol("2 sessions every 2 weeks ±2 days"),
        clinician=clinician,
        start_date=day,
    )
    starts = datetime.combine(day, time(hour), tzinfo=ClinicSettings.load().tz)
    room = factories.make_room()
    return factories.book(plan.sessions.get(number=1), starts, clinician, room)


def page(client, day=None):
    url = reverse("call_list_day", args=[day]) if day else reverse("call_list")
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def line_of(day, appointment):
    from plans import selectors

    lines = selectors.call_list(day)
    return next(line for line in lines if line.person.patient_id == appointment.patient_id)


def tick(client, day, appointment, outcome, keys=None):
    keys = keys if keys is not None else line_of(day, appointment).keys
    return client.post(
        reverse("call_tick", args=[day]),
        {"patient": appointment.patient_id, "key": list(keys), "outcome": outcome},
    )


def test_reception_sees_the_phone_and_the_patients_own_instruction_not_the_screening(
    client, receptionist, clinician, today
):
    # The aspirin pause starts three days before the session: tomorrow.
    session_day = today + timedelta(days=4)
    pausing = booked(
        clinician,
        session_day,
        last_name="Pausing",
        phone="+33 6 30 63 66 10",
        screening={"takes_aspirin_or_clopidogrel": True, "clinical_notes": "Keloid scar"},
    )
    client.force_login(receptionist)

    html = page(client)

    pause_day = session_day - timedelta(days=3)
    assert "PAUSING Sophie" in html and 'href="tel:+33 6 30 63 66 10"' in html
    assert (
        f"From tomorrow: stop aspirin or clopidogrel from {pause_day:%A} {pause_day.day} "
        f"{pause_day:%B} (3 days before your session)."
    ) in html
    assert "Screening" not in html and "Keloid" not in html and "takes aspirin" not in html
    assert reverse("patient_detail", args=[pausing.patient_id]) in html


def test_tomorrows_appointments_are_to_confirm_with_the_arrival_for_the_cream(
    client, receptionist, clinician, today
):
    tomorrow = today + timedelta(days=1)
    booked(clinician, tomorrow, hour=11, screening={"wants_anaesthetic_cream": True})
    booked(clinician, today + timedelta(days=2), last_name="Later")
    client.force_login(receptionist)

    html = page(client)

    assert (
        f"Confirm tomorrow's appointment, {tomorrow:%A} {tomorrow.day} {tomorrow:%B} at 11:00 "
        f"with {clinician}, to arrive at 10:30."
    ) in html
    assert "LATER" not in html  # the day after tomorrow is tomorrow's to confirm


def test_a_tick_is_kept_with_who_and_when_and_settles_the_line(
    client, receptionist, clinician, today, clock
):
    tomorrow = today + timedelta(days=1)
    appointment = booked(clinician, tomorrow)
    client.force_login(receptionist)

    response = tick(client, today, appointment, calls.Outcome.REACHED)

    assert response.status_code == 302
    assert response.url.endswith(f"#call-{appointment.patient_id}")
    [kept] = CallOutcome.objects.all()
    assert (kept.by, kept.day, kept.at, kept.patient_id) == (
        receptionist,
        today,
        clock.now,
        appointment.patient_id,
    )
    html = page(client)
    assert "Nobody left to call: every call of the day is done." in html
    at = clock.now.astimezone(ClinicSettings.load().tz)
    assert f"Reached · {at:%a} {at.day} {at:%b}, {at:%H:%M} · rita.desk" in html
    # Settled for good: the next day's list does not ask again.
    assert "BERNARD" not in page(client, tomorrow)


def test_no_answer_keeps_the_patient_on_the_list_to_try_again(
    client, receptionist, clinician, today
):
    appointment = booked(clinician, today + timedelta(days=1), last_name="Unreached")
    client.force_login(receptionist)

    tick(client, today, appointment, calls.Outcome.NO_ANSWER)

    html = page(client)
    assert "To call" in html and "Tried: no answer" in html
    assert not line_of(today, appointment).done


def test_only_todays_list_is_ticked(client, receptionist, clinician, today):
    tomorrow = today + timedelta(days=1)
    appointment = booked(clinician, today + timedelta(days=2))
    client.force_login(receptionist)

    response = tick(client, tomorrow, appointment, calls.Outcome.REACHED, keys=["x"])
    assert response.status_code == 302
    assert call_views.NOT_TODAY in page(client, tomorrow)
    assert not CallOutcome.objects.exists()
    assert 'name="outcome"' not in page(client, tomorrow)  # read-only: no buttons


def test_a_tick_on_a_list_that_changed_is_refused_and_the_list_shown_again(
    client, receptionist, clinician, today
):
    appointment = booked(clinician, today + timedelta(days=1))
    client.force_login(receptionist)

    tick(client, today, appointment, calls.Outcome.REACHED, keys=["confirm:0:gone"])

    assert not CallOutcome.objects.exists()
    assert call_views.STALE in page(client)


def test_an_unknown_outcome_is_refused_with_nothing_saved(client, receptionist, clinician, today):
    appointment = booked(clinician, today + timedelta(days=1))
    client.force_login(receptionist)

    tick(client, today, appointment, "hung_up")

    assert not CallOutcome.objects.exists()
    assert "Choose what came of the call." in page(client)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallOutcome.objects.create(
            key="confirm:1",
            patient=appointment.patient,
            day=today,
            outcome="hung_up",
            by=receptionist,
            at=appointment.starts_at,
        )  # the database refuses it too


def test_an_appointment_to_rebook_offers_rebooking(client, receptionist, clinician, today):
    appointment = booked(clinician, today + timedelta(days=10), last_name="Closure")
    appointment.needs_rebooking = True
    appointment.save(update_fields=["needs_rebooking"])
    client.force_login(receptionist)

    html = page(client)

    assert "cannot stay: offer a new time." in html
    assert reverse("appointment_move", args=[appointment.pk]) in html
    assert 'value="rebooked"' in html
    tick(client, today, appointment, calls.Outcome.REBOOKED)
    assert CallOutcome.objects.get().outcome == calls.Outcome.REBOOKED


def test_a_missing_consent_is_asked_for_once_within_the_week(
    client, receptionist, clinician, today, clock
):
    appointment = booked(clinician, today + timedelta(days=5), last_name="Unsigned")
    booked(clinician, today + timedelta(days=20), last_name="Faraway")
    factories.make_consent_form(appointment.session.plan.protocol.method, versions=3)
    client.force_login(receptionist)

    html = page(client)
    assert "Consent for needle injection, version 3, to be signed before the appointment" in html
    assert "FARAWAY" not in html

    tick(client, today, appointment, calls.Outcome.MESSAGE_LEFT)
    assert "Message left: UNSIGNED Sophie." in page(client)
    clock.set(clock.now + timedelta(days=1))
    client.force_login(receptionist)  # the idle sign-out ended yesterday's session
    assert "UNSIGNED" not in page(client)


def test_the_list_needs_sign_in_and_a_role_that_books(client, receptionist):
    response = client.get(reverse("call_list"))
    assert response.status_code == 302 and reverse("login") in response.url

    client.force_login(factories.make_user(None, username="no.role"))
    assert client.get(reverse("call_list")).status_code == 403


def test_reception_finds_the_call_list_in_the_menu(client, receptionist):
    client.force_login(receptionist)
    assert f'href="{reverse("call_list")}"' in client.get(reverse("call_list")).text


@pytest.mark.parametrize("patients", [2, 12])
def test_the_list_takes_the_same_queries_however_many_patients(
    client, receptionist, clinician, today, patients, django_assert_max_num_queries
):
    for number in range(patients):
        appointment = booked(
            clinician,
            today + timedelta(days=1 + number % 5),
            hour=9 + number % 8,
            screening={"takes_aspirin_or_clopidogrel": True, "wants_anaesthetic_cream": True},
        )
    factories.make_consent_form(appointment.session.plan.protocol.method)
    client.force_login(receptionist)
    tick(client, today, appointment, calls.Outcome.NO_ANSWER)

    with django_assert_max_num_queries(17):
        html = page(client)
    assert html.count('class="list-group-item call-line') >= 2
