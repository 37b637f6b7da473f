"""Two-factor sign-in: whoever has an authenticator app gives its code after the password;
admins must have one, and so must clinicians where the clinic says so; each user sets it
up and removes it from their own page.

The codes are real TOTP codes, computed here from the device's key as the phone's app
would (django-otp accepts the neighbouring 30-second steps, so the edge of a step is no
matter).
"""

import re
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import middleware, signin, two_factor
from clinic.models import ClinicSettings
from tests import factories

pytestmark = pytest.mark.django_db

SCHEDULE = "/schedule/"


def code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the user's app shows now (or `steps` steps later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def with_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def password(client, user, **data):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": factories.PASSWORD, **data},
    )


def signed_in(client) -> bool:
    return client.get(SCHEDULE).status_code == HTTPStatus.OK


@pytest.fixture
def required(settings):
    settings.CLINIC_REQUIRE_TWO_FACTOR = True


def test_a_user_with_a_device_gives_the_code_after_the_password(client, receptionist):
    device = with_device(receptionist)
    response = password(client, receptionist, next="/patients/")
    assert response["Location"] == reverse("login_code")
    assert not signed_in(client)  # the password alone does not sign in
    page = client.get(reverse("login_code"))
    assert "6-digit code" in page.content.decode()
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert response["Location"] == "/patients/"
    assert signed_in(client)


def test_a_wrong_code_does_not_sign_in(client, receptionist):
    device = with_device(receptionist)
    password(client, receptionist)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("login_code"), {"code": wrong})
    assert response.status_code == HTTPStatus.OK
    assert two_factor.WRONG_CODE in response.content.decode()
    assert not signed_in(client)


def test_five_wrong_codes_lock_like_five_wrong_passwords(client, receptionist, axes_clock):
    with_device(receptionist)
    password(client, receptionist)
    wrong = [client.post(reverse("login_code"), {"code": "000000"}) for _ in range(5)]
    statuses = [response.status_code for response in wrong]
    assert statuses == [HTTPStatus.OK] * 4 + [HTTPStatus.TOO_MANY_REQUESTS]
    # The password step is locked now, and the code step is gone.
    assert password(client, receptionist).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_the_code_must_follow_the_password_within_5_minutes(client, receptionist, clock):
    device = with_device(receptionist)
    password(client, receptionist)
    clock.set(clock.now + timedelta(minutes=5, seconds=1))
    response = client.post(reverse("login_code"), {"code": code(device)}, follow=True)
    assert signin.CODE_STEP_EXPIRED in response.content.decode()
    assert not signed_in(client)


def test_without_a_password_the_code_step_sends_to_sign_in(client):
    assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_admins_must_set_it_up_before_anything_else(client, clinic_admin, required):
    response = password(client, clinic_admin)
    assert response.status_code == HTTPStatus.FOUND  # no device yet: the password signs in
    response = client.get("/admin/")
    assert response["Location"] == reverse("two_factor") + "?next=%2Fadmin%2F"
    assert client.get(SCHEDULE)["Location"].startswith(reverse("two_factor"))
    page = client.get(response["Location"]).content.decode()
    assert "Your role needs two-factor sign-in" in page

    client.post(reverse("two_factor"), {"action": "start", "next": "/admin/"})
    page = client.get(reverse("two_factor") + "?next=/admin/").content.decode()
    assert "<svg" in page and "style=" not in page.split("<svg")[1].split("</svg>")[0]
    draft = TOTPDevice.objects.get(user=clinic_admin, confirmed=False)
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page).group(1)
    assert key.replace(" ", "") == two_factor.grouped_key(draft).replace(" ", "")

    response = client.post(
        reverse("two_factor"), {"action": "confirm", "code": code(draft), "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == HTTPStatus.OK
    assert TOTPDevice.objects.get(user=clinic_admin).confirmed


def test_a_wrong_code_does_not_turn_it_on(client, receptionist):
    client.force_login(receptionist)
    client.post(reverse("two_factor"), {"action": "start"})
    response = client.post(reverse("two_factor"), {"action": "confirm", "code": "000000"})
    assert two_factor.WRONG_CODE in response.content.decode()
    assert not TOTPDevice.objects.filter(user=receptionist, confirmed=True).exists()


def test_clinicians_must_use_it_only_where_the_clinic_turns_it_on(
    client, clinician, receptionist, required
):
    client.force_login(clinician.user)
    assert signed_in(client)
    clinic = ClinicSettings.load()
    clinic.two_factor_for_clinicians = True
    clinic.save()
    assert client.get(SCHEDULE)["Location"].startswith(reverse("two_factor"))
    client.force_login(receptionist)  # reception reads no medical data: not required
    assert signed_in(client)


def test_the_demo_switch_lets_admins_in_without_it(client, clinic_admin, settings):
    settings.CLINIC_REQUIRE_TWO_FACTOR = False
    password(client, clinic_admin)
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_a_device_still_asks_for_its_code_with_the_demo_switch(client, clinic_admin, settings):
    settings.CLINIC_REQUIRE_TWO_FACTOR = False
    with_device(clinic_admin)
    assert password(client, clinic_admin)["Location"] == reverse("login_code")


def test_a_required_user_signed_in_without_the_code_signs_in_again(client, clinic_admin, required):
    with_device(clinic_admin)
    client.force_login(clinic_admin)  # a session from before the device
    response = client.get("/admin/", follow=True)
    assert middleware.SIGN_IN_WITH_CODE in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_removing_it_asks_for_a_code(client, receptionist):
    device = with_device(receptionist)
    password(client, receptionist)
    client.post(reverse("login_code"), {"code": code(device)})
    response = client.post(reverse("two_factor"), {"action": "remove", "code": "000000"})
    assert two_factor.WRONG_CODE in response.content.decode()
    assert TOTPDevice.objects.filter(user=receptionist).exists()
    response = client.post(reverse("two_factor"), {"action": "remove", "code": code(device)})
    assert two_factor.WAIT in response.content.decode()  # right or wrong, too soon after
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # The sign-in used this step's code; the app shows the next one 30 seconds later.
    client.post(reverse("two_factor"), {"action": "remove", "code": code(device, steps=1)})
    assert not TOTPDevice.objects.filter(user=receptionist).exists()
    client.logout()
    assert password(client, receptionist)["Location"] == reverse("home")


def test_django_admins_sign_in_page_sends_to_the_clinics(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == reverse("login") + "?next=/admin/"


def test_an_admin_removes_a_lost_phones_device_in_admin(client, receptionist, clinic_admin):
    device = with_device(receptionist)
    client.force_login(clinic_admin)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == HTTPStatus.OK
    assert device.key not in page.text  # an admin never sees another user's secret
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    client.logout()
    assert password(client, receptionist)["Location"] == reverse("home")
