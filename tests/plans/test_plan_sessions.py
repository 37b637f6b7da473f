"""A saved plan carries its dated sessions, and follows what actually happens."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clinic.models import ClinicSettings, Product, ProductBatch
from plans import engine, selectors, services
from plans.models import CANCEL_NEEDS_REASON, Appointment, Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
FIRST_EXAMPLE = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"
pytestmark = pytest.mark.django_db


def dues(plan):
    return [s.due for s in plan.sessions.order_by("number")]


def windows(plan):
    return [(s.number, s.due, s.earliest, s.latest) for s in plan.sessions.order_by("number")]


def with_clinic_tolerance(text):
    """The phases of `text` as a new plan copies them: each unwritten tolerance the clinic's."""
    percent = ClinicSettings.load().default_tolerance_percent
    return engine.with_default_tolerance(engine.parse_protocol(text), percent)


def appointment_state(appointment):
    appointment.refresh_from_db()
    return (
        appointment.starts_at,
        appointment.status,
        appointment.needs_rebooking,
        appointment.outside_window,
    )


def test_saving_a_plan_writes_the_engine_sessions():
    plan = factories.make_plan(protocol=factories.make_protocol(FIRST_EXAMPLE))
    expected = engine.expand(with_clinic_tolerance(FIRST_EXAMPLE), date(2026, 1, 5))
    rows = list(plan.sessions.order_by("number"))
    assert [(s.number, s.phase, s.due, s.earliest, s.latest, s.optional) for s in rows] == [
        (w.number, w.phase, w.due, w.earliest, w.latest, w.optional) for w in expected
    ]
    assert dues(plan)[:5] == [
        date(2026, 1, 5),
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
        date(2026, 3, 2),
    ]
    assert [s.optional for s in rows[:5]] == [False, False, False, True, True]
    # "every 2 weeks" is ±2 days by the clinic's default tolerance.
    assert (rows[1].earliest, rows[1].latest) == (date(2026, 1, 17), date(2026, 1, 21))
    assert {s.status for s in rows} == {Session.Status.TO_BOOK}


def test_moving_the_start_before_booking_rewrites_the_sessions():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    plan.start_date = date(2026, 2, 2)
    plan.save()
    services.plan_write_sessions(plan=plan, copy_protocol=False)
    assert dues(plan) == [date(2026, 2, 2) + timedelta(weeks=2 * k) for k in range(6)]


def test_start_cannot_move_once_a_session_is_done():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS)
    )
    assert not services.plan_can_change_dates(plan)
    with pytest.raises(ValidationError) as error:
        services.plan_write_sessions(plan=plan, copy_protocol=False)
    assert error.value.messages == [services.PLAN_HAS_BOOKINGS]


def test_late_session_pushes_the_next_ones():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    session = plan.sessions.get(number=1)
    services.session_mark_done(session=session, held_at=datetime(2026, 1, 9, 10, tzinfo=PARIS))
    assert plan.sessions.get(number=2).due == date(2026, 1, 23)
    assert plan.sessions.count() == 6


def test_booking_outside_its_new_window_is_listed_and_kept():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    second = plan.sessions.get(number=2)
    appointment = factories.book(
        second, datetime(2026, 1, 19, 10, tzinfo=PARIS), plan.clinician, factories.make_room()
    )
    done = services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 12, 10, tzinfo=PARIS)
    )
    second.refresh_from_db()
    assert done.appointment.status == Appointment.Status.DONE
    assert second.due == date(2026, 1, 26)
    assert not second.holds(date(2026, 1, 19))
    assert done.outside == [appointment]
    # Listed for the plan page to propose a move; the booking itself is left as it was.
    assert appointment_state(appointment) == (
        datetime(2026, 1, 19, 10, tzinfo=PARIS),
        Appointment.Status.BOOKED,
        False,
        False,
    )
    assert second.status == Session.Status.BOOKED


def test_a_session_cannot_be_done_in_the_future():
    plan = factories.make_plan()
    now = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=1), held_at=now + timedelta(minutes=1), now=now
        )
    assert error.value.message_dict["held_at"] == [services.DONE_IN_FUTURE]
    assert not Appointment.objects.filter(session__plan=plan).exists()
    done = services.session_mark_done(session=plan.sessions.get(number=1), held_at=now, now=now)
    assert done.appointment.status == Appointment.Status.DONE
    assert done.appointment.starts_at == now


def test_a_session_booked_later_today_may_be_recorded_at_its_booked_time():
    clinician = factories.make_clinician()
    plan = factories.make_plan(clinician=clinician)
    now = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
    booked_at = datetime(2026, 1, 5, 16, 30, tzinfo=PARIS)
    first, second = plan.sessions.get(number=1), plan.sessions.get(number=2)
    factories.book(first, booked_at, clinician, factories.make_room())
    for ahead in (booked_at + timedelta(minutes=5), booked_at - timedelta(hours=1)):
        with pytest.raises(ValidationError) as error:  # not its booked time: refused
            services.session_mark_done(session=first, held_at=ahead, now=now)
        assert error.value.message_dict["held_at"] == [services.DONE_IN_FUTURE]

    done = services.session_mark_done(session=first, held_at=booked_at, now=now)

    assert (done.appointment.status, done.appointment.starts_at) == (
        Appointment.Status.DONE,
        booked_at,
    )
    # Booked for tomorrow: still ahead of its day, refused even at its booked time.
    tomorrow = booked_at + timedelta(days=14)
    factories.book(second, tomorrow, clinician, factories.make_room())
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=second, held_at=tomorrow, now=tomorrow - timedelta(days=1)
        )
    assert error.value.message_dict["held_at"] == [services.DONE_IN_FUTURE]
    assert plan.sessions.get(number=1).status == Session.Status.DONE


def test_plan_keeps_the_phases_it_was_created_with():
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    plan = factories.make_plan(protocol=protocol)
    services.protocol_set_phases(
        protocol=protocol, phases=engine.parse_protocol("4 sessions monthly")
    )
    protocol.refresh_from_db()
    plan.refresh_from_db()
    assert protocol.version == 2
    assert plan.protocol_version == 1
    # The plan's own copy, with the clinic's default tolerance written out.
    assert engine.render_protocol(plan.phase_values()) == engine.render_protocol(
        with_clinic_tolerance("6 sessions every 2 weeks")
    )
    newer = factories.make_plan(protocol=protocol)
    assert newer.protocol_version == 2
    assert newer.sessions.count() == 4


def test_unchanged_phases_keep_the_version():
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    services.protocol_set_phases(protocol=protocol, phases=protocol.phase_values())
    protocol.refresh_from_db()
    assert protocol.version == 1


def test_protocol_that_expands_too_far_is_refused_with_a_message():
    protocol = factories.make_protocol("daily")
    with pytest.raises(ValidationError) as error:
        factories.make_plan(protocol=protocol)
    assert "start_date" in error.value.message_dict


def test_a_session_cannot_be_held_before_the_previous_one():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 20, 10, tzinfo=PARIS)
    )
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=2), held_at=datetime(2026, 1, 10, 10, tzinfo=PARIS)
        )
    assert error.value.message_dict["held_at"] == [services.HELD_OUT_OF_ORDER]
    assert plan.sessions.get(number=2).status == Session.Status.TO_BOOK
    assert not Appointment.objects.filter(session__plan=plan, session__number=2).exists()


def test_a_missed_session_is_offered_again():
    plan = factories.make_plan(protocol=factories.make_protocol("3 sessions every 2 weeks"))
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS)
    )
    before = windows(plan)
    room = factories.make_room()
    missed = factories.book(
        plan.sessions.get(number=2), datetime(2026, 1, 19, 10, tzinfo=PARIS), plan.clinician, room
    )
    services.appointment_mark_no_show(appointment=missed)
    # The same step is to book again; no session is invented and none renumbered.
    assert windows(plan) == before
    assert [(s.number, s.status) for s in plan.sessions.order_by("number")] == [
        (1, Session.Status.DONE),
        (2, Session.Status.TO_BOOK),
        (3, Session.Status.TO_BOOK),
    ]
    again = factories.book(
        plan.sessions.get(number=2), datetime(2026, 1, 20, 10, tzinfo=PARIS), plan.clinician, room
    )
    assert list(plan.sessions.get(number=2).appointments.order_by("pk")) == [missed, again]
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW


def test_a_session_cannot_be_done_while_an_earlier_one_is_open():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=2), held_at=datetime(2026, 1, 19, 10, tzinfo=PARIS)
        )
    assert error.value.messages == [services.EARLIER_STILL_OPEN.format(number=1)]


def test_optional_sessions_left_behind_are_skipped_as_not_needed():
    plan = factories.make_plan(
        protocol=factories.make_protocol("every 2 weeks, 2-4 sessions, then monthly")
    )
    for number, day in [(1, 5), (2, 19)]:
        services.session_mark_done(
            session=plan.sessions.get(number=number),
            held_at=datetime(2026, 1, day, 10, tzinfo=PARIS),
        )
    first_monthly = plan.sessions.get(number=5)
    services.session_mark_done(
        session=first_monthly, held_at=datetime(2026, 2, 20, 10, tzinfo=PARIS)
    )
    skipped = plan.sessions.filter(number__in=[3, 4])
    assert {s.status for s in skipped} == {Session.Status.SKIPPED}
    assert {s.closed_reason for s in skipped} == {services.OPTIONAL_NOT_NEEDED}
    assert plan.sessions.get(number=6).due == date(2026, 3, 20)


def test_bookings_past_the_new_end_of_the_plan_are_flagged():
    plan = factories.make_plan(protocol=factories.make_protocol("monthly"), horizon_months=2)
    third = plan.sessions.get(number=3)
    appointment = factories.book(
        third, datetime(2026, 3, 5, 10, tzinfo=PARIS), plan.clinician, factories.make_room()
    )
    assert services.plan_replan(plan=plan).outside == []  # nothing done yet: nothing moves
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 10, 10, tzinfo=PARIS)
    )
    third.refresh_from_db()
    appointment.refresh_from_db()
    assert appointment.needs_rebooking
    assert appointment.status == Appointment.Status.BOOKED  # reception calls, then cancels
    assert (third.status, third.closed_reason) == (
        Session.Status.NOT_NEEDED,
        services.PLAN_ENDS_BEFORE,
    )
    assert appointment in selectors.rebooking_worklist()


def test_a_step_past_the_new_end_keeps_its_cancelled_appointment_on_record():
    plan = factories.make_plan(protocol=factories.make_protocol("monthly"), horizon_months=2)
    third = plan.sessions.get(number=3)
    appointment = factories.book(
        third, datetime(2026, 3, 5, 10, tzinfo=PARIS), plan.clinician, factories.make_room()
    )
    services.appointment_cancel(appointment=appointment, reason="Moving house")
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 10, 10, tzinfo=PARIS)
    )
    third.refresh_from_db()
    appointment.refresh_from_db()
    assert (third.status, third.closed_reason) == (
        Session.Status.NOT_NEEDED,
        services.PLAN_ENDS_BEFORE,
    )
    assert (appointment.status, appointment.reason) == (
        Appointment.Status.CANCELLED_BY_PATIENT,
        "Moving house",
    )
    assert appointment not in selectors.rebooking_worklist()


def test_done_session_traces_each_product_to_its_batch():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    product = Product.objects.create(name="HA 1.35%", category="hyaluronic_acid")
    batch = ProductBatch.objects.create(
        product=product, lot_number="L7", expiry_date=date(2026, 6, 1)
    )
    face = factories.make_area("Face")
    done = services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS),
        areas=[face],
        batches=[batch],
        notes="2 ml, grid technique",
        complications="Small bruise under the left eye",
    )
    appointment = Appointment.objects.get(pk=done.appointment.pk)
    assert appointment.session == plan.sessions.get(number=1)
    assert [use.batch for use in appointment.product_uses.all()] == [batch]
    assert list(appointment.areas_treated.all()) == [face]
    assert appointment.notes == "2 ml, grid technique"
    assert appointment.complications == "Small bruise under the left eye"
    assert appointment.clinician == plan.clinician  # held without a booking: the plan's own


def test_an_expired_batch_is_refused_and_nothing_is_recorded():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    product = Product.objects.create(name="Vitamins", category="vitamins")
    old = ProductBatch.objects.create(
        product=product, lot_number="OLD", expiry_date=date(2026, 1, 4)
    )
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=1),
            held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS),
            batches=[old],
        )
    assert "OLD" in error.value.message_dict["batches"][0]
    assert plan.sessions.get(number=1).status == Session.Status.TO_BOOK
    assert not Appointment.objects.filter(session__plan=plan).exists()


def test_patient_preferences_are_kept_on_the_plan():
    plan = factories.make_plan(preferred_weekdays="1", preferred_after=time(17))
    assert plan.preferred_weekday_set == {1}
    assert plan.preferred_after == time(17)


def test_arrival_records_when_the_patient_reached_the_desk():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    appointment = factories.book(
        plan.sessions.get(number=1),
        datetime(2026, 1, 5, 10, tzinfo=PARIS),
        plan.clinician,
        factories.make_room(),
    )
    at_desk = datetime(2026, 1, 5, 9, 52, tzinfo=PARIS)
    services.appointment_mark_arrived(appointment=appointment, now=at_desk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.arrived_at == at_desk
    assert plan.sessions.get(number=1).status == Session.Status.BOOKED
    with pytest.raises(ValidationError) as error:
        services.appointment_mark_arrived(appointment=appointment, now=at_desk)
    assert error.value.messages == [services.ARRIVAL_NOT_BOOKED.format(status="arrived")]


def _course_with_bookings(numbers=(2, 3, 4)):
    """A course of 6 sessions every 2 weeks, session 1 done on its day, `numbers` booked
    at 10:00 on their due dates."""
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS)
    )
    room = factories.make_room()
    booked = {}
    for number in numbers:
        session = plan.sessions.get(number=number)
        starts_at = datetime.combine(session.due, time(10), tzinfo=PARIS)
        booked[number] = factories.book(session, starts_at, plan.clinician, room)
    return plan, booked


def test_cancel_keeps_later_appointments():
    plan, booked = _course_with_bookings()
    before = windows(plan)
    later = {n: appointment_state(booked[n]) for n in (3, 4)}
    with pytest.raises(ValidationError) as error:
        services.appointment_cancel(appointment=booked[2], reason="  ")
    assert error.value.message_dict["reason"] == [CANCEL_NEEDS_REASON]

    services.appointment_cancel(appointment=booked[2], reason="Patient has a cold")

    cancelled = Appointment.objects.get(pk=booked[2].pk)
    assert (cancelled.status, cancelled.reason) == (
        Appointment.Status.CANCELLED_BY_PATIENT,
        "Patient has a cold",
    )
    second = plan.sessions.get(number=2)
    assert second.status == Session.Status.TO_BOOK
    assert list(second.appointments.all()) == [cancelled]
    # Same number, same window; the rest of the course neither moved nor flagged.
    assert windows(plan) == before
    assert {n: appointment_state(booked[n]) for n in (3, 4)} == later
    assert all(state[1:] == (Appointment.Status.BOOKED, False, False) for state in later.values())
    assert plan.sessions.filter(number__in=[3, 4], status=Session.Status.BOOKED).count() == 2
    assert selectors.rebooking_count() == 0
    with pytest.raises(ValidationError) as error:
        services.appointment_cancel(appointment=cancelled, reason="again")
    assert error.value.messages == [services.CANCEL_NOT_OPEN.format(status="cancelled by patient")]


def test_a_cancel_by_the_clinic_says_so():
    plan, booked = _course_with_bookings(numbers=(2,))
    services.appointment_cancel(appointment=booked[2], reason="Laser broken", by_clinic=True)
    booked[2].refresh_from_db()
    assert booked[2].status == Appointment.Status.CANCELLED_BY_CLINIC
    assert plan.sessions.get(number=2).status == Session.Status.TO_BOOK


def test_a_no_show_is_counted_and_the_step_is_to_book_again():
    plan, booked = _course_with_bookings()
    before = windows(plan)
    later = {n: appointment_state(booked[n]) for n in (3, 4)}

    services.appointment_mark_no_show(appointment=booked[2])

    missed = Appointment.objects.get(pk=booked[2].pk)
    assert missed.status == Appointment.Status.NO_SHOW
    assert selectors.no_show_count(plan.patient) == 1
    second = plan.sessions.get(number=2)
    assert second.status == Session.Status.TO_BOOK
    assert list(second.appointments.all()) == [missed]
    assert windows(plan) == before
    assert {n: appointment_state(booked[n]) for n in (3, 4)} == later
    with pytest.raises(ValidationError) as error:
        services.appointment_mark_no_show(appointment=missed)
    assert error.value.messages == [services.NO_SHOW_NOT_BOOKED.format(status="no-show")]
    assert selectors.no_show_count(plan.patient) == 1


def test_a_session_done_3_days_late_recomputes_later_windows_and_lists_the_outside_ones():
    plan, booked = _course_with_bookings()
    assert windows(plan)[1:4] == [
        (2, date(2026, 1, 19), date(2026, 1, 17), date(2026, 1, 21)),
        (3, date(2026, 2, 2), date(2026, 1, 31), date(2026, 2, 4)),
        (4, date(2026, 2, 16), date(2026, 2, 14), date(2026, 2, 18)),
    ]
    # Session 2 is held three days after its due date, in its booked appointment; session
    # 4 was booked late in its window, on 18 Feb.
    for number, day in [(2, date(2026, 1, 22)), (4, date(2026, 2, 18))]:
        Appointment.objects.filter(pk=booked[number].pk).update(
            starts_at=datetime.combine(day, time(10), tzinfo=PARIS),
            ends_at=datetime.combine(day, time(10, 45), tzinfo=PARIS),
            blocks_until=datetime.combine(day, time(11), tzinfo=PARIS),
        )
    done = services.session_mark_done(
        session=plan.sessions.get(number=2), held_at=datetime(2026, 1, 22, 10, tzinfo=PARIS)
    )
    assert done.appointment.pk == booked[2].pk
    assert windows(plan)[2:4] == [
        (3, date(2026, 2, 5), date(2026, 2, 3), date(2026, 2, 7)),
        (4, date(2026, 2, 19), date(2026, 2, 17), date(2026, 2, 21)),
    ]
    # Session 3 (2 Feb) is now before its window; session 4 (18 Feb) is still in its own.
    assert done.outside == [booked[3]]
    assert [a.session.number for a in done.outside] == [3]
    for number in (3, 4):
        assert appointment_state(booked[number])[1:] == (Appointment.Status.BOOKED, False, False)
    # Re-planning again finds the same one, and moves nothing further.
    assert services.plan_replan(plan=plan).outside == [booked[3]]
    assert windows(plan)[2][1] == date(2026, 2, 5)
