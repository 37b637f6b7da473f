"""A clinician answers a product recall: from the Reports menu, the patients who received
a lot, and its CSV."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import ClinicSettings
from plans.models import Appointment, ProductUse
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clinician_finds_the_patients_of_a_recalled_lot(page, sign_in, shoot, clinician):
    batch = factories.make_batch(factories.make_product(), "HA-2417B", date(2027, 6, 30))
    tz = ClinicSettings.load().tz
    for number, name in enumerate(["Moreau", "Lefebvre", "Garnier"]):
        plan = factories.make_plan(
            patient=factories.make_patient(last_name=name),
            clinician=clinician,
            start_date=date(2026, 7, 6 + 7 * number),
        )
        held = datetime.combine(date(2026, 7, 6 + 7 * number), time(10, 30), tzinfo=tz)
        appointment = factories.book(
            plan.sessions.get(number=1),
            held,
            clinician,
            factories.make_room(),
            status=Appointment.Status.DONE,
        )
        ProductUse.objects.create(appointment=appointment, batch=batch)
    sign_in(clinician.user.username, PASSWORD)

    page.get_by_role("button", name="Reports").or_(page.get_by_role("link", name="Reports")).click()
    page.get_by_role("link", name="Who received a product lot").click()
    page.get_by_label("Lot number").fill("2417")
    page.get_by_role("button", name="Find").click()

    lot = page.locator(f"#batch-{batch.pk}")
    expect(lot).to_contain_text("lot HA-2417B")
    expect(lot.locator("tbody tr")).to_have_count(3)
    expect(lot.locator("tbody tr").first).to_contain_text("MOREAU Sophie")
    expect(lot.get_by_role("link", name="CSV")).to_have_attribute(
        "href", reverse("lot_report_csv", args=[batch.pk])
    )
    shoot("lot-report")

    page.get_by_label("Lot number").fill("x")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("Give at least 2 characters of the lot number.")).to_be_visible()
