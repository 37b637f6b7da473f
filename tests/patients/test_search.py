"""Finding a patient as the front desk types: names whatever the accents and case, phone
numbers in any format, stored normalised; a number that is not one refused where typed."""

import pytest
from django.urls import reverse

from patients import search
from patients.models import Patient
from tests import factories


def test_folding_drops_case_and_accents():
    assert search.fold("Hélène") == "helene"
    assert search.fold("GUÉRIN") == "guerin"
    assert search.fold("Zoë Çelik") == "zoe celik"
    assert search.name_key("Hélène", "Dupré") == "helene dupre"


@pytest.mark.parametrize(
    "typed",
    ["06 30 63 66 10", "+33 6 30 63 66 10", "0630636610", "06.30.63.66.10", "0033630636610"],
)
def test_a_whole_number_in_any_format_is_its_e164(typed):
    assert search.phone_digits(typed, "FR") == "+33630636610"


@pytest.mark.parametrize(
    "typed, digits",
    [("63 66 10", "636610"), ("06 30 63", "63063"), ("+33 6 30", "33630"), ("6366", "6366")],
)
def test_part_of_a_number_is_looked_for_as_its_digits(typed, digits):
    assert search.phone_digits(typed, "FR") == digits


@pytest.mark.parametrize("typed", ["Hélène", "12", "17/05/1980 Sophie", "rue 12345 b"])
def test_what_is_not_a_phone_number_is_not_searched_as_one(typed):
    assert search.phone_digits(typed, "FR") is None


@pytest.fixture
def helene(db):
    return factories.make_patient(first_name="Hélène", last_name="Dupré", phone="06 30 63 66 10")


def found(client, query) -> list[str]:
    response = client.get(reverse("patient_list"), {"q": query})
    assert response.status_code == 200
    return [str(patient) for patient in response.context["page"]]


@pytest.mark.parametrize("query", ["helene", "HELENE", "Hélène", "dupre", "hélène DUPRE", "lène"])
def test_search_ignores_accents_and_case(client, receptionist, helene, query):
    factories.make_patient(first_name="Helena", last_name="Martin")
    client.force_login(receptionist)
    assert found(client, query) == ["DUPRÉ Hélène"]


@pytest.mark.parametrize(
    "query", ["06 30 63 66 10", "+33 6 30 63 66 10", "0630636610", "63 66 10", "06 30 63"]
)
def test_search_finds_a_phone_number_in_any_format(client, receptionist, helene, query):
    factories.make_patient(last_name="Other", phone="+33 6 12 34 56 78")
    client.force_login(receptionist)
    assert found(client, query) == ["DUPRÉ Hélène"]


def test_a_number_is_stored_normalised_and_shown_in_full(client, receptionist, helene):
    helene.refresh_from_db()
    assert Patient.objects.filter(phone="+33630636610").get() == helene
    client.force_login(receptionist)
    page = client.get(reverse("patient_detail", args=[helene.pk])).text
    assert "+33 6 30 63 66 10" in page


def test_a_phone_number_that_is_not_one_is_refused_at_its_field(client, receptionist, helene):
    client.force_login(receptionist)
    response = client.post(
        reverse("patient_edit", args=[helene.pk]),
        {
            "first_name": "Hélène",
            "last_name": "Dupré",
            "date_of_birth": "1980-05-17",
            "sex": "F",
            "phone": "06 30 63",
            "preferred_language": "fr",
            "reminder_channel": "email",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    helene.refresh_from_db()
    assert str(helene.phone) == "+33 6 30 63 66 10"  # nothing saved


def test_a_renamed_patient_is_found_by_the_new_name(client, receptionist, helene):
    helene.last_name = "Lefèvre"
    helene.save(update_fields=["last_name"])
    client.force_login(receptionist)
    assert found(client, "lefevre") == ["LEFÈVRE Hélène"]
    assert found(client, "dupre") == []
