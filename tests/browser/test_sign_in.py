"""Signing in in a real browser: the lockout's message after five wrong passwords, and an
admin who must use two-factor sign-in setting up an authenticator, then signing in with
its code. The Content-Security-Policy refuses nothing on these pages."""

import time
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def refused(page):
    """What the browser refused under the Content-Security-Policy."""
    seen = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    return seen


def test_five_wrong_passwords_show_when_to_try_again(
    page, live_server, sign_in, shoot, receptionist, refused
):
    for _ in range(5):
        sign_in(receptionist.username, "not the password")
    expect(page.locator("#lockout")).to_contain_text(
        "Signing in as “rita.desk” from this computer is locked after 5 failed attempts."
    )
    expect(page.locator("#lockout")).to_contain_text("ask an admin to unlock it")
    sign_in(receptionist.username, PASSWORD)
    expect(page.locator("#lockout")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    shoot("sign-in-locked")
    assert refused == []


def code(key: str, steps: int = 0) -> str:
    totp = TOTP(b32decode(key.replace(" ", "")), 30, 0, 6, 0)
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def test_an_admin_sets_up_two_factor_then_signs_in_with_its_code(
    page, live_server, sign_in, shoot, clinic_admin, settings, refused
):
    settings.CLINIC_REQUIRE_TWO_FACTOR = True
    sign_in(clinic_admin.username, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Your role needs two-factor sign-in")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    shoot("two-factor-setup")

    page.get_by_label("Code from your authenticator app").fill(code(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('admin:index')}")

    page.get_by_role("button", name="Log out").click()
    sign_in(clinic_admin.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}{reverse('login_code')}")
    shoot("sign-in-code")
    page.get_by_label("Code from your authenticator app").fill(code(key, steps=1))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('admin:index')}")
    assert refused == []
