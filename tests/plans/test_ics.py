"""The patient's calendar file, parsed back with the `icalendar` library: one stable UID
per appointment, cancelled ones sent as CANCELLED, and times in the clinic's zone with
its VTIMEZONE, right on both sides of a change of the clocks."""

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans.models import Appointment
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# The clocks go forward in Paris on Sunday 28 March 2027, at 02:00.
BEFORE_CHANGE = datetime(2027, 3, 26, 10, tzinfo=PARIS)  # 09:00 UTC
AFTER_CHANGE = datetime(2027, 3, 29, 10, tzinfo=PARIS)  # 08:00 UTC
# And back on Sunday 31 October 2027.
AFTER_AUTUMN = datetime(2027, 11, 2, 10, tzinfo=PARIS)  # 09:00 UTC


@pytest.fixture
def appointments(clinician, patient):
    ClinicSettings.load()  # Europe/Paris
    plan = factories.make_plan(
        patient=patient, clinician=clinician, protocol=factories.make_protocol()
    )
    room = factories.make_room()
    sessions = list(plan.sessions.order_by("number")[:4])
    booked = [
        book(sessions[0], BEFORE_CHANGE, clinician, room),
        book(sessions[1], AFTER_CHANGE, clinician, room),
        book(sessions[2], AFTER_AUTUMN, clinician, room),
        book(sessions[3], AFTER_AUTUMN + timedelta(days=14), clinician, room),
    ]
    cancelled = booked[3]
    cancelled.status, cancelled.reason = Appointment.Status.CANCELLED_BY_CLINIC, "Closed"
    cancelled.save()
    return booked


def download(client, patient) -> icalendar.Calendar:
    response = client.get(reverse("patient_appointments_ics", args=[patient.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(cal) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in cal.events}


def test_times_are_right_on_both_sides_of_the_change_of_the_clocks(
    client, receptionist, patient, appointments
):
    client.force_login(receptionist)

    cal = download(client, patient)

    found = sorted(cal.events, key=lambda e: e.start)
    assert [e.start for e in found[:3]] == [BEFORE_CHANGE, AFTER_CHANGE, AFTER_AUTUMN]
    # The same wall-clock time, an hour apart in real time.
    assert [e.start.astimezone(ZoneInfo("UTC")).hour for e in found[:3]] == [9, 8, 9]
    assert all(e["DTSTART"].params["TZID"] == "Europe/Paris" for e in found)
    assert [e.end - e.start for e in found[:3]] == [timedelta(minutes=45)] * 3
    (zone,) = cal.timezones
    assert zone.tz_name == "Europe/Paris"
    # The VTIMEZONE alone (not the server's zone database) gives the offsets back.
    assert zone.to_tz().utcoffset(datetime(2027, 3, 26, 10)) == timedelta(hours=1)
    assert zone.to_tz().utcoffset(datetime(2027, 3, 29, 10)) == timedelta(hours=2)


def test_uids_are_stable_and_a_moved_appointment_updates_its_event(
    client, clinician, patient, appointments
):
    client.force_login(clinician.user)
    first = events(download(client, patient))
    moved = appointments[1]
    moved.starts_at += timedelta(hours=2)
    moved.ends_at += timedelta(hours=2)
    moved.blocks_until += timedelta(hours=2)
    moved.save()

    second = events(download(client, patient))

    assert first.keys() == second.keys()
    assert len(first) == len(appointments)
    uid = next(u for u in first if u.startswith(f"appointment-{moved.pk}@"))
    assert second[uid].start == AFTER_CHANGE + timedelta(hours=2)
    assert second[uid]["SEQUENCE"] > first[uid]["SEQUENCE"]
    unchanged = next(u for u in first if u.startswith(f"appointment-{appointments[0].pk}@"))
    assert second[unchanged].to_ical() == first[unchanged].to_ical()


def test_a_cancelled_appointment_is_sent_as_cancelled(client, receptionist, patient, appointments):
    client.force_login(receptionist)

    statuses = {e.start: str(e["STATUS"]) for e in download(client, patient).events}

    assert statuses == {
        BEFORE_CHANGE: "CONFIRMED",
        AFTER_CHANGE: "CONFIRMED",
        AFTER_AUTUMN: "CONFIRMED",
        AFTER_AUTUMN + timedelta(days=14): "CANCELLED",
    }


def test_the_file_names_the_clinic_and_nothing_medical(client, clinician, patient, appointments):
    plan = appointments[0].session.plan
    plan.notes = "CLINICAL-NOTE"
    plan.save()
    client.force_login(clinician.user)

    response = client.get(reverse("patient_appointments_ics", args=[patient.pk]))

    text = response.content.decode()
    assert "CLINICAL-NOTE" not in text and plan.protocol.name not in text
    assert "SUMMARY:Mesotherapy Clinic: session 1" in text


def test_a_patient_without_appointments_gets_an_empty_calendar(client, receptionist, patient):
    client.force_login(receptionist)
    assert download(client, patient).events == []
