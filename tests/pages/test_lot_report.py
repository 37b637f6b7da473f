"""The product-lot report, for a recall: which patients received lot X and when, from the
treatment records, on the page and as CSV; for clinicians only, reachable from the
Reports menu and from the batch in admin."""

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from clinic.models import ClinicSettings
from plans.models import Appointment, ProductUse
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return factories.make_product("Hyaluronic acid 1.5%")


@pytest.fixture
def recalled(product):
    return factories.make_batch(product, "HA-2417B", date(2027, 6, 30))


def treated(clinician, batch, held: datetime, *, status=Appointment.Status.DONE, **patient):
    """A patient treated at `held` with `batch` (a treatment record), or, with another
    `status`, an appointment that names the batch but was never held."""
    extra = {}
    person = factories.make_patient(**patient)
    plan = factories.make_plan(patient=person, clinician=clinician, start_date=held.date())
    if status != Appointment.Status.DONE:
        extra["reason"] = "Changed her mind"
    appointment = factories.book(
        plan.sessions.get(number=1), held, clinician, factories.make_room(), status=status, **extra
    )
    ProductUse.objects.create(appointment=appointment, batch=batch, quantity_ml=Decimal("2.5"))
    return appointment


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ClinicSettings.load().tz)


def report(client, **query):
    response = client.get(reverse("lot_report"), query)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_a_clinician_finds_who_received_a_lot_and_when_oldest_first(
    client, clinician, product, recalled
):
    # Summer and winter time: each told on the clinic's clock.
    treated(
        clinician,
        recalled,
        at(date(2026, 11, 9), 14, 15),
        last_name="Later",
        email="later@mail.example",
    )
    first = treated(
        clinician, recalled, at(date(2026, 7, 6), 10, 30), last_name="First", phone="0630636610"
    )
    other = factories.make_batch(product, "HA-9999Z", date(2027, 6, 30))
    treated(clinician, other, at(date(2026, 8, 3), 9), last_name="Otherlot")
    treated(
        clinician,
        recalled,
        at(date(2026, 8, 3), 11),
        status=Appointment.Status.CANCELLED_BY_PATIENT,
        last_name="Neverheld",
    )
    client.force_login(clinician.user)

    html = report(client, lot="ha-2417")

    assert "Hyaluronic acid 1.5%, lot HA-2417B" in html and "2 treatments" in html
    assert html.index("FIRST Sophie") < html.index("LATER Sophie")
    assert "Mon 6 Jul 2026, 10:30" in html and "Mon 9 Nov 2026, 14:15" in html
    assert 'href="tel:+33 6 30 63 66 10"' in html
    assert reverse("patient_detail", args=[first.patient_id]) in html
    assert reverse("lot_report_csv", args=[recalled.pk]) in html
    assert "OTHERLOT" not in html and "NEVERHELD" not in html
    assert "later@mail.example" in html


def test_the_csv_has_a_row_per_treatment_with_the_patients_contact(client, clinician, recalled):
    treated(
        clinician, recalled, at(date(2026, 7, 6), 10, 30), last_name="Dupré", first_name="Hélène"
    )
    client.force_login(clinician.user)

    response = client.get(reverse("lot_report_csv", args=[recalled.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="lot-HA-2417B.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Date", "Time", "Patient", "Date of birth", "Phone"]
    assert rows[1] == [
        "2026-07-06",
        "10:30",
        "DUPRÉ Hélène",
        "1980-05-17",
        "'+33 6 12 34 56 78",  # a spreadsheet would read "+33 ..." as a formula
        "",
        str(clinician),
        "Hyaluronic acid 1.5%",
        "HA-2417B",
        "2027-06-30",
        "2.50",
    ]
    assert len(rows) == 2


def test_a_lot_number_too_short_is_refused_at_the_field(client, clinician, recalled):
    client.force_login(clinician.user)
    html = report(client, lot=" h ")
    assert "Give at least 2 characters of the lot number." in html
    assert "HA-2417B" not in html
    assert "No batch has a lot number with “zzz”." in report(client, lot="zzz")


def test_reception_may_not_read_who_received_what(client, receptionist, recalled):
    urls = [
        reverse("lot_report"),
        reverse("lot_report_batch", args=[recalled.pk]),
        reverse("lot_report_csv", args=[recalled.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response.url
    client.force_login(receptionist)
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert "Reports" not in client.get(reverse("schedule_today")).text


def test_clinicians_find_it_in_the_reports_menu(client, clinician):
    client.force_login(clinician.user)
    html = client.get(reverse("schedule_today")).text
    assert "Reports" in html and f'href="{reverse("lot_report")}"' in html


def test_the_batch_in_admin_links_to_its_report(client, clinic_admin, recalled):
    client.force_login(clinic_admin)
    link = reverse("lot_report_batch", args=[recalled.pk])
    change = client.get(reverse("admin:clinic_productbatch_change", args=[recalled.pk])).text
    listing = client.get(reverse("admin:clinic_productbatch_changelist")).text
    assert link in change and link in listing
    assert client.get(reverse("admin:clinic_productbatch_add")).status_code == 200
    assert "HA-2417B" in unescape(client.get(link).content.decode())


@pytest.mark.parametrize("patients", [2, 10])
def test_the_report_reads_the_same_queries_however_many_patients(
    client, clinician, recalled, patients, django_assert_max_num_queries
):
    for number in range(patients):
        treated(clinician, recalled, at(date(2026, 7, 6 + number), 10))
    client.force_login(clinician.user)
    with django_assert_max_num_queries(8):
        html = report(client, lot="HA-2417B")
    assert f"{patients} treatments" in html
    with django_assert_max_num_queries(7):
        response = client.get(reverse("lot_report_csv", args=[recalled.pk]))
    assert response.content.decode().count("\n") == patients + 1
