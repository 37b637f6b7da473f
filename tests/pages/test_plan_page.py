"""The plan page says which version of its protocol the plan follows."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from plans import engine, services
from tests import factories

pytestmark = pytest.mark.django_db


def test_plan_page_names_the_protocol_version_it_follows(client, clinician):
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    plan = factories.make_plan(protocol=protocol, clinician=clinician)
    services.protocol_set_phases(
        protocol=protocol, phases=engine.parse_protocol("4 sessions monthly")
    )
    client.force_login(clinician.user)
    response = client.get(reverse("plan_detail", args=[plan.pk]))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    # The plan's own copy: "every 2 weeks" with the clinic's default tolerance written out.
    assert "every 2 weeks ±2 days, 6 sessions" in page
    assert "4 sessions" not in page.split("now version 2")[0]
    assert "Follows version 1" in page
    assert "now version 2" in page
