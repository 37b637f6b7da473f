"""The patient's preferences ("Tuesdays and Thursdays after 17:00") are given with a new plan
and shown on its page, where reception reads them before calling."""

from datetime import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from plans.models import PREFERENCE_ORDER
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_form(clinician):
    return {
        "protocol": factories.make_protocol().pk,
        "start_date": "2026-03-02",
        "clinician": clinician.pk,
        "areas": [factories.make_area("Face").pk],
        "horizon_months": 12,
    }


def test_preferences_are_saved_with_the_plan_and_shown_on_it(
    client, clinician, receptionist, patient, plan_form
):
    client.force_login(clinician.user)
    response = client.post(
        reverse("plan_new", args=[patient.pk]),
        {**plan_form, "preferred_weekdays": ["3", "1"], "preferred_after": "17:00"},
    )

    plan = patient.plans.get()
    assert response["Location"] == reverse("plan_detail", args=[plan.pk])
    assert (plan.preferred_weekdays, plan.preferred_after, plan.preferred_before) == (
        "13",
        time(17),
        None,
    )
    client.force_login(receptionist)
    page = client.get(response["Location"]).content.decode()
    assert "Tuesday, Thursday · after 17:00" in page


def test_no_preference_reads_any_day_any_time(client, clinician, patient, plan_form):
    client.force_login(clinician.user)
    response = client.post(reverse("plan_new", args=[patient.pk]), plan_form)
    assert patient.plans.get().preferred_weekdays == ""
    assert "any day, any time" in client.get(response["Location"]).content.decode()


def test_a_time_range_that_ends_before_it_starts_is_refused_next_to_it(
    client, clinician, patient, plan_form
):
    client.force_login(clinician.user)
    response = client.post(
        reverse("plan_new", args=[patient.pk]),
        {**plan_form, "preferred_after": "18:00", "preferred_before": "09:00"},
    )
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["preferred_before"] == [PREFERENCE_ORDER]
    assert not patient.plans.exists()
