"""Each appointment's dated instructions, read from the clinic's rules: the defaults the
migration loads, the patient's latest screening, sex and language, and a fixed number of
queries. Computed, not stored: a moved appointment moves its sentences."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.models import ClinicSettings, InstructionRule, OpeningHours
from patients.models import Patient
from plans import booking, selectors
from plans.instructions import Trigger
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
FRIDAY = date(2026, 3, 6)
pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.anaesthetic_cream_minutes = "Europe/Paris", 30
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    return settings


@pytest.fixture
def room(clinic):
    return factories.make_room("Room 1")


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


def booked(clinician, room, *, at=datetime(2026, 3, 6, 10, tzinfo=PARIS), patient=None, **answers):
    patient = patient or factories.make_patient()
    factories.make_screening(patient, clinician, **answers)
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days"),
        clinician=clinician,
        start_date=at.date(),
    )
    return factories.book(plan.sessions.get(number=1), at, clinician, room)


def sentences(appointment) -> dict[str, str]:
    found = selectors.appointment_instructions([appointment])[appointment.pk]
    return {instruction.key: instruction.sentence for instruction in found}


def test_the_migration_loads_the_domains_defaults_with_french():
    rules = {rule.key: rule for rule in InstructionRule.objects.prefetch_related("translations")}
    aspirin = rules["stop-aspirin"]
    assert (aspirin.trigger, aspirin.when, aspirin.offset_unit) == (
        Trigger.ASPIRIN_OR_CLOPIDOGREL,
        "before",
        "day",
    )
    assert (aspirin.offset_min, aspirin.offset_max) == (2, 3)
    assert (rules["stop-retinoid-creams"].offset_min, rules["stop-retinoid-creams"].offset_max) == (
        3,
        4,
    )
    assert rules["no-shaving"].trigger == Trigger.MALE
    assert rules["anaesthetic-cream"].offset_unit == "arrival"
    assert rules["no-laser-or-electrolysis"].offset_max == 7
    assert {"redness-and-swelling", "burning-feeling", "small-bruises"} <= set(rules)
    assert all(rule.translations.get().language == "fr" for rule in rules.values())


def test_a_patient_on_aspirin_is_told_when_to_stop(dr_martin, room):
    appointment = booked(dr_martin, room, takes_aspirin_or_clopidogrel=True)
    said = sentences(appointment)
    assert said["stop-aspirin"] == (
        "Stop aspirin or clopidogrel from Tuesday 3 March (3 days before your session)"
    )
    assert said["no-laser-or-electrolysis"] == (
        "No laser or electrolysis treatment until Friday 13 March (7 days after your session)"
    )
    assert "stop-retinoid-creams" not in said and "no-shaving" not in said


def test_only_the_latest_screening_counts(dr_martin, room):
    patient = factories.make_patient()
    factories.make_screening(
        patient, dr_martin, screened_on=date(2025, 6, 1), takes_aspirin_or_clopidogrel=True
    )
    appointment = booked(dr_martin, room, patient=patient, uses_retinoid_creams=True)
    said = sentences(appointment)
    assert "stop-aspirin" not in said
    assert said["stop-retinoid-creams"].startswith("Stop retinoid creams from Monday 2 March")


def test_a_man_is_told_not_to_shave_on_the_day(dr_martin, room):
    man = factories.make_patient(sex=Patient.Sex.MALE)
    said = sentences(booked(dr_martin, room, patient=man))
    assert said["no-shaving"] == (
        "Avoid shaving the treated areas on Friday 6 March (the day of your session)"
    )


def test_the_cream_arrival_is_the_clinics_setting(dr_martin, room, clinic):
    clinic.anaesthetic_cream_minutes = 40
    clinic.save()
    said = sentences(booked(dr_martin, room, wants_anaesthetic_cream=True))
    assert said["anaesthetic-cream"] == (
        "Arrive early for the anaesthetic cream at 09:20 (40 minutes before your session)"
    )


def test_a_french_patient_reads_french(dr_martin, room):
    french = factories.make_patient(preferred_language=Patient.Language.FRENCH)
    said = sentences(booked(dr_martin, room, patient=french, takes_aspirin_or_clopidogrel=True))
    assert said["stop-aspirin"] == (
        "Arrêtez l'aspirine ou le clopidogrel à partir du mardi 3 mars (3 jours avant votre séance)"
    )


def test_a_rule_switched_off_is_not_said(dr_martin, room):
    InstructionRule.objects.filter(key="small-bruises").update(is_active=False)
    assert "small-bruises" not in sentences(booked(dr_martin, room))


def test_a_rule_for_another_method_is_not_said(dr_martin, room):
    rule = InstructionRule.objects.get(key="small-bruises")
    rule.methods.set([factories.make_method("Electrodermoporation")])
    assert "small-bruises" not in sentences(booked(dr_martin, room))


def test_a_moved_appointment_moves_its_sentences(dr_martin, room):
    appointment = booked(dr_martin, room, takes_aspirin_or_clopidogrel=True)
    before = sentences(appointment)["stop-aspirin"]
    moved = booking.appointment_move(
        appointment=appointment,
        starts_at=appointment.starts_at + timedelta(days=3),
        clinician=dr_martin,
        room=room,
        now=NOW,
        confirm_outside=True,
    ).appointment
    after = sentences(moved)["stop-aspirin"]
    assert before.startswith("Stop aspirin or clopidogrel from Tuesday 3 March")
    assert after.startswith("Stop aspirin or clopidogrel from Friday 6 March")


@pytest.mark.parametrize("count", [1, 6])
def test_a_fixed_number_of_queries(dr_martin, room, count, django_assert_max_num_queries):
    appointments = [
        booked(
            dr_martin,
            room,
            at=datetime(2026, 3, 2 + i % 5, 9 + i, tzinfo=PARIS),
            takes_aspirin_or_clopidogrel=bool(i % 2),
            wants_anaesthetic_cream=True,
        )
        for i in range(count)
    ]
    with django_assert_max_num_queries(8):
        found = selectors.appointment_instructions(appointments)
    assert set(found) == {a.pk for a in appointments}
    assert all(found[a.pk] for a in appointments)
