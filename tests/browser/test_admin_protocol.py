"""An admin rewrites a protocol in Django admin, by pasting its text and by editing a phase
row, and the preview of its sessions on the protocol's page follows each change."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_edits_a_protocols_phases_and_the_preview_follows(
    page, live_server, sign_in, shoot, clinic_admin
):
    protocol = factories.make_protocol("6 sessions every 2 weeks", name="Dark circles course")
    sessions = page.locator("table.protocol-preview tbody tr")
    canonical = page.locator(".field-canonical_text")

    sign_in(clinic_admin.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('admin:plans_protocol_change', args=[protocol.pk])}")
    expect(canonical).to_contain_text("every 2 weeks, 6 sessions")
    expect(sessions).to_have_count(6)
    shoot("admin-protocol")

    page.get_by_label("Phases as text").fill("3 sessions monthly")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    expect(canonical).to_contain_text("monthly, 3 sessions")
    expect(sessions).to_have_count(3)

    page.locator("#id_phases-0-span_min").fill("4")
    page.locator("#id_phases-0-span_max").fill("4")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("new plans follow version")
    expect(canonical).to_contain_text("monthly, 4 sessions")
    expect(sessions).to_have_count(4)
    shoot("admin-protocol-edited")

    protocol.refresh_from_db()
    assert protocol.text == "monthly, 4 sessions"
    assert protocol.version == 3
