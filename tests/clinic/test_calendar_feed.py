"""A clinician's private calendar feed: a secret address read without signing in, for
the next six months of their appointments, with the patient's name and the time only.
Giving it a new address (or turning it off) from the profile page revokes the old one."""

from datetime import datetime, time, timedelta
from http import HTTPStatus

import icalendar
import pytest
from django.urls import reverse

from clinic.models import CalendarFeed, ClinicSettings
from plans.models import Appointment
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(clinician, patient):
    """Appointments of the clinician tomorrow, in five months, in seven months, and
    yesterday; and one of another clinician tomorrow."""
    tz = ClinicSettings.load().tz
    today = ClinicSettings.load().today()
    plan = factories.make_plan(patient=patient, clinician=clinician)
    plan.notes = "CLINICAL-NOTE"
    plan.save()
    room = factories.make_room()
    sessions = list(plan.sessions.order_by("number")[:4])
    at = [
        datetime.combine(today + timedelta(days=days), time(10), tzinfo=tz)
        for days in (1, 150, 215, -1)
    ]
    mine = [book(s, when, clinician, room) for s, when in zip(sessions, at, strict=True)]
    other = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Omar", last_name="Other")
    )
    other_plan = factories.make_plan(clinician=other)
    theirs = book(other_plan.sessions.get(number=1), at[0] + timedelta(hours=2), other, room)
    return {"mine": mine, "theirs": theirs}


def feed_url(feed: CalendarFeed) -> str:
    return reverse("calendar_feed", args=[feed.clinician_id, feed.token])


def test_the_feed_holds_the_next_six_months_without_signing_in(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)

    response = client.get(feed_url(feed))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    tomorrow, in_five_months = booked["mine"][:2]
    assert {e.start for e in cal.events} == {tomorrow.starts_at, in_five_months.starts_at}
    assert {str(e["SUMMARY"]) for e in cal.events} == {str(tomorrow.patient)}


def test_the_feed_carries_nothing_medical(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)

    text = client.get(feed_url(feed)).content.decode()

    protocol = booked["mine"][0].session.plan.protocol
    for medical in ("CLINICAL-NOTE", protocol.name, protocol.method.name, "Face"):
        assert medical not in text
    assert "DESCRIPTION" not in text


def test_a_cancelled_appointment_stays_in_the_feed_as_cancelled(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)
    tomorrow = booked["mine"][0]
    Appointment.objects.filter(pk=tomorrow.pk).update(
        status=Appointment.Status.CANCELLED_BY_PATIENT, reason="Ill"
    )

    cal = icalendar.Calendar.from_ical(client.get(feed_url(feed)).content)

    statuses = {e.start: str(e["STATUS"]) for e in cal.events}
    assert statuses[tomorrow.starts_at] == "CANCELLED"


def test_a_wrong_token_another_clinicians_or_none_is_not_found(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)
    other = booked["theirs"].clinician
    for url in [
        reverse("calendar_feed", args=[clinician.pk, "0" * 64]),
        reverse("calendar_feed", args=[other.pk, feed.token]),
        reverse("calendar_feed", args=[999999, feed.token]),
    ]:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_a_new_address_revokes_the_old_one(client, clinician, booked):
    client.force_login(clinician.user)
    response = client.post(reverse("profile"), {"action": "on"})
    assert response.status_code == HTTPStatus.FOUND
    feed = CalendarFeed.objects.get(clinician=clinician)
    old = feed_url(feed)
    client.logout()
    assert client.get(old).status_code == HTTPStatus.OK

    client.force_login(clinician.user)
    client.post(reverse("profile"), {"action": "regenerate"})
    client.logout()

    feed.refresh_from_db()
    assert feed_url(feed) != old
    assert client.get(old).status_code == HTTPStatus.NOT_FOUND
    assert client.get(feed_url(feed)).status_code == HTTPStatus.OK


def test_turning_the_feed_off_revokes_it(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)
    url = feed_url(feed)
    client.force_login(clinician.user)

    client.post(reverse("profile"), {"action": "off"})

    assert not CalendarFeed.objects.filter(clinician=clinician).exists()
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_an_inactive_clinicians_feed_is_not_found(client, clinician, booked):
    feed = CalendarFeed.objects.create(clinician=clinician)
    clinician.is_active = False
    clinician.save()
    assert client.get(feed_url(feed)).status_code == HTTPStatus.NOT_FOUND


def test_the_profile_shows_the_feed_address_to_its_clinician(client, clinician):
    feed = CalendarFeed.objects.create(clinician=clinician)
    client.force_login(clinician.user)

    text = client.get(reverse("profile")).content.decode()

    assert feed.token in text
    assert "Give it a new address" in text


def test_reception_has_a_profile_but_no_feed(client, receptionist):
    client.force_login(receptionist)
    response = client.get(reverse("profile"))
    assert response.status_code == HTTPStatus.OK
    assert "Calendar feed" not in response.content.decode()
    assert client.post(reverse("profile"), {"action": "on"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_tokens_differ_per_clinician_and_per_salt(clinician):
    other = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Omar", last_name="Other")
    )
    first, second = (CalendarFeed.objects.create(clinician=c) for c in (clinician, other))
    assert first.token != second.token
    old = first.token
    first.regenerate()
    assert first.token != old and not first.matches(old) and first.matches(first.token)
