"""A member of staff who forgot their password asks for a link by email (Django's own
reset views) and chooses a new one; the link also lifts a lockout from that computer."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

NEW = "violet-lantern-harbour-42"


@pytest.fixture
def rita(db):
    return factories.make_user(username="rita.desk", email="rita@clinic.example")


def sign_in(client, password):
    return client.post(reverse("login"), {"username": "rita.desk", "password": password})


def reset_link(client) -> str:
    response = client.post(reverse("password_reset"), {"email": "rita@clinic.example"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rita@clinic.example"]
    return re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body).group(1)


def choose(client, link: str, password: str = NEW):
    form = client.get(link, follow=True)
    assert form.status_code == HTTPStatus.OK and "Choose a new password" in form.text
    return client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )


def test_the_sign_in_page_offers_the_reset(client):
    page = client.get(reverse("login")).text
    assert f'href="{reverse("password_reset")}"' in page and "Forgot your password?" in page


def test_the_emailed_link_sets_a_new_password_that_signs_in(client, rita):
    response = choose(client, reset_link(client))
    assert response["Location"] == reverse("password_reset_complete")
    assert client.get("/schedule/")["Location"].startswith("/login/")  # not signed in by itself
    assert sign_in(client, factories.PASSWORD).status_code == HTTPStatus.OK  # the old one fails
    assert sign_in(client, NEW)["Location"] == reverse("home")


def test_the_link_works_once(client, rita):
    link = reset_link(client)
    choose(client, link)
    again = client.get(link, follow=True)
    assert "already been used or is too old" in again.text


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, rita):
    response = client.post(reverse("password_reset"), {"email": "nobody@clinic.example"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_new_password_lifts_the_lockout_from_that_computer(client, rita, axes_clock):
    for _ in range(5):
        sign_in(client, "wrong password")
    assert sign_in(client, factories.PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS
    choose(client, reset_link(client))
    assert sign_in(client, NEW)["Location"] == reverse("home")
