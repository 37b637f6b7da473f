"""The rows every request reads come back as the ORM's `get` gives them."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.forms.models import model_to_dict
from django.utils import timezone

from clinic import roles
from clinic.models import ClinicSettings
from clinic.rows import by_pk
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_settings_read_by_primary_key_match_the_orms():
    ClinicSettings.load()
    loaded = by_pk(ClinicSettings, 1)
    expected = ClinicSettings.objects.get(pk=1)
    assert isinstance(loaded.calendar_token, uuid.UUID)  # SQLite keeps it as text
    assert loaded.calendar_token == expected.calendar_token
    assert model_to_dict(loaded) == model_to_dict(expected)


def test_a_user_read_by_primary_key_matches_the_orms():
    user = factories.make_user(roles.RECEPTIONIST)
    loaded = by_pk(get_user_model(), user.pk)
    expected = get_user_model().objects.get(pk=user.pk)
    assert (loaded.username, loaded.password, loaded.is_active, loaded.date_joined) == (
        expected.username,
        expected.password,
        expected.is_active,
        expected.date_joined,
    )
    assert loaded.date_joined.tzinfo is not None


def test_a_missing_row_is_none_and_missing_settings_are_created():
    assert by_pk(get_user_model(), 987654) is None
    ClinicSettings.objects.all().delete()
    assert ClinicSettings.load().pk == 1


def test_an_expired_session_signs_the_user_out(client):
    client.force_login(factories.make_user(roles.RECEPTIONIST))
    assert client.get("/schedule/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/schedule/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_session_made_up_by_the_browser_is_not_signed_in(client):
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/schedule/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
