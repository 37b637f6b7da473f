"""Consent before booking: a plan of a method with a consent form in force is booked only
once the patient has signed the version in force; an older version is not enough."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clinic.models import ClinicSettings, ConsentFormVersion, OpeningHours
from plans import availability, booking, safety
from plans.models import Appointment
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
pytestmark = pytest.mark.django_db


@pytest.fixture
def room(db):
    clinic = ClinicSettings.load()
    clinic.time_zone = "Europe/Paris"
    clinic.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    return factories.make_room("Room 1")


@pytest.fixture
def edp():
    return factories.make_method("Electrodermoporation")


@pytest.fixture
def dr_martin(room, edp):
    return factories.make_clinician(methods=[edp])


@pytest.fixture
def plan(dr_martin, edp):
    patient = factories.make_patient()
    factories.make_screening(patient, dr_martin)
    return factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", method=edp),
        clinician=dr_martin,
        start_date=MONDAY,
    )


def book_first(plan, clinician, room):
    return booking.appointment_book(
        session=plan.sessions.get(number=1),
        starts_at=datetime.combine(MONDAY, time(10), tzinfo=PARIS),
        clinician=clinician,
        room=room,
        now=NOW,
    )


def test_booking_without_the_consent_is_refused_with_what_to_sign(plan, dr_martin, room, edp):
    factories.make_consent_form(edp, versions=3)
    with pytest.raises(ValidationError) as refused:
        book_first(plan, dr_martin, room)
    assert refused.value.messages == [
        safety.CONSENT_DUE.format(method="electrodermoporation", number=3)
    ]
    assert refused.value.messages == ["Consent for electrodermoporation, version 3, to be signed."]
    assert not Appointment.objects.exists()


def test_a_consent_one_version_old_is_not_enough(plan, dr_martin, room, edp):
    form = factories.make_consent_form(edp, versions=3)
    factories.sign_consent(plan.patient, form.versions.get(number=2), dr_martin)
    with pytest.raises(ValidationError, match="version 3, to be signed"):
        book_first(plan, dr_martin, room)
    factories.sign_consent(plan.patient, form.versions.get(number=3), dr_martin)
    assert book_first(plan, dr_martin, room).appointment.starts_at.hour == 10


def test_a_new_version_holds_the_next_booking_until_signed_again(plan, dr_martin, room, edp):
    form = factories.make_consent_form(edp)
    factories.sign_consent(plan.patient, form.current(), dr_martin)
    book_first(plan, dr_martin, room)
    ConsentFormVersion.objects.create(form=form, number=2, text="New wording.")
    assert safety.consent_due(plan) == "Consent for electrodermoporation, version 2, to be signed."
    with pytest.raises(ValidationError, match="version 2"):
        availability.plan_propose(plan=plan, now=NOW)


def test_a_method_without_a_form_in_force_books_freely(plan, dr_martin, room, edp):
    assert safety.consent_due(plan) is None
    factories.make_consent_form(edp, is_active=False)
    assert safety.consent_due(plan) is None
    assert book_first(plan, dr_martin, room).appointment


def test_another_patients_consent_does_not_count(plan, dr_martin, edp):
    form = factories.make_consent_form(edp)
    factories.sign_consent(factories.make_patient(), form.current(), dr_martin)
    assert safety.consent_due(plan) == "Consent for electrodermoporation, version 1, to be signed."


def test_the_recall_boards_consents_cost_three_queries_for_any_number_of_plans(
    dr_martin, edp, django_assert_num_queries
):
    form = factories.make_consent_form(edp, versions=2)
    protocol = factories.make_protocol("6 sessions every 2 weeks ±2 days", method=edp)
    plans = [
        factories.make_plan(
            patient=factories.make_patient(), protocol=protocol, clinician=dr_martin
        )
        for _ in range(6)
    ]
    factories.sign_consent(plans[0].patient, form.current(), dr_martin)
    factories.sign_consent(plans[1].patient, form.versions.get(number=1), dr_martin)
    with django_assert_num_queries(3):
        due = safety.consents_due([p.pk for p in plans])
    assert set(due) == {p.pk for p in plans[1:]}
    assert due[plans[1].pk] == "Consent for electrodermoporation, version 2, to be signed."


def test_a_signed_version_cannot_be_reworded(plan, dr_martin, edp):
    form = factories.make_consent_form(edp)
    version = form.current()
    factories.sign_consent(plan.patient, version, dr_martin)
    version.text = "Something else."
    with pytest.raises(ValidationError, match="publish a new version"):
        version.full_clean()
