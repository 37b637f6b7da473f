"""The standing calendar each process keeps: read once, and never used once it is stale.

Every test searches first, so the process holds the calendar, then changes the clinic the
way an admin would, and searches again: the second search must see the change.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import inputs
from clinic.models import ClinicSettings, Closure, Equipment, OpeningHours, TimeOff
from plans import availability
from plans.calendar import calendar_changed, clinic_calendar
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 15, 15
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    return settings


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


@pytest.fixture
def session(dr_martin):
    factories.make_room("Room 1")
    patient = factories.make_patient()
    factories.make_screening(patient, dr_martin)
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", minutes=45),
        clinician=dr_martin,
        start_date=MONDAY,
    )
    return plan.sessions.get(number=1)


def search_days(session) -> set[date]:
    found = availability.slot_search(session=session, now=NOW, limit=200)
    return {slot.start.astimezone(PARIS).date() for slot in found.slots if slot.in_window}


def test_a_closure_added_after_a_search_closes_the_day_for_the_next(session):
    assert MONDAY in search_days(session)
    Closure.objects.create(name="Staff training", first_day=MONDAY, last_day=MONDAY)
    assert MONDAY not in search_days(session)


def test_a_closure_deleted_opens_the_day_again(session):
    closure = Closure.objects.create(name="Staff training", first_day=MONDAY, last_day=MONDAY)
    assert MONDAY not in search_days(session)
    closure.delete()
    assert MONDAY in search_days(session)


def test_new_opening_hours_move_the_first_slot(session):
    first = availability.slot_search(session=session, now=NOW).slots[0]
    assert first.start.astimezone(PARIS).time() == time(9)
    hours = OpeningHours.objects.get(weekday=MONDAY.weekday())
    hours.opens = time(11)
    hours.save()
    first = availability.slot_search(session=session, now=NOW).slots[0]
    assert first.start.astimezone(PARIS).time() == time(11)


def test_time_off_added_takes_the_clinician_off_that_day(session, dr_martin):
    assert MONDAY in search_days(session)
    TimeOff.objects.create(
        clinician=dr_martin,
        starts_at=datetime.combine(MONDAY, time(0), tzinfo=PARIS),
        ends_at=datetime.combine(MONDAY, time(23, 59), tzinfo=PARIS),
    )
    assert MONDAY not in search_days(session)


def test_a_clinician_made_inactive_is_offered_no_more(session, dr_martin):
    assert search_days(session)
    dr_martin.is_active = False
    dr_martin.save()
    assert availability.slot_search(session=session, now=NOW).slots == ()


def test_a_method_taken_from_a_clinician_is_seen(session, dr_martin):
    assert search_days(session)
    dr_martin.methods.clear()
    assert availability.slot_search(session=session, now=NOW).slots == ()


def test_equipment_a_method_now_needs_rules_out_rooms_without_it(session):
    assert search_days(session)
    device = Equipment.objects.create(name="Electrodermoporation device")
    session.plan.protocol.method.required_equipment.add(device)
    assert availability.slot_search(session=session, now=NOW).slots == ()


def test_settings_saved_from_an_older_copy_keep_the_calendar_fresh(session):
    stale_copy = ClinicSettings.load()
    assert MONDAY in search_days(session)
    Closure.objects.create(name="Staff training", first_day=MONDAY, last_day=MONDAY)
    stale_copy.name = "Clinique du Parc"
    stale_copy.save()  # must not write back the token it was read with
    assert MONDAY not in search_days(session)


def test_the_standing_calendar_is_read_once_until_it_changes(session):
    availability.slot_search(session=session, now=NOW)
    with CaptureQueriesContext(connection) as again:
        availability.slot_search(session=session, now=NOW)
    tables = " ".join(query["sql"] for query in again.captured_queries)
    assert "clinic_openinghours" not in tables
    assert "clinic_workinghours" not in tables
    calendar_changed()
    with CaptureQueriesContext(connection) as after_change:
        availability.slot_search(session=session, now=NOW)
    tables = " ".join(query["sql"] for query in after_change.captured_queries)
    assert "clinic_openinghours" in tables


def test_each_day_is_laid_out_once(clinic, dr_martin):
    standing = clinic_calendar(ClinicSettings.load())
    tz = ClinicSettings.load().tz
    assert standing.works_on(dr_martin.pk, MONDAY, tz) is standing.works_on(
        dr_martin.pk, MONDAY, tz
    )
    assert standing.works_on(dr_martin.pk, MONDAY, tz)[0].start == datetime.combine(
        MONDAY, time(9), tzinfo=PARIS
    )


def test_a_user_saved_renews_the_calendar_but_a_sign_in_does_not(client, dr_martin):
    token = ClinicSettings.load().calendar_token
    client.force_login(dr_martin.user)  # stamps last_login only
    dr_martin.user.set_password("a new passphrase 2026")
    dr_martin.user.save(update_fields=["password"])  # as a rehash at sign-in saves it
    assert ClinicSettings.load().calendar_token == token
    dr_martin.user.first_name = "Anne"
    dr_martin.user.save()
    assert ClinicSettings.load().calendar_token != token
    (listed,) = clinic_calendar(ClinicSettings.load()).clinicians
    assert listed.name.startswith("Dr Anne")


def test_rows_reaching_the_ends_of_the_calendar_do_not_stop_the_search(session, dr_martin):
    """Rows typed before dates were bounded (or written around the models' checks): a
    closure on 31 Dec 9999 and time off from year 1 still leave the week bookable."""
    Closure.objects.create(name="Forever", first_day=date(9999, 12, 30), last_day=date.max)
    Closure.objects.create(name="Long ago", first_day=date.min, last_day=date(1, 1, 2))
    TimeOff.objects.create(
        clinician=dr_martin,
        starts_at=datetime(1, 1, 1, tzinfo=ZoneInfo("UTC")),
        ends_at=datetime(2025, 1, 1, tzinfo=PARIS),
    )
    TimeOff.objects.create(
        clinician=dr_martin,
        starts_at=datetime(2027, 1, 1, tzinfo=PARIS),
        ends_at=datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("UTC")),
    )
    assert MONDAY in search_days(session)


def test_closures_and_time_off_stay_inside_the_clinic_calendar(dr_martin):
    closure = Closure(name="Forever", first_day=date(2026, 1, 1), last_day=date(9999, 12, 31))
    with pytest.raises(ValidationError) as refused:
        closure.full_clean()
    assert refused.value.message_dict["last_day"] == [inputs.OUTSIDE_CALENDAR]
    away = TimeOff(
        clinician=dr_martin,
        starts_at=datetime(1, 1, 1, tzinfo=ZoneInfo("UTC")),
        ends_at=datetime(2026, 1, 1, tzinfo=PARIS),
    )
    with pytest.raises(ValidationError) as refused:
        away.full_clean()
    assert refused.value.message_dict["starts_at"] == [inputs.OUTSIDE_CALENDAR]
