"""The patients page before any search: who is coming in the next days and who was seen
recently, the people the front desk looks for most."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db


def visit(clinician, day, hour, status=Appointment.Status.BOOKED, **patient):
    person = factories.make_patient(**patient)
    plan = factories.make_plan(patient=person, clinician=clinician, start_date=day)
    starts = datetime.combine(day, time(hour), tzinfo=ClinicSettings.load().tz)
    extra = {"reason": "Unwell"} if status in Appointment.CANCELLED else {}
    factories.book(
        plan.sessions.get(number=1),
        starts,
        clinician,
        factories.make_room(),
        status=status,
        **extra,
    )
    return person


def section(html: str, title: str) -> str:
    start = html.index(title)
    return html[start : html.find("</section>", start)]


def test_the_page_lists_who_is_coming_and_who_was_seen_before_any_search(
    client, receptionist, clinician, clock
):
    today = clock.today()
    done = Appointment.Status.DONE
    visit(clinician, today - timedelta(days=3), 10, done, last_name="Lastweek")
    visit(clinician, today - timedelta(days=1), 10, done, last_name="Yesterday")
    visit(clinician, today - timedelta(days=20), 10, done, last_name="Longago")
    visit(clinician, today + timedelta(days=1), 9, last_name="Tomorrow")
    visit(clinician, today + timedelta(days=2), 9, last_name="Aftertomorrow")
    visit(clinician, today + timedelta(days=10), 9, last_name="Nextmonth")
    visit(
        clinician,
        today + timedelta(days=1),
        11,
        Appointment.Status.CANCELLED_BY_PATIENT,
        last_name="Cancelled",
    )
    client.force_login(receptionist)

    html = client.get(reverse("patient_list")).text

    coming = section(html, "Coming in the next days")
    seen = section(html, "Seen recently")
    assert coming.index("TOMORROW") < coming.index("AFTERTOMORROW")
    assert "NEXTMONTH" not in coming and "CANCELLED" not in coming
    assert seen.index("YESTERDAY") < seen.index("LASTWEEK")
    assert "LONGAGO" not in seen and "TOMORROW" not in seen
    assert "+33 6 12 34 56 78" in coming


def test_a_search_shows_its_results_instead(client, receptionist, clinician, clock):
    visit(clinician, clock.today() + timedelta(days=1), 9, last_name="Tomorrow")
    client.force_login(receptionist)
    html = client.get(reverse("patient_list"), {"q": "nobody"}).text
    assert "Coming in the next days" not in html and "Nobody matches." in html


@pytest.mark.parametrize("patients", [2, 12])
def test_the_lists_take_the_same_queries_however_many_patients(
    client, receptionist, clinician, clock, patients, django_assert_max_num_queries
):
    for number in range(patients):
        visit(clinician, clock.today() + timedelta(days=1 + number % 5), 9 + number % 8)
        visit(clinician, clock.today() - timedelta(days=1 + number % 5), 9, Appointment.Status.DONE)
    client.force_login(receptionist)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("patient_list")).text
    assert html.count('href="tel:') == 2 * min(patients, 10)
