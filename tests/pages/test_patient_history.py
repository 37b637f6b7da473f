"""A patient's History tab: every change to their record, by whom and when, field by field
in words; for clinicians only, and read in a bounded number of queries."""

import itertools
from datetime import date, datetime, time
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from plans import services
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
LOTS = itertools.count(7)
pytestmark = pytest.mark.django_db


def history_url(patient):
    return reverse("patient_history", args=[patient.pk])


def a_record(patient, clinician, receptionist, client):
    """A screening, a plan, a session held with a batch, and a phone number changed."""
    product = factories.make_product("Vitamin cocktail")
    batch = factories.make_batch(product, f"VC-{next(LOTS)}", date(2030, 1, 1))
    screening = factories.make_screening(patient, clinician, anticoagulants=True)
    screening.allergic_to.set([product])
    plan = factories.make_plan(patient=patient, clinician=clinician)
    services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=datetime.combine(date(2026, 1, 5), time(10), tzinfo=PARIS),
        batches=[batch],
        notes="Good tolerance",
    )
    client.force_login(receptionist)
    client.post(
        reverse("patient_edit", args=[patient.pk]),
        {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
            "phone": "+33 7 81 23 45 67",
            "preferred_language": patient.preferred_language,
            "reminder_channel": patient.reminder_channel,
        },
    )


def test_a_clinician_reads_every_change_in_words(client, clinician, receptionist, patient):
    a_record(patient, clinician, receptionist, client)
    client.force_login(clinician.user)

    response = client.get(history_url(patient))

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Phone: +33 6 12 34 56 78 → +33 7 81 23 45 67" in page
    entries = response.context["entries"]
    edit = next(e for e in entries if e.what == "Patient details" and e.action == "changed")
    assert edit.who == receptionist.get_username()
    screening = [e.action for e in entries if e.what.startswith("Screening of")]
    assert screening == ["changed", "created"]  # newest first: the allergy came second
    assert "Anticoagulant therapy (warfarin): yes" in page
    assert "Allergic to: — → Vitamin cocktail" in page
    assert any(e.what == "Appointment of session 1" for e in entries)
    assert "Status: Done" in page  # recorded afterwards: created done
    assert "Notes: Good tolerance" in page
    assert any(e.what == "Treatment record (batch used)" for e in entries)
    assert "Vitamin cocktail lot VC-" in page


def test_a_receptionist_has_no_history_tab(client, receptionist, patient):
    client.force_login(receptionist)
    assert client.get(history_url(patient)).status_code == HTTPStatus.FORBIDDEN
    page = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert history_url(patient) not in page


def test_the_clinicians_patient_page_links_to_the_history(client, clinician, patient):
    client.force_login(clinician.user)
    page = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert history_url(patient) in page


@pytest.mark.parametrize("plans", [1, 4])
def test_the_history_is_read_in_a_bounded_number_of_queries(
    client, clinician, receptionist, patient, django_assert_max_num_queries, plans
):
    for _ in range(plans):
        a_record(patient, clinician, receptionist, client)
    client.force_login(clinician.user)
    with django_assert_max_num_queries(25):
        response = client.get(history_url(patient))
    assert len(response.context["entries"]) > 10 * plans


def test_a_change_to_a_row_older_than_the_trail_says_its_earlier_values_were_not_kept(
    client, clinician, patient
):
    patient.trail.all().delete()  # as a row written before the audit trail began
    patient.phone = "+33 7 81 23 45 67"
    patient.save()
    client.force_login(clinician.user)

    page = client.get(history_url(patient)).content.decode()

    assert "the values before it were not recorded" in page
    assert "Phone: +33 7 81 23 45 67" in page
    assert "→ +33 7 81 23 45 67" not in page
