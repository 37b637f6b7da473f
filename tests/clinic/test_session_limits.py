"""Front-desk computers are shared: a session ends after the clinic's minutes without
activity (30 unless the clinic says otherwise) and 12 hours after sign-in at the latest;
the user is sent to sign in again and told why."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic import middleware
from clinic.middleware import session_end
from clinic.models import ClinicSettings

SCHEDULE = "/schedule/"


def test_a_session_goes_on_until_the_idle_limit_then_ends():
    assert session_end(0, 0, 30 * 60, 30) is None
    assert session_end(0, 0, 30 * 60 + 1, 30) == middleware.SIGNED_OUT_IDLE.format(minutes=30)
    assert session_end(0, 12 * 3600 - 600, 12 * 3600, 30) is None
    assert session_end(0, 12 * 3600, 12 * 3600 + 1, 30) == middleware.SIGNED_OUT_MAX


@pytest.fixture
def desk(client, receptionist):
    client.force_login(receptionist)
    assert client.get(SCHEDULE).status_code == HTTPStatus.OK
    return client


def signed_out(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(
        reverse("login")
    )


@pytest.mark.django_db
def test_activity_keeps_the_session_and_30_idle_minutes_end_it(desk, clock):
    start = clock.now
    clock.set(start + timedelta(minutes=29))
    assert desk.get(SCHEDULE).status_code == HTTPStatus.OK
    clock.set(start + timedelta(minutes=58))  # 29 minutes after the last page
    assert desk.get(SCHEDULE).status_code == HTTPStatus.OK
    clock.set(start + timedelta(minutes=88, seconds=1))
    response = desk.get(SCHEDULE + "?by=room")
    assert signed_out(response)
    assert "next=/schedule/%3Fby%3Droom" in response["Location"]
    page = desk.get(response["Location"]).content.decode()
    assert middleware.SIGNED_OUT_IDLE.format(minutes=30) in page
    assert signed_out(desk.get(SCHEDULE))  # and it stays signed out


@pytest.mark.django_db
def test_the_idle_limit_is_the_clinics_setting(desk, clock):
    clinic = ClinicSettings.load()
    clinic.idle_sign_out_minutes = 10
    clinic.save()
    start = clock.now
    clock.set(start + timedelta(minutes=10))
    assert desk.get(SCHEDULE).status_code == HTTPStatus.OK
    clock.set(start + timedelta(minutes=20, seconds=1))
    response = desk.get(SCHEDULE, follow=True)
    assert middleware.SIGNED_OUT_IDLE.format(minutes=10) in response.content.decode()


@pytest.mark.django_db
def test_a_session_ends_12_hours_after_sign_in_however_active(desk, clock):
    start = clock.now
    for minutes in range(20, 12 * 60 + 1, 20):
        clock.set(start + timedelta(minutes=minutes))
        assert desk.get(SCHEDULE).status_code == HTTPStatus.OK, minutes
    clock.set(start + timedelta(hours=12, seconds=1))
    response = desk.get(SCHEDULE, follow=True)
    assert middleware.SIGNED_OUT_MAX in response.content.decode()
    assert not response.context["user"].is_authenticated


@pytest.mark.django_db
def test_an_htmx_request_moves_the_whole_page_to_sign_in(desk, clock):
    clock.set(clock.now + timedelta(minutes=31))
    response = desk.get(
        SCHEDULE,
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/?q=Bern"},
    )
    assert response["HX-Redirect"] == "/login/?next=/patients/%3Fq%3DBern"


@pytest.mark.django_db
def test_a_new_sign_in_starts_a_new_clock(client, receptionist, clock):
    client.force_login(receptionist)
    clock.set(clock.now + timedelta(hours=13))
    client.force_login(receptionist)
    assert client.get(SCHEDULE).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_the_idle_limit_is_between_1_and_720_minutes():
    clinic = ClinicSettings.load()
    clinic.idle_sign_out_minutes = 0
    with pytest.raises(ValidationError) as error:
        clinic.full_clean()
    assert "idle_sign_out_minutes" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicSettings.objects.update(idle_sign_out_minutes=721)


@pytest.mark.django_db
def test_an_admin_edits_the_idle_limit_in_admin(client, clinic_admin):
    ClinicSettings.load()
    client.force_login(clinic_admin)
    page = client.get(reverse("admin:clinic_clinicsettings_change", args=[1])).content.decode()
    assert 'name="idle_sign_out_minutes"' in page and 'name="two_factor_for_clinicians"' in page
