"""Five failed sign-ins for a user name from one address lock that name from that address
for 15 minutes, with a message on the sign-in page; an admin can unlock it sooner."""

from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from clinic import signin
from tests import factories

pytestmark = pytest.mark.django_db

LOCKED = HTTPStatus.TOO_MANY_REQUESTS


@pytest.fixture(autouse=True)
def held(axes_clock):
    return axes_clock


def sign_in(client, username="rita.desk", password=factories.PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return client.get(reverse("schedule_today")).status_code == HTTPStatus.OK


def fail(client, times, username="rita.desk", **extra):
    return [sign_in(client, username, "wrong password", **extra).status_code for _ in range(times)]


def lockout_message(until) -> str:
    paris = until.astimezone(ZoneInfo("Europe/Paris"))
    return signin.LOCKED_OUT.format(username="rita.desk", limit=5, until=f"{paris:%H:%M}")


def test_the_fifth_failure_locks_with_a_message_saying_until_when(client, receptionist, held):
    assert fail(client, 4) == [HTTPStatus.OK] * 4
    response = sign_in(client, password="wrong password")
    assert response.status_code == LOCKED
    content = response.content.decode()
    assert lockout_message(held.now + timedelta(minutes=15)) in content
    # The sign-in page itself, in the site's layout, with its form and the way out.
    assert 'name="username"' in content and "Forgot your password?" in content


def test_the_right_password_is_refused_after_five_failures(client, receptionist):
    fail(client, 5)
    response = sign_in(client)
    assert response.status_code == LOCKED
    assert not signed_in(client)


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, receptionist):
    assert set(fail(client, 50)[5:]) == {LOCKED}
    assert sign_in(client).status_code == LOCKED
    assert not signed_in(client)


def test_the_lock_lasts_15_minutes_from_the_fifth_failure(client, receptionist, held):
    fail(client, 5)
    locked_at = held.now
    held.set(locked_at + timedelta(minutes=14))
    assert sign_in(client).status_code == LOCKED  # a try while locked does not extend it
    held.set(locked_at + timedelta(minutes=15, seconds=1))
    response = sign_in(client)
    assert response.status_code == HTTPStatus.FOUND
    assert signed_in(client)


def test_the_lock_is_for_that_name_from_that_address_only(client, receptionist):
    factories.make_user(username="other.desk")
    fail(client, 5)
    assert sign_in(client, REMOTE_ADDR="10.0.0.7").status_code == HTTPStatus.FOUND
    client.logout()
    assert sign_in(client, "other.desk").status_code == HTTPStatus.FOUND


def test_a_successful_sign_in_clears_the_count(client, receptionist):
    fail(client, 4)
    assert sign_in(client).status_code == HTTPStatus.FOUND
    client.logout()
    fail(client, 4)
    assert sign_in(client).status_code == HTTPStatus.FOUND


def test_an_admin_unlocks_from_django_admin(client, receptionist, clinic_admin):
    fail(client, 5)
    admin = type(client)()
    admin.force_login(clinic_admin)
    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == HTTPStatus.OK and "rita.desk" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="rita.desk")
    response = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert sign_in(client).status_code == HTTPStatus.FOUND
    assert signed_in(client)


def test_receptionists_and_clinicians_cannot_unlock(client, receptionist, clinician):
    fail(client, 5)
    for user in (receptionist, clinician.user):
        other = type(client)()
        other.force_login(user)
        attempt = AccessAttempt.objects.get(username="rita.desk")
        other.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert sign_in(client).status_code == LOCKED


def test_an_admin_unlocks_from_the_command_line(client, receptionist):
    fail(client, 5)
    call_command("axes_reset_username", "rita.desk")
    assert sign_in(client).status_code == HTTPStatus.FOUND


def test_a_made_up_forwarded_address_does_not_escape_the_lock(client, receptionist):
    for n in range(5):
        sign_in(client, password="wrong password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert sign_in(client, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == LOCKED


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, receptionist, settings):
    settings.CLINIC_TRUSTED_PROXIES = 1
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied)
    assert sign_in(client, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied).status_code == LOCKED
    other = sign_in(client, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.10", **proxied)
    assert other.status_code == HTTPStatus.FOUND
    garbled = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="not an address", **proxied)
    assert signin.client_address(garbled) == "10.0.0.1"
