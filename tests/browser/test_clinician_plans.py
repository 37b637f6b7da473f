"""A clinician creates a plan from the seed protocol, previews it, and books every session."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings, Closure, OpeningHours
from plans.models import Appointment, Session
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"


def test_clinician_creates_a_plan_and_books_all_its_sessions(
    page, live_server, sign_in, shoot, clinician
):
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    factories.make_room("Room 1")
    factories.make_area("Face")
    protocol = factories.make_protocol(
        SEED, name="Skin rejuvenation", method=clinician.methods.get()
    )
    patient = factories.make_patient(first_name="Léa")
    factories.make_screening(patient, clinician, screened_on=ClinicSettings.load().today())
    start = ClinicSettings.load().today() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)

    sign_in(clinician.user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('plan_new', args=[patient.pk])}")
    page.get_by_label("Protocol").select_option(label=f"{protocol.name} ({protocol.method})")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Start date").dispatch_event("change")
    page.get_by_label("Face").check()
    expect(page.locator("#preview")).to_contain_text(protocol.text)
    expect(page.locator("#preview table")).to_be_visible()
    shoot("plan-new-preview")
    page.get_by_role("button", name="Create the plan").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Plan created"
    )
    shoot("plan-detail")
    plan = patient.plans.get()
    required = plan.sessions.filter(optional=False)
    # The clinic closes over the second session's whole window: it can only be booked
    # outside it, which the clinician confirms.
    second = plan.sessions.get(number=2)
    Closure.objects.create(name="Works", first_day=second.earliest, last_day=second.latest)
    page.get_by_role("link", name="Book all sessions…").click()
    proposed = page.locator('input[name="session"]')
    expect(proposed).to_have_count(required.count())  # a time for every required session
    outside = page.locator("tr.table-warning")
    expect(outside.first).to_contain_text("after its window")
    shoot("plan-book-all")
    marked = sorted(int(row.locator("td").first.inner_text()) for row in outside.all())
    assert marked[0] == 2  # and any later one its new time pushes out of its own window
    confirm = page.locator('input[name="confirm_outside"]')
    expect(confirm).to_have_count(1)
    confirm.check()
    page.get_by_role("button", name="Book these").click()
    expect(page.locator("#messages")).to_contain_text(f"{required.count()} sessions booked")
    assert required.filter(status=Session.Status.BOOKED).count() == required.count()
    booked = Appointment.objects.filter(session__plan=plan, status=Appointment.Status.BOOKED)
    assert sorted(booked.values_list("session__number", flat=True)) == sorted(
        required.values_list("number", flat=True)
    )
    confirmed = booked.filter(outside_window=True).values_list("session__number", flat=True)
    assert sorted(confirmed) == marked
    page.goto(f"{live_server.url}{reverse('patient_detail', args=[patient.pk])}")
    shoot("patient-detail")
    page.goto(f"{live_server.url}{reverse('schedule_week', args=[clinician.pk, start])}")
    shoot("schedule-week")
