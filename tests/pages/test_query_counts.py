"""The list pages run the same few queries however much they show: each is loaded small and
large, under one bound. A new query per row would break the bound on the large load."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from tests import factories

pytestmark = pytest.mark.django_db

SIZES = (2, 12)

# Every page first reads the session, the user, the clinic settings and the permissions
# (4 queries), and the menu counts the appointments to rebook for its badge (1); the rest
# are the page's own, planned in its view.
RECALL_QUERIES = 11
SEARCH_QUERIES = 7
# The patient page: 14, the consents signed and the forms in force (clinicians), and the
# reminders sent.
PATIENT_QUERIES = 17


@pytest.fixture(autouse=True)
def today():
    """Also saves the clinic's settings, which the first request would otherwise create."""
    return ClinicSettings.load().today()


def recall_data(size: int, clinician, today) -> None:
    """`size` plans per protocol, in two protocols: one overdue, the others opening.

    The overdue plan's second session opens within the week too: each protocol shows
    `size` + 1 sessions to book."""
    for protocol in (factories.make_protocol(), factories.make_protocol()):
        for index in range(size):
            factories.make_plan(
                protocol=protocol,
                clinician=clinician,
                start_date=today - timedelta(days=10) if index == 0 else today + timedelta(days=3),
            )


@pytest.mark.parametrize("size", SIZES)
def test_recall_board(client, django_assert_max_num_queries, receptionist, clinician, today, size):
    recall_data(size, clinician, today)
    client.force_login(receptionist)
    client.get(reverse("recall_board"))  # new staff: the standing calendar is read once
    with django_assert_max_num_queries(RECALL_QUERIES):
        response = client.get(reverse("recall_board"))
    assert response.status_code == HTTPStatus.OK
    board = response.context["board"]
    assert len(board.recalls) == board.total == 2 * (size + 1)


@pytest.mark.parametrize("size", SIZES)
def test_patient_search(client, django_assert_max_num_queries, receptionist, size):
    for _ in range(size):
        factories.make_patient(first_name="Sophie")
    client.force_login(receptionist)
    with django_assert_max_num_queries(SEARCH_QUERIES):
        response = client.get(reverse("patient_list"), {"q": "sophie"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["page"].paginator.count == size


@pytest.mark.parametrize("size", SIZES)
def test_patient_page(client, django_assert_max_num_queries, clinician, patient, today, size):
    """A clinician's view, the fuller one: screening with allergies, every plan's timeline."""
    screening = factories.make_screening(patient, clinician, screened_on=today)
    screening.allergic_to.set([factories.make_product(f"Product {n}") for n in range(min(size, 5))])
    protocol = factories.make_protocol()
    for index in range(size):
        factories.make_plan(
            patient=patient,
            protocol=protocol,
            clinician=clinician,
            start_date=today - timedelta(days=30 * index),
            products=[factories.make_product(f"Product {index}")],
        )
    client.force_login(clinician.user)
    with django_assert_max_num_queries(PATIENT_QUERIES):
        response = client.get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["plans"]) == size
