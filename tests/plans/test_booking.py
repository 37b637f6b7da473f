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
from plans import availability, booking, safety, services, slots
from plans.models import Appointment, Session
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
    found = availability.slot_search(session=first(plan), now=NOW)
    assert found.reason is None
    assert found.slots[0].start == at(MONDAY, 9)
    assert found.slots[0].clinician_id == dr_martin.pk
    assert found.slots[0].room_id == room.pk
    assert all(slot.in_window for slot in found.slots)


def test_slots_are_closest_to_the_due_date_first(plan):
    found = availability.slot_search(session=first(plan, 2), now=NOW, limit=200)
    days = [slot.start.astimezone(PARIS).date() for slot in found.slots]
    due = first(plan, 2).due
    distances = [abs((day - due).days) for day in days]
    assert distances == sorted(distances)
    assert days[0] == due


def test_booked_time_and_buffer_are_not_offered_again(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    found = availability.slot_search(session=first(other), now=NOW)
    # 45 minutes plus a 15-minute buffer: the next start is 10:00.
    assert found.slots[0].start == at(MONDAY, 10)


def test_same_clinician_cannot_be_booked_twice(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=first(other),
            starts_at=at(MONDAY, 9, 30),
            clinician=dr_martin,
            room=factories.make_room(),
            now=NOW,
        )
    assert error.value.messages == [booking.SLOT_TAKEN]
    assert first(other).status == Session.Status.TO_BOOK


def test_same_patient_cannot_be_in_two_rooms(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    second_plan = factories.make_plan(
        patient=plan.patient, protocol=plan.protocol, clinician=dr_martin, start_date=MONDAY
    )
    other_doctor = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Marco", last_name="Rossi")
    )
    with pytest.raises(ValidationError):
        booking.appointment_book(
            session=first(second_plan),
            starts_at=at(MONDAY, 9),
            clinician=other_doctor,
            room=factories.make_room(),
            now=NOW,
        )


def test_clinician_outside_working_hours_is_refused(plan, dr_martin, room):
    # The clinic is open until 19:00, Dr Martin works until 18:00.
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 18), clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.message_dict["starts_at"] == [
        booking.NOT_WORKING.format(clinician=dr_martin, start=at(MONDAY, 18), end=at(MONDAY, 19))
    ]
    assert not Appointment.objects.exists()


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
    found = availability.slot_search(session=first(plan), now=NOW)
    assert {slot.room_id for slot in found.slots} == {equipped.pk}
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=plain, now=NOW
        )
    assert "room" in error.value.message_dict


def test_no_clinician_with_the_method_is_explained(clinic, room):
    doctor = factories.make_clinician(methods=[])
    plan = factories.make_plan(patient=screened_patient(doctor), clinician=doctor)
    found = availability.slot_search(session=first(plan), now=NOW)
    assert found.slots == ()
    assert found.reason == slots.NO_CLINICIAN


def test_closed_window_offers_the_nearest_days_outside_it(plan):
    # The first session's window is 5-7 January (±2 days).
    Closure.objects.create(name="Holiday", first_day=MONDAY, last_day=date(2026, 1, 7))
    found = availability.slot_search(session=first(plan), now=NOW)
    assert found.reason == slots.CLOSED
    assert found.slots and not any(slot.in_window for slot in found.slots)
    assert found.slots[0].start.astimezone(PARIS).date() == date(2026, 1, 8)


def test_time_off_removes_the_clinicians_hours(plan, dr_martin):
    TimeOff.objects.create(clinician=dr_martin, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 12))
    found = availability.slot_search(session=first(plan), now=NOW)
    assert found.slots[0].start == at(MONDAY, 12)


def test_patient_preferences_are_honoured(plan):
    plan.preferred_weekdays, plan.preferred_after = "1", time(17)
    plan.save()
    found = availability.slot_search(session=first(plan, 2), now=NOW, limit=50)
    assert found.slots
    for slot in found.slots:
        local = slot.start.astimezone(PARIS)
        assert local.weekday() == 1 and local.time() >= time(17)


def test_spacing_from_the_previous_booking_is_kept(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    found = availability.slot_search(session=first(plan, 2), now=NOW, limit=500)
    # every 2 weeks ±2 days: not before 17 January.
    assert min(slot.start for slot in found.slots).astimezone(PARIS).date() >= date(2026, 1, 17)


def test_contraindication_blocks_booking_until_an_override_is_recorded(dr_martin, room):
    Contraindication.objects.create(code="anticoagulants", name="Anticoagulant therapy")
    plan = factories.make_plan(
        patient=screened_patient(dr_martin, anticoagulants=True), clinician=dr_martin
    )
    with pytest.raises(safety.Refusal) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    # Why is for clinicians; what anyone else reads of it names whom to ask.
    assert "Anticoagulant therapy" in error.value.clinical
    assert error.value.messages == [safety.NEEDS_REVIEW.format(clinician=dr_martin)]
    services.plan_record_override(
        plan=plan, clinician=dr_martin, reason="INR stable, haematologist agrees."
    )
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    assert first(plan).status == Session.Status.BOOKED


def test_unscreened_patient_cannot_be_booked(dr_martin, room):
    plan = factories.make_plan(clinician=dr_martin)
    with pytest.raises(safety.Refusal) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.clinical == safety.NOT_SCREENED


def test_whole_plan_is_proposed_then_booked_with_the_same_doctor(plan, dr_martin, room):
    proposal = availability.plan_propose(plan=plan, now=NOW)
    assert proposal.failures == []
    assert [s.number for s, _ in proposal.placements] == [1, 2, 3, 4, 5, 6]
    assert not Appointment.objects.exists()
    booked = booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    assert len(booked) == 6
    assert {a.clinician_id for a in booked} == {dr_martin.pk}
    assert set(plan.sessions.values_list("status", flat=True)) == {Session.Status.BOOKED}
    days = [a.starts_at.astimezone(PARIS).date() for a in booked]
    for appointment, day in zip(booked, days, strict=True):
        assert appointment.session.earliest <= day <= appointment.session.latest
        assert not appointment.outside_window
    assert all((b - a).days >= 12 for a, b in itertools.pairwise(days))


def test_whole_plan_is_all_or_nothing(plan, dr_martin, room):
    proposal = availability.plan_propose(plan=plan, now=NOW)
    _, third_slot = proposal.placements[2]
    intruder = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=third_slot.start.astimezone(PARIS).date(),
    )
    booking.appointment_book(
        session=first(intruder), starts_at=third_slot.start, clinician=dr_martin, room=room, now=NOW
    )
    with pytest.raises(ValidationError):
        booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    assert not plan.sessions.filter(status=Session.Status.BOOKED).exists()
    assert not Appointment.objects.filter(session__plan=plan).exists()


def test_sessions_that_cannot_be_placed_are_listed_with_the_reason(plan):
    # Session 2's window is 17-21 January; closed from 8 January to 4 February, not even
    # the fortnight either side of it has a day open.
    Closure.objects.create(
        name="Winter break", first_day=date(2026, 1, 8), last_day=date(2026, 2, 4)
    )
    proposal = availability.plan_propose(plan=plan, now=NOW)
    assert [(s.number, reason) for s, reason in proposal.failures] == [(2, slots.CLOSED)]
    assert [s.number for s, _ in proposal.placements] == [1, 3, 4, 5, 6]


def test_a_closed_window_places_the_session_just_after_it_once_confirmed(plan):
    # Session 2's window (17-21 January) is closed: it goes to the first open day after,
    # marked outside its window, and the whole plan books only once that is confirmed.
    Closure.objects.create(
        name="Winter break", first_day=date(2026, 1, 15), last_day=date(2026, 1, 24)
    )
    proposal = availability.plan_propose(plan=plan, now=NOW)
    assert proposal.failures == []
    placed = {s.number: slot for s, slot in proposal.placements}
    assert placed[2].start.astimezone(PARIS).date() == date(2026, 1, 26)
    assert not placed[2].in_window
    outside = [s.number for s, _ in proposal.outside]
    assert 2 in outside
    with pytest.raises(ValidationError) as error:
        booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    assert error.value.messages == [
        booking.OUTSIDE_NEEDS_CONFIRMATION.format(numbers=", ".join(map(str, outside)))
    ]
    assert not Appointment.objects.exists()
    booked = booking.plan_book(
        plan=plan, placements=proposal.placements, now=NOW, confirm_outside=True
    )
    assert sorted(a.session.number for a in booked if a.outside_window) == outside


def test_reschedule_lists_later_bookings_now_too_close(plan, dr_martin, room):
    proposal = availability.plan_propose(plan=plan, now=NOW)
    booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    second = first(plan, 2).appointments.get()
    third_day = first(plan, 3).appointments.get().starts_at.astimezone(PARIS).date()
    moved_to = at(third_day - timedelta(days=5), 10)
    moved = booking.appointment_move(
        appointment=second,
        starts_at=moved_to,
        clinician=dr_martin,
        room=room,
        now=NOW,
        confirm_outside=True,
    )
    second.refresh_from_db()
    assert second.starts_at == moved_to
    assert [n.number for n in moved.conflicts] == [3]
    # Reported, not moved.
    assert first(plan, 3).appointments.get().starts_at.astimezone(PARIS).date() == third_day


def test_cancel_keeps_the_session_and_frees_its_slot(plan, dr_martin, room):
    appointment = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    services.appointment_cancel(appointment=appointment, reason="Patient has a cold")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert appointment.reason == "Patient has a cold"
    assert first(plan).status == Session.Status.TO_BOOK
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    assert availability.slot_search(session=first(other), now=NOW).slots[0].start == at(MONDAY, 9)


def test_closure_over_bookings_flags_them_without_moving_them(plan, dr_martin, room):
    appointment = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    Closure.objects.create(name="Burst pipe", first_day=MONDAY, last_day=MONDAY)
    appointment.refresh_from_db()
    assert appointment.needs_rebooking
    assert appointment.starts_at == at(MONDAY, 9)
    assert appointment.status == Appointment.Status.BOOKED
    assert first(plan).status == Session.Status.BOOKED


def test_time_off_over_bookings_flags_only_that_clinicians(plan, dr_martin, room):
    appointment = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    other = factories.make_clinician(
        user=factories.make_user("Clinician", first_name="Linh", last_name="Nguyen")
    )
    TimeOff.objects.create(clinician=other, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 19))
    appointment.refresh_from_db()
    assert not appointment.needs_rebooking
    TimeOff.objects.create(clinician=dr_martin, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 10))
    appointment.refresh_from_db()
    assert appointment.needs_rebooking


def test_booking_in_the_past_is_refused(plan, dr_martin, room):
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=first(plan),
            starts_at=at(MONDAY, 9),
            clinician=dr_martin,
            room=room,
            now=at(MONDAY, 12),
        )
    assert error.value.message_dict["starts_at"] == [booking.IN_THE_PAST]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_postgresql_refuses_overlaps_even_past_the_application(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    sneaky = Appointment(
        session=first(plan, 2),
        patient=plan.patient,
        starts_at=at(MONDAY, 9, 30),
        ends_at=at(MONDAY, 10, 15),
        blocks_until=at(MONDAY, 10, 15),
        clinician=dr_martin,
        room=factories.make_room(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        sneaky.save()


def make_history(dr_martin, room, weeks: int) -> None:
    """Booked appointments of other patients, one a day at 17:00, for `weeks` weeks."""
    protocol = factories.make_protocol("daily for 6 months")
    for week in range(weeks):
        other = factories.make_plan(
            patient=screened_patient(dr_martin),
            protocol=protocol,
            clinician=dr_martin,
            start_date=MONDAY + timedelta(weeks=week),
        )
        rows = list(other.sessions.order_by("number")[:5])
        Appointment.objects.bulk_create(
            Appointment(
                session=session,
                patient_id=session.patient_id,
                starts_at=at(session.due, 17),
                ends_at=at(session.due, 17) + timedelta(minutes=45),
                blocks_until=at(session.due, 17) + timedelta(minutes=45),
                clinician=dr_martin,
                room=room,
            )
            for session in rows
        )
        Session.objects.filter(pk__in=[s.pk for s in rows]).update(status=Session.Status.BOOKED)


@pytest.mark.parametrize("weeks", [1, 8])
def test_slot_search_queries_do_not_grow_with_bookings(
    plan, dr_martin, room, weeks, django_assert_max_num_queries
):
    make_history(dr_martin, room, weeks)
    session = first(plan, 3)
    # 15: the new model reads the steps and their appointments in two queries (was 14).
    with django_assert_max_num_queries(15):
        availability.slot_search(session=session, now=NOW)


@pytest.mark.parametrize("weeks", [1, 8])
def test_plan_booking_queries_do_not_grow_with_bookings(
    plan, dr_martin, room, weeks, django_assert_max_num_queries
):
    make_history(dr_martin, room, weeks)
    # 21: the consent forms in force, read with the other safety checks (was 20).
    with django_assert_max_num_queries(21):
        proposal = availability.plan_propose(plan=plan, now=NOW)
    assert len(proposal.placements) == 6


def test_override_does_not_cover_a_later_screening(dr_martin, room, clock):
    patient = screened_patient(dr_martin, anticoagulants=True)
    plan = factories.make_plan(patient=patient, clinician=dr_martin)
    services.plan_record_override(plan=plan, clinician=dr_martin, reason="INR stable.")
    clock.set(clock.now + timedelta(hours=1))
    factories.make_screening(patient, dr_martin, screened_on=date(2026, 2, 1), pregnant=True)
    with pytest.raises(safety.Refusal) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert "Pregnancy" in error.value.clinical


def test_a_product_contraindication_applies_whatever_the_method(dr_martin, room):
    edp = factories.make_method("Electrodermoporation")
    epilepsy = Contraindication.objects.create(code="epilepsy", name="Epilepsy")
    epilepsy.methods.set([edp])
    product = Product.objects.create(name="Stimulating cocktail", category="vitamins")
    product.contraindications.set([epilepsy])
    plan = factories.make_plan(
        patient=screened_patient(dr_martin, epilepsy=True), clinician=dr_martin
    )
    assert safety.contraindications(plan, safety.latest_screening(plan.patient_id)) == []
    plan.products.add(product)
    assert safety.contraindications(plan, safety.latest_screening(plan.patient_id)) == ["Epilepsy"]


def test_an_allergy_to_a_plan_product_forbids_booking(dr_martin, room):
    product = Product.objects.create(name="HA 1.35%", category="hyaluronic_acid")
    patient = screened_patient(dr_martin)
    patient.screenings.get().allergic_to.add(product)
    plan = factories.make_plan(patient=patient, clinician=dr_martin, products=[product])
    with pytest.raises(safety.Refusal) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert "Allergy" in error.value.clinical


def test_a_stopped_plan_cannot_be_rescheduled(plan, dr_martin, room):
    appointment = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    plan.status = plan.Status.STOPPED
    plan.save()
    with pytest.raises(ValidationError):
        booking.appointment_move(
            appointment=appointment,
            starts_at=at(MONDAY, 11),
            clinician=dr_martin,
            room=room,
            now=NOW,
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, 9)


def test_a_clinician_may_book_outside_the_patients_preferences(plan, dr_martin, room):
    plan.preferred_after = time(17)
    plan.save()
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 10), clinician=dr_martin, room=room, now=NOW
    )
    assert first(plan).status == Session.Status.BOOKED


def test_an_overdue_session_gets_the_first_free_times_from_today(plan):
    today = date(2026, 2, 2)
    found = availability.slot_search(session=first(plan), now=at(today, 8))
    assert found.reason == availability.OVERDUE
    assert found.slots[0].start == at(today, 9)
    assert not any(slot.in_window for slot in found.slots)


def test_a_late_patient_can_still_be_recorded_as_done(plan, dr_martin, room):
    booked = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 10), clinician=dr_martin, room=room, now=NOW
    ).appointment
    done = services.session_mark_done(session=first(plan), held_at=at(MONDAY, 10, 40))
    assert done.appointment.pk == booked.pk
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.DONE
    assert booked.starts_at == at(MONDAY, 10, 40)
    assert first(plan).status == Session.Status.DONE


def test_a_session_marked_done_early_still_holds_the_room(plan, dr_martin, room):
    booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    )
    services.session_mark_done(session=first(plan), held_at=at(MONDAY, 9))
    other = factories.make_plan(
        patient=screened_patient(dr_martin),
        protocol=plan.protocol,
        clinician=dr_martin,
        start_date=MONDAY,
    )
    assert availability.slot_search(session=first(other), now=NOW).slots[0].start == at(MONDAY, 10)


def test_a_proposal_made_before_a_replan_is_refused(plan, dr_martin, room):
    proposal = availability.plan_propose(plan=plan, now=NOW)
    later = [(s, slot) for s, slot in proposal.placements if s.number > 1]
    services.session_mark_done(session=first(plan), held_at=at(MONDAY, 9))
    Session.objects.filter(plan=plan, number=2).update(
        due=date(2026, 1, 20), latest=date(2026, 1, 22)
    )
    with pytest.raises(ValidationError) as error:
        booking.plan_book(plan=plan, placements=later, now=NOW)
    assert error.value.messages == [booking.PROPOSAL_STALE]


def test_a_typed_time_outside_the_window_needs_confirming_and_is_recorded(plan, dr_martin, room):
    # The first session's window is 3-7 January; Thursday 8 January is one day after it.
    session = first(plan)
    thursday = at(date(2026, 1, 8), 9)
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=session, starts_at=thursday, clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.messages == [
        booking.OUTSIDE_WINDOW.format(
            when=thursday,
            label=availability.outside_label(1),
            earliest=session.earliest,
            latest=session.latest,
        )
    ]
    assert error.value.error_list[0].code == "outside_window"
    assert "1 day after its window" in error.value.messages[0]
    assert not Appointment.objects.exists()
    assert first(plan).status == Session.Status.TO_BOOK

    booked = booking.appointment_book(
        session=session,
        starts_at=thursday,
        clinician=dr_martin,
        room=room,
        now=NOW,
        confirm_outside=True,
    ).appointment
    booked.refresh_from_db()
    assert booked.outside_window
    assert booked.starts_at == thursday
    assert first(plan).status == Session.Status.BOOKED


def test_a_time_inside_the_window_is_not_marked_outside(plan, dr_martin, room):
    booked = booking.appointment_book(
        session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    booked.refresh_from_db()
    assert not booked.outside_window


def test_a_cancelled_step_is_offered_again_and_rebooked_keeps_the_first_on_record(
    plan, dr_martin, room
):
    session = first(plan)
    window = (session.earliest, session.due, session.latest)
    cancelled = booking.appointment_book(
        session=session, starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
    ).appointment
    services.appointment_cancel(appointment=cancelled, reason="Patient has a cold")

    again = first(plan)
    assert again.status == Session.Status.TO_BOOK
    assert (again.number, again.earliest, again.due, again.latest) == (1, *window)
    found = availability.slot_search(session=again, now=NOW)
    assert found.reason is None
    assert found.slots[0].start == at(MONDAY, 9)
    assert all(slot.in_window for slot in found.slots)

    rebooked = booking.appointment_book(
        session=again, starts_at=at(MONDAY, 11), clinician=dr_martin, room=room, now=NOW
    ).appointment
    assert first(plan).status == Session.Status.BOOKED
    history = list(again.appointments.order_by("pk").values_list("pk", "status", "reason"))
    assert history == [
        (cancelled.pk, Appointment.Status.CANCELLED_BY_PATIENT, "Patient has a cold"),
        (rebooked.pk, Appointment.Status.BOOKED, ""),
    ]
    assert plan.sessions.count() == 6


def test_booking_when_the_clinic_is_closed_names_the_closure(plan, dr_martin, room):
    Closure.objects.create(name="Burst pipe", first_day=MONDAY, last_day=MONDAY)
    with pytest.raises(ValidationError) as error:
        booking.appointment_book(
            session=first(plan), starts_at=at(MONDAY, 9), clinician=dr_martin, room=room, now=NOW
        )
    assert error.value.message_dict["starts_at"] == [
        booking.CLOSED.format(day=at(MONDAY, 9), name="Burst pipe")
    ]
    assert "Burst pipe" in error.value.message_dict["starts_at"][0]
    assert not Appointment.objects.exists()
    assert first(plan).status == Session.Status.TO_BOOK
