"""A receptionist works through the day's call list: one patient reached, one who does not
answer and stays on the list to try again."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans.models import CallOutcome
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def booked_tomorrow(clinician, hour, **patient):
    person = factories.make_patient(**patient)
    factories.make_screening(person, clinician, takes_aspirin_or_clopidogrel=True)
    tomorrow = ClinicSettings.load().today() + timedelta(days=1)
    plan = factories.make_plan(
        patient=person,
        protocol=factories.make_protocol("2 sessions every 2 weeks ±2 days"),
        clinician=clinician,
        start_date=tomorrow,
    )
    starts = datetime.combine(tomorrow, time(hour), tzinfo=ClinicSettings.load().tz)
    return factories.book(plan.sessions.get(number=1), starts, clinician, factories.make_room())


def test_receptionist_ticks_the_calls_of_the_day(page, sign_in, shoot, receptionist, clinician):
    reached = booked_tomorrow(clinician, 10, last_name="Reachable", phone="+33 6 30 63 66 10")
    silent = booked_tomorrow(clinician, 11, last_name="Silent")
    sign_in(receptionist.username, PASSWORD)

    page.get_by_role("link", name="Calls").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Calls for")
    expect(page.locator(".calls-open .call-line")).to_have_count(2)
    shoot("call-list", tablet=True)

    line = page.locator(f"#call-{reached.patient_id}")
    expect(line).to_contain_text("Confirm tomorrow's appointment")
    expect(line.get_by_role("link", name="+33 6 30 63 66 10")).to_be_visible()
    line.get_by_role("button", name="Reached").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Reached: REACHABLE Sophie."
    )

    page.locator(f"#call-{silent.patient_id}").get_by_role("button", name="No answer").click()
    expect(page.locator(f".calls-open #call-{silent.patient_id}")).to_contain_text(
        "Tried: no answer"
    )
    expect(page.locator(f".calls-done #call-{reached.patient_id}")).to_contain_text("Reached ·")
    expect(page.locator(f"#call-{reached.patient_id}").get_by_role("button")).to_have_count(0)
    shoot("call-list-after-ticks")

    assert sorted(CallOutcome.objects.values_list("patient_id", "outcome", "by")) == sorted(
        [
            (reached.patient_id, "reached", receptionist.pk),
            (silent.patient_id, "no_answer", receptionist.pk),
        ]
    )
