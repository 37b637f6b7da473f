"""Medical records are never deleted or overwritten: admin cannot delete screenings,
treatment records or overrides, and a product or area that a record uses cannot be
deleted (before, deleting it silently took it off the allergy, plan or record)."""

from datetime import date, datetime, time
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from clinic.models import Product, TreatmentArea
from plans import services
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return factories.make_user(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def allergy(patient, clinician):
    product = factories.make_product("Vitamin cocktail")
    screening = factories.make_screening(patient, clinician)
    screening.allergic_to.set([product])
    return screening, product


def test_a_product_a_patient_is_allergic_to_cannot_be_deleted(allergy):
    screening, product = allergy
    with pytest.raises(ProtectedError):
        product.delete()
    assert list(screening.allergic_to.all()) == [product]


def test_admin_refuses_to_delete_a_product_in_use_and_says_why(client, superuser, allergy):
    screening, product = allergy
    client.force_login(superuser)
    url = reverse("admin:clinic_product_delete", args=[product.pk])

    page = client.get(url)
    response = client.post(url, {"post": "yes"})

    assert page.status_code == HTTPStatus.OK
    assert "Cannot delete product" in page.content.decode()
    assert "Allergy to Vitamin cocktail" in page.content.decode()
    assert response.status_code == HTTPStatus.OK  # the refusal again, never a 500
    assert Product.objects.filter(pk=product.pk).exists()
    assert list(screening.allergic_to.all()) == [product]


def test_an_area_of_a_plan_or_a_treatment_record_cannot_be_deleted(client, superuser):
    plan = factories.make_plan()
    neck = factories.make_area("Neck")
    services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=datetime.combine(date(2026, 1, 5), time(10), tzinfo=PARIS),
        areas=[neck],
    )
    face = plan.areas.get()
    for area in (face, neck):
        with pytest.raises(ProtectedError):
            area.delete()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:clinic_treatmentarea_changelist"),
        {"action": "delete_selected", "_selected_action": [face.pk, neck.pk], "post": "yes"},
    )
    assert response.status_code == HTTPStatus.OK
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert TreatmentArea.objects.count() == 2
    assert list(plan.areas.all()) == [face]
    assert list(plan.sessions.get(number=1).appointments.get().areas_treated.all()) == [neck]


def test_an_unused_product_can_still_be_deleted():
    product = factories.make_product("Never used")
    product.delete()
    assert not Product.objects.filter(pk=product.pk).exists()


@pytest.mark.parametrize(
    "name",
    ["admin:patients_screening_delete", "admin:plans_appointment_delete"],
)
def test_not_even_a_superuser_can_delete_a_screening_or_treatment_record(
    client, superuser, patient, clinician, name
):
    screening = factories.make_screening(patient, clinician)
    plan = factories.make_plan(patient=patient, clinician=clinician)
    done = services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=datetime.combine(date(2026, 1, 5), time(10), tzinfo=PARIS),
    ).appointment
    pk = screening.pk if "screening" in name else done.pk
    client.force_login(superuser)

    assert client.post(reverse(name, args=[pk]), {"post": "yes"}).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert screening.__class__.objects.filter(pk=screening.pk).exists()
    assert done.__class__.objects.filter(pk=done.pk).exists()


def test_a_screening_cannot_be_changed_in_admin_only_added_to(
    client, superuser, patient, clinician
):
    screening = factories.make_screening(patient, clinician, pregnant=False)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:patients_screening_change", args=[screening.pk]),
        {
            "patient": patient.pk,
            "screened_by": clinician.pk,
            "screened_on": "2026-01-02",
            "pregnant": "on",
        },
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    screening.refresh_from_db()
    assert not screening.pregnant


def test_a_plan_and_its_overrides_cannot_be_deleted_in_admin(client, superuser):
    plan = factories.make_plan()
    client.force_login(superuser)
    url = reverse("admin:plans_treatmentplan_delete", args=[plan.pk])
    assert client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
