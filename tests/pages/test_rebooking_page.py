"""The rebooking worklist pages: a closure over a busy day must not make one page run a
slot search for every appointment it fell on."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import views
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_worklist_shows_a_page_of_appointments_with_their_proposals(client, receptionist):
    clinic = ClinicSettings.load()
    today = clinic.today()
    clinician, room = factories.make_clinician(), factories.make_room()
    count = views.REBOOKING_PAGE + 3
    day = today + timedelta(days=7)
    for index in range(count):
        plan = factories.make_plan(clinician=clinician, start_date=day)
        factories.make_screening(plan.patient, clinician, screened_on=today)
        starts = datetime.combine(day, time(8), tzinfo=clinic.tz) + timedelta(hours=index)
        factories.book(plan.sessions.get(number=1), starts, clinician, room, needs_rebooking=True)
    client.force_login(receptionist)

    first = client.get(reverse("rebooking_worklist")).content.decode()
    second = client.get(reverse("rebooking_worklist"), {"page": 2}).content.decode()

    assert first.count("Rebook…") == views.REBOOKING_PAGE
    assert second.count("Rebook…") == 3
    assert f"{count} appointments to rebook, page 2 of 2" in second
