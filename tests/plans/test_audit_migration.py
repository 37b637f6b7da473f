"""Migrations clinic 0005, patients 0004 and plans 0009 on the demo clinic: the audit
trail's tables are added, the links to areas and products get models of their own on the
tables they had (every allergy, plan area, plan product and area treated survives, both
ways), and each treatment already recorded names its author."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import ProtectedError

from clinic.models import Clinician, Product, TreatmentArea
from patients.models import Screening
from plans.models import Appointment
from tests import factories
from tests.migrations import latest, migrate

BEFORE = [
    ("plans", "0009_booking_lock_and_submissions"),
    ("patients", "0003_screening_recorded_by_the_clock"),
    ("clinic", "0005_sign_in_rules"),
]
LINKS = (
    "patients_screening_allergic_to",
    "plans_treatmentplan_areas",
    "plans_treatmentplan_products",
    "plans_appointment_areas_treated",
)


def links() -> dict[str, set[tuple[int, int]]]:
    """Every row of the link tables, read as the database holds them."""
    rows = {}
    with connection.cursor() as cursor:
        for table in LINKS:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            ends = [c for c in columns if c != "id"]
            cursor.execute(f"SELECT {ends[0]}, {ends[1]} FROM {table}")
            rows[table] = set(cursor.fetchall())
    return rows


@pytest.fixture
def demo_clinic(settings):
    settings.DEBUG = True
    call_command("load_demo", without_week=True, stdout=None)  # its 40 patients' courses
    products = list(Product.objects.all()[:2])
    for screening in Screening.objects.all()[:10]:
        screening.allergic_to.set(products)
    areas = list(TreatmentArea.objects.all()[:2])
    for appointment in Appointment.objects.filter(status=Appointment.Status.DONE)[:10]:
        appointment.areas_treated.set(areas)
    try:
        yield
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_the_demo_clinic_keeps_every_link_and_names_each_treatments_author(demo_clinic):
    before = links()
    assert all(before.values())  # allergies, areas and products to keep
    done = dict(
        Appointment.objects.filter(status=Appointment.Status.DONE).values_list("pk", "clinician")
    )
    assert done

    old = migrate(BEFORE)
    assert links() == before
    # A treatment recorded by a colleague of the appointment's clinician, before records
    # named their author: the user who recorded it is its `changed_by`.
    first = min(done)
    colleague = old.get_model("clinic", "Clinician").objects.exclude(pk=done[first]).first()
    old.get_model("plans", "Appointment").objects.filter(pk=first).update(
        changed_by_id=colleague.user_id
    )

    migrate(latest())

    assert links() == before
    authors = dict(
        Appointment.objects.filter(status=Appointment.Status.DONE).values_list("pk", "recorded_by")
    )
    assert authors == {**done, first: colleague.pk}
    # The links now protect what they name.
    product = Product.objects.filter(pk__in=[p for _, p in before[LINKS[0]]]).first()
    with pytest.raises(ProtectedError):
        product.delete()
    assert Clinician.objects.count() == 3
    # And the trail records from now on.
    patient = factories.make_patient()
    assert patient.trail.count() == 1
