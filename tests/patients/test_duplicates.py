"""Registering a patient who may already be registered: the same name and date of birth
(whatever the accents and case), or the same phone number in any format, warns with links
to them; saving again registers the new patient anyway."""

from datetime import date
from html import unescape

import pytest
from django.urls import reverse

from patients.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


def new_patient(**fields):
    values = {
        "first_name": "Helene",
        "last_name": "DUPRE",
        "date_of_birth": "1980-05-17",
        "sex": "F",
        "phone": "07 81 23 45 67",
        "preferred_language": "fr",
        "reminder_channel": "email",
    }
    return {**values, **fields}


@pytest.fixture
def helene():
    return factories.make_patient(
        first_name="Hélène", last_name="Dupré", date_of_birth=date(1980, 5, 17), phone="0630636610"
    )


def test_the_same_name_and_birth_date_warns_and_links_to_them(client, receptionist, helene):
    client.force_login(receptionist)
    response = client.post(reverse("patient_new"), new_patient())

    assert response.status_code == 200 and Patient.objects.count() == 1
    html = unescape(response.content.decode())
    assert (
        "A patient is already registered with the same name and date of birth: open them "
        "below to avoid a second record, or save again to register this patient anyway."
    ) in html
    assert reverse("patient_detail", args=[helene.pk]) in html
    assert "Save anyway" in html

    confirmed = new_patient(confirm_duplicate=str(helene.pk))
    response = client.post(reverse("patient_new"), confirmed)

    assert response.status_code == 302 and Patient.objects.count() == 2


def test_the_same_phone_in_another_format_warns(client, receptionist, helene):
    client.force_login(receptionist)
    response = client.post(
        reverse("patient_new"),
        new_patient(first_name="Paul", last_name="Dupré", phone="+33 6 30 63 66 10"),
    )
    html = unescape(response.content.decode())
    assert "already registered with the same phone number:" in html
    assert "name and date of birth" not in html
    assert Patient.objects.count() == 1


def test_a_confirmation_for_others_does_not_cover_a_new_match(client, receptionist, helene):
    other = factories.make_patient(first_name="Paul", phone="+33 6 99 88 77 66")
    client.force_login(receptionist)
    response = client.post(
        reverse("patient_new"), new_patient(phone="06 99 88 77 66", confirm_duplicate=str(other.pk))
    )
    assert response.status_code == 200 and Patient.objects.count() == 2  # Hélène asks anew


def test_a_different_person_is_registered_at_once(client, receptionist, helene):
    client.force_login(receptionist)
    response = client.post(
        reverse("patient_new"), new_patient(first_name="Claire", date_of_birth="1991-02-03")
    )
    assert response.status_code == 302 and Patient.objects.count() == 2


def test_editing_a_patient_is_not_held_back_by_their_own_record(client, receptionist, helene):
    client.force_login(receptionist)
    response = client.post(
        reverse("patient_edit", args=[helene.pk]),
        new_patient(first_name="Hélène", last_name="Dupré", phone="0630636610", notes="VIP"),
    )
    assert response.status_code == 302
    helene.refresh_from_db()
    assert helene.notes == "VIP"
