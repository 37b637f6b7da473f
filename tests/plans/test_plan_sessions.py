"""A saved plan carries its dated sessions, and follows what actually happens."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clinic.models import Product, ProductBatch
from plans import engine, services
from plans.models import Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
FIRST_EXAMPLE = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months"
pytestmark = pytest.mark.django_db


def dues(plan):
    return [s.due for s in plan.sessions.order_by("number")]


def test_saving_a_plan_writes_the_engine_sessions():
    plan = factories.make_plan(protocol=factories.make_protocol(FIRST_EXAMPLE))
    expected = engine.expand(engine.parse_protocol(FIRST_EXAMPLE), date(2026, 1, 5))
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


def test_booking_outside_its_new_window_is_flagged():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    clinician = plan.clinician
    room = factories.make_room()
    second = plan.sessions.get(number=2)
    second.status = Session.Status.BOOKED
    second.starts_at = datetime(2026, 1, 19, 10, tzinfo=PARIS)
    second.ends_at = second.blocks_until = second.starts_at + timedelta(minutes=45)
    second.clinician, second.room = clinician, room
    second.save()
    flagged = services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 12, 10, tzinfo=PARIS)
    )
    second.refresh_from_db()
    assert flagged.status == Session.Status.DONE
    assert second.due == date(2026, 1, 26)
    assert second.needs_rebooking
    assert second.status == Session.Status.BOOKED


def test_a_session_cannot_be_done_in_the_future():
    plan = factories.make_plan()
    now = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=1), held_at=now + timedelta(minutes=1), now=now
        )
    assert error.value.message_dict["held_at"] == [services.DONE_IN_FUTURE]
    done = services.session_mark_done(session=plan.sessions.get(number=1), held_at=now, now=now)
    assert done.status == Session.Status.DONE


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
    assert engine.render_protocol(plan.phase_values()) == engine.render_protocol(
        engine.parse_protocol("6 sessions every 2 weeks")
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
    assert plan.sessions.get(number=2).status == Session.Status.PLANNED


def test_a_missed_session_is_offered_again():
    plan = factories.make_plan(protocol=factories.make_protocol("3 sessions every 2 weeks"))
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS)
    )
    missed = plan.sessions.get(number=2)
    missed.status = Session.Status.NO_SHOW
    missed.save()
    services.plan_replan(plan=plan)
    assert [(s.number, s.due, s.status) for s in plan.sessions.order_by("number")] == [
        (1, date(2026, 1, 5), Session.Status.DONE),
        (2, date(2026, 1, 19), Session.Status.NO_SHOW),
        (3, date(2026, 1, 19), Session.Status.PLANNED),
        (4, date(2026, 2, 2), Session.Status.PLANNED),
    ]


def test_a_session_cannot_be_done_while_an_earlier_one_is_open():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    with pytest.raises(ValidationError) as error:
        services.session_mark_done(
            session=plan.sessions.get(number=2), held_at=datetime(2026, 1, 19, 10, tzinfo=PARIS)
        )
    assert error.value.messages == [services.EARLIER_STILL_OPEN.format(number=1)]


def test_optional_sessions_left_behind_are_cancelled_as_not_needed():
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
    assert {s.status for s in skipped} == {Session.Status.CANCELLED}
    assert {s.cancel_reason for s in skipped} == {services.OPTIONAL_NOT_NEEDED}
    assert plan.sessions.get(number=6).due == date(2026, 3, 20)


def test_bookings_past_the_new_end_of_the_plan_are_flagged():
    plan = factories.make_plan(protocol=factories.make_protocol("monthly"), horizon_months=2)
    third = plan.sessions.get(number=3)
    factories.book(
        third, datetime(2026, 3, 5, 10, tzinfo=PARIS), plan.clinician, factories.make_room()
    )
    flagged = services.plan_replan(plan=plan)
    assert flagged == []
    services.session_mark_done(
        session=plan.sessions.get(number=1), held_at=datetime(2026, 1, 10, 10, tzinfo=PARIS)
    )
    third.refresh_from_db()
    assert third.needs_rebooking


def test_done_session_traces_each_product_to_its_batch():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    product = Product.objects.create(name="HA 1.35%", category="hyaluronic_acid")
    batch = ProductBatch.objects.create(
        product=product, lot_number="L7", expiry_date=date(2026, 6, 1)
    )
    face = factories.make_area("Face")
    session = services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=datetime(2026, 1, 5, 10, tzinfo=PARIS),
        areas=[face],
        batches=[batch],
        notes="2 ml, grid technique",
        complications="Small bruise under the left eye",
    )
    session.refresh_from_db()
    assert [use.batch for use in session.product_uses.all()] == [batch]
    assert list(session.areas_treated.all()) == [face]
    assert session.complications == "Small bruise under the left eye"


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
    assert plan.sessions.get(number=1).status == Session.Status.PLANNED


def test_patient_preferences_are_kept_on_the_plan():
    plan = factories.make_plan(preferred_weekdays="1", preferred_after=time(17))
    assert plan.preferred_weekday_set == {1}
    assert plan.preferred_after == time(17)


def test_arrival_records_when_the_patient_reached_the_desk():
    plan = factories.make_plan(protocol=factories.make_protocol("6 sessions every 2 weeks"))
    session = factories.book(
        plan.sessions.get(number=1),
        datetime(2026, 1, 5, 10, tzinfo=PARIS),
        plan.clinician,
        factories.make_room(),
    )
    at_desk = datetime(2026, 1, 5, 9, 52, tzinfo=PARIS)
    services.session_mark_arrived(session=session, now=at_desk)
    session.refresh_from_db()
    assert session.status == Session.Status.ARRIVED
    assert session.arrived_at == at_desk
