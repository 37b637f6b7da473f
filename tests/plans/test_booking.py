"""Booking sessions: free slots in their windows, whole plans, moves, and no double booking."""

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clinic.models import (
    ClinicSettings,
    Closure,
    Contraindication,
    OpeningHours,
    Product,
    TimeOff,
)
from plans import booking, services, slots
from plans.models import Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 15, 15
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(13))
        OpeningHours.objects.create(weekday=weekday, opens=time(14), closes=time(19))
    return settings


@pytest.fixture
def room(clinic):
    return factories.make_room("Room 1")


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


def screened_patient(clinician, **findings):
    patient = factories.make_patient()
    factories.make_screening(patient, clinician, **findings)
    return patient


@pytest.fixture
def plan(dr_martin, room):
    return factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days", minutes=45),
        clinician=dr_martin,
        start_date=MONDAY,
    )


def first(plan, number=1) -> Session:
    return plan.sessions.get(number=number)


def test_first_slot_is_on_the_due_date_at_opening(plan, dr_martin, room):
    found = booking.slot_search(session=first(plan), now=NOW)
    assert found.reason is None
    assert found.slots[0].start == at(MONDAY, 9)
    assert found.slots[0].clinician_id == dr_martin.pk
    assert found.slots[0].room_id == room.pk
    assert all(slot.in_window for slot in found.slots)


def test_slots_are_closest_to_the_due_date_first(plan):
    found = booking.slot_search(session=first(plan, 2), now=NOW, limit=200)
    days = [slot.start.astimezone(PARIS).date() for slot in found.slots]
    due = first(plan, 2).due
    distances = [abs((day - due).days) for day in days]
    assert distances == sorted(distances)
    assert days[0] == due


def test_booked_time_and_buffer_are_not_offered_again(plan, dr_martin, room):
    booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    found = booking.slot_search(session=first(other), now=NOW)
    # 45 minutes plus a 15-minute buffer: the next start is 10:00.
    assert found.slots[0].start == at(MONDAY, 10)


def test_same_clinician_cannot_be_booked_twice(plan, dr_martin, room):
    booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(other),
            starts_at=at(MONDAY, 9, 30),
            clinician=dr_martin,
            room=factories.make_room(),
            now=NOW,
        )
    assert error.value.messages == [booking.SLOT_TAKEN]
    assert first(other).status == Session.Status.PLANNED


def test_same_patient_cannot_be_in_two_rooms(plan, dr_martin, room):
    booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    second_plan = factories.make_plan(
        patient=plan.patient, protocol=plan.protocol, clinician=dr_martin, start_date=MONDAY
    )
    other_doctor = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Marco", last_name="Rossi")
    )
    with pytest.raises(ValidationError):
        booking.session_book(
            session=first(second_plan),
            starts_at=at(MONDAY, 9),
            clinician=other_doctor,
            room=factories.make_room(),
            now=NOW,
        )


def test_clinician_outside_working_hours_is_refused(plan, dr_martin, room):
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 18), clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.messages == [booking.SLOT_TAKEN]


def test_electrodermoporation_needs_the_room_with_the_device(dr_martin, clinic):
    device = "Electrodermoporation device"
    edp = factories.make_method("Electrodermoporation", equipment=[device])
    dr_martin.methods.add(edp)
    plain = factories.make_room("Room 2")
    equipped = factories.make_room("Room 1", equipment=[device])
    plan = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=factories.make_protocol("6 sessions every 2 weeks", method=edp),
        clinician=dr_martin,
    )
    found = booking.slot_search(session=first(plan), now=NOW)
    assert {slot.room_id for slot in found.slots} == {equipped.pk}
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=plain, now=NOW
        )
    assert "room" in error.value.message_dict


def test_no_clinician_with_the_method_is_explained(clinic, room):
    doctor = factories.make_clinician(methods=[])
    plan = factories.make_plan(patient=screened_patient(doctor), clinician=doctor)
    found = booking.slot_search(session=first(plan), now=NOW)
    assert found.slots == ()
    assert found.reason == slots.NO_CLINICIAN


def test_closed_window_offers_the_nearest_days_outside_it(plan):
    # The first session's window is 5-7 January (±2 days).
    Closure.objects.create(name="Holiday", first_day=MONDAY, last_day=date(2026, 1, 7))
    found = booking.slot_search(session=first(plan), now=NOW)
    assert found.reason == slots.CLOSED
    assert found.slots and not any(slot.in_window for slot in found.slots)
    assert found.slots[0].start.astimezone(PARIS).date() == date(2026, 1, 8)


def test_time_off_removes_the_clinicians_hours(plan, dr_martin):
    TimeOff.objects.create(clinician=dr_martin, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 12))
    found = booking.slot_search(session=first(plan), now=NOW)
    assert found.slots[0].start == at(MONDAY, 12)


def test_patient_preferences_are_honoured(plan):
    plan.preferred_weekdays, plan.preferred_after = "1", time(17)
    plan.save()
    found = booking.slot_search(session=first(plan, 2), now=NOW, limit=50)
    assert found.slots
    for slot in found.slots:
        local = slot.start.astimezone(PARIS)
        assert local.weekday() == 1 and local.time() >= time(17)


def test_spacing_from_the_previous_booking_is_kept(plan, dr_martin, room):
    booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    found = booking.slot_search(session=first(plan, 2), now=NOW, limit=500)
    # every 2 weeks ±2 days: not before 17 January.
    assert min(slot.start for slot in found.slots).astimezone(PARIS).date() >= date(2026, 1, 17)


def test_contraindication_blocks_booking_until_an_override_is_recorded(dr_martin, room):
    Contraindication.objects.create(code="anticoagulants", name="Anticoagulant therapy")
    plan = factories.make_plan(
        patient=screened_patient(dr_martin, anticoagulants=True), clinician=dr_martin
    )
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert "Anticoagulant therapy" in error.value.messages[0]
    services.plan_record_override(
        plan=plan, clinician=dr_martin, reason="INR stable, haematologist agrees."
    )
    booked = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    assert booked.status == Session.Status.BOOKED


def test_unscreened_patient_cannot_be_booked(dr_martin, room):
    plan = factories.make_plan(clinician=dr_martin)
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.messages == [booking.NOT_SCREENED]


def test_whole_plan_is_proposed_then_booked_with_the_same_doctor(plan, dr_martin, room):
    proposal = booking.plan_propose(plan=plan, now=NOW)
    assert proposal.failures == []
    assert [s.number for s, _ in proposal.placements] == [1, 2, 3, 4, 5, 6]
    assert Session.objects.filter(status=Session.Status.BOOKED).count() == 0
    booked = booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    assert len(booked) == 6
    assert {s.clinician_id for s in booked} == {dr_martin.pk}
    days = [s.starts_at.astimezone(PARIS).date() for s in booked]
    for session, day in zip(booked, days, strict=True):
        assert session.earliest <= day <= session.latest
    assert all((b - a).days >= 12 for a, b in itertools.pairwise(days))


def test_whole_plan_is_all_or_nothing(plan, dr_martin, room):
    proposal = booking.plan_propose(plan=plan, now=NOW)
    _, third_slot = proposal.placements[2]
    intruder = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=third_slot.start.astimezone(PARIS).date(),
    )
    booking.session_book(
        session=first(intruder), starts_at=third_slot.start, clinician=dr_martin, room=room, now=NOW
    )
    with pytest.raises(ValidationError):
        booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    assert not plan.sessions.filter(status=Session.Status.BOOKED).exists()


def test_sessions_that_cannot_be_placed_are_listed_with_the_reason(plan):
    Closure.objects.create(
        name="Winter break", first_day=date(2026, 1, 15), last_day=date(2026, 1, 24)
    )
    proposal = booking.plan_propose(plan=plan, now=NOW)
    assert [(s.number, reason) for s, reason in proposal.failures] == [(2, slots.CLOSED)]
    assert [s.number for s, _ in proposal.placements] == [1, 3, 4, 5, 6]


def test_reschedule_lists_later_bookings_now_too_close(plan, dr_martin, room):
    proposal = booking.plan_propose(plan=plan, now=NOW)
    booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    second = first(plan, 2)
    third_day = first(plan, 3).starts_at.astimezone(PARIS).date()
    moved_to = at(third_day - timedelta(days=5), 10)
    moved = booking.session_reschedule(
        session=second, starts_at=moved_to, clinician=dr_martin, room=room, now=NOW
    )
    assert moved.session.starts_at == moved_to
    assert [s.number for s in moved.conflicts] == [3]


def test_cancel_keeps_the_session_and_frees_its_slot(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    services.session_cancel(session=session, reason="Patient has a cold")
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    assert booking.slot_search(session=first(other), now=NOW).slots[0].start == at(MONDAY, 9)


def test_closure_over_bookings_flags_them_without_moving_them(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    Closure.objects.create(name="Burst pipe", first_day=MONDAY, last_day=MONDAY)
    session.refresh_from_db()
    assert session.needs_rebooking
    assert session.starts_at == at(MONDAY, 9)
    assert session.status == Session.Status.BOOKED


def test_time_off_over_bookings_flags_only_that_clinicians(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    other = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Linh", last_name="Nguyen")
    )
    TimeOff.objects.create(clinician=other, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 19))
    session.refresh_from_db()
    assert not session.needs_rebooking
    TimeOff.objects.create(clinician=dr_martin, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 10))
    session.refresh_from_db()
    assert session.needs_rebooking


def test_booking_in_the_past_is_refused(plan, dr_martin, room):
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan),
            starts_at=at(MONDAY, 9),
            clinician=dr_martin,
            room=room,
            now=at(MONDAY, 12),
        )
    assert error.value.message_dict["starts_at"] == [booking.IN_THE_PAST]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_postgresql_refuses_overlaps_even_past_the_application(plan, dr_martin, room):
    booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    sneaky = first(plan, 2)
    sneaky.status = Session.Status.BOOKED
    sneaky.starts_at, sneaky.ends_at = at(MONDAY, 9, 30), at(MONDAY, 10, 15)
    sneaky.blocks_until = sneaky.ends_at
    sneaky.clinician, sneaky.room = dr_martin, factories.make_room()
    with pytest.raises(IntegrityError), transaction.atomic():
        sneaky.save()


def make_history(dr_martin, room, weeks: int) -> None:
    """Booked sessions of other patients, one a day at 17:00, for `weeks` weeks."""
    protocol = factories.make_protocol("daily for 6 months")
    for week in range(weeks):
        other = factories.make_plan(
            patient=screened_patient(dr_martin),
            protocol=protocol,
            clinician=dr_martin,
            start_date=MONDAY + timedelta(weeks=week),
        )
        rows = list(other.sessions.order_by("number")[:5])
        for session in rows:
            session.status = Session.Status.BOOKED
            session.starts_at = at(session.due, 17)
            session.ends_at = session.blocks_until = session.starts_at + timedelta(minutes=45)
            session.clinician, session.room = dr_martin, room
        Session.objects.bulk_update(
            rows, ["status", "starts_at", "ends_at", "blocks_until", "clinician", "room"]
        )


@pytest.mark.parametrize("weeks", [1, 8])
def test_slot_search_queries_do_not_grow_with_bookings(
    plan, dr_martin, room, weeks, django_assert_max_num_queries
):
    make_history(dr_martin, room, weeks)
    session = first(plan, 3)
    with django_assert_max_num_queries(14):
        booking.slot_search(session=session, now=NOW)


@pytest.mark.parametrize("weeks", [1, 8])
def test_plan_booking_queries_do_not_grow_with_bookings(
    plan, dr_martin, room, weeks, django_assert_max_num_queries
):
    make_history(dr_martin, room, weeks)
    with django_assert_max_num_queries(20):
        proposal = booking.plan_propose(plan=plan, now=NOW)
    assert len(proposal.placements) == 6


def test_override_does_not_cover_a_later_screening(dr_martin, room):
    patient = screened_patient(dr_martin, anticoagulants=True)
    plan = factories.make_plan(patient=patient, clinician=dr_martin)
    services.plan_record_override(plan=plan, clinician=dr_martin, reason="INR stable.")
    factories.make_screening(patient, dr_martin, screened_on=date(2026, 2, 1), pregnant=True)
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert "Pregnancy" in error.value.messages[0]


def test_a_product_contraindication_applies_whatever_the_method(dr_martin, room):
    edp = factories.make_method("Electrodermoporation")
    epilepsy = Contraindication.objects.create(code="epilepsy", name="Epilepsy")
    epilepsy.methods.set([edp])
    product = Product.objects.create(name="Stimulating cocktail", category="vitamins")
    product.contraindications.set([epilepsy])
    plan = factories.make_plan(
        patient=screened_patient(dr_martin, epilepsy=True), clinician=dr_martin
    )
    assert booking.contraindications(plan, booking.latest_screening(plan)) == []
    plan.products.add(product)
    assert booking.contraindications(plan, booking.latest_screening(plan)) == ["Epilepsy"]


def test_an_allergy_to_a_plan_product_forbids_booking(dr_martin, room):
    product = Product.objects.create(name="HA 1.35%", category="hyaluronic_acid")
    patient = screened_patient(dr_martin)
    patient.screenings.get().allergic_to.add(product)
    plan = factories.make_plan(patient=patient, clinician=dr_martin, products=[product])
    with pytest.raises(ValidationError) as error:
        booking.session_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert "Allergy" in error.value.messages[0]


def test_a_stopped_plan_cannot_be_rescheduled(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    plan.status = plan.Status.STOPPED
    plan.save()
    with pytest.raises(ValidationError):
        booking.session_reschedule(
            session=session, starts_at=at(MONDAY, 11), clinician=dr_martin, room=room, now=NOW
        )


def test_a_clinician_may_book_outside_the_patients_preferences(plan, dr_martin, room):
    plan.preferred_after = time(17)
    plan.save()
    booked = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 10), clinician=dr_martin, room=room, now=NOW
    )
    assert booked.status == Session.Status.BOOKED


def test_an_overdue_session_gets_the_first_free_times_from_today(plan):
    today = date(2026, 2, 2)
    found = booking.slot_search(session=first(plan), now=at(today, 8))
    assert found.reason == booking.OVERDUE
    assert found.slots[0].start == at(today, 9)
    assert not any(slot.in_window for slot in found.slots)


def test_a_late_patient_can_still_be_recorded_as_done(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 10), clinician=dr_martin, room=room, now=NOW
    )
    services.session_mark_done(session=session, held_at=at(MONDAY, 10, 40))
    session.refresh_from_db()
    assert session.status == Session.Status.DONE
    assert session.starts_at == at(MONDAY, 10, 40)


def test_a_session_marked_done_early_still_holds_the_room(plan, dr_martin, room):
    session = booking.session_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    services.session_mark_done(session=session, held_at=at(MONDAY, 9))
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    assert booking.slot_search(session=first(other), now=NOW).slots[0].start == at(MONDAY, 10)


def test_a_proposal_made_before_a_replan_is_refused(plan, dr_martin, room):
    proposal = booking.plan_propose(plan=plan, now=NOW)
    later = [(s, slot) for s, slot in proposal.placements if s.number > 1]
    services.session_mark_done(session=first(plan), held_at=at(MONDAY, 9))
    Session.objects.filter(plan=plan, number=2).update(
        due=date(2026, 1, 20), latest=date(2026, 1, 22)
    )
    with pytest.raises(ValidationError) as error:
        booking.plan_book(plan=plan, placements=later, now=NOW)
    assert error.value.messages == [booking.PROPOSAL_STALE]
