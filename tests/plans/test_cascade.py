"""A session held late or early: the later appointments move by the same delay, all or none.

Plans of the seed protocol start on Monday 7 December 2026 and are booked whole (the
fortnightly sessions on Mondays, 10:00). Session 1 is held on Thursday 10 December, three
days late; the re-plan moves every later window by three days.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicSettings, OpeningHours
from plans import availability, booking, services
from plans.models import Appointment, Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 12, 7)
THURSDAY = MONDAY + timedelta(days=3)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def local(instant: datetime) -> datetime:
    return timezone.localtime(instant, PARIS)


@pytest.fixture
def clinic(db, clock):
    clock.set(at(MONDAY - timedelta(days=4), 10))
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 0, 15
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    return settings


@pytest.fixture
def dr_martin(clinic):
    return factories.make_clinician()


@pytest.fixture
def room(clinic):
    return factories.make_room("Room 1")


def booked_plan(clinician, room, text=None, hour=10, count=4):
    """A plan whose first `count` required sessions are booked on their due days at
    `hour` (sessions 1, 2, 3 and 6 of the seed protocol: Mondays)."""
    patient = factories.make_patient()
    factories.make_screening(patient, clinician, screened_on=date(2026, 11, 20))
    protocol = factories.make_protocol(text) if text else factories.make_protocol()
    plan = factories.make_plan(
        patient=patient, protocol=protocol, clinician=clinician, start_date=MONDAY
    )
    for session in plan.sessions.filter(optional=False).order_by("number")[:count]:
        due = at(session.due, hour)
        assert due.weekday() == 0
        booking.appointment_book(session=session, starts_at=due, clinician=clinician, room=room)
    return plan


def hold_first(plan, clinician, day: date):
    clock_now = at(day, 18)
    return services.session_mark_done(
        session=plan.sessions.get(number=1),
        held_at=at(day, 10),
        areas=[factories.make_area()],
        now=clock_now,
        by=clinician.user,
    )


def starts(plan) -> dict[int, datetime]:
    return {
        a.session.number: local(a.starts_at)
        for a in Appointment.objects.filter(session__plan=plan, status=Appointment.Status.BOOKED)
        .select_related("session")
        .order_by("session__number")
    }


def test_held_three_days_late_every_later_appointment_moves_three_days_at_its_time(
    clinic, clock, dr_martin, room
):
    plan = booked_plan(dr_martin, room)
    before = starts(plan)
    clock.set(at(THURSDAY, 18))
    done = hold_first(plan, dr_martin, THURSDAY)
    assert done.outside, "three days late moves the fortnightly windows after it"

    cascade = availability.cascade_propose(plan=plan, now=clock.now)

    assert cascade.delay_days == 3
    assert cascade.failures == []
    proposed = {a.session.number: local(slot.start) for a, slot in cascade.moves}
    # The fortnightly sessions move three days, at the same time of day, with the same
    # clinician and room; session 6, monthly, still sits in its wider window and stays.
    assert proposed == {n: before[n] + timedelta(days=3) for n in (2, 3)}
    assert before[6] == at(date(2027, 3, 1), 10)
    assert {(slot.clinician_id, slot.room_id) for _, slot in cascade.moves} == {
        (dr_martin.pk, room.pk)
    }
    assert all(slot.in_window for _, slot in cascade.moves)

    moved = booking.plan_move_all(
        plan=plan,
        moves=[(a.pk, a.starts_at, slot) for a, slot in cascade.moves],
        now=clock.now,
    )

    assert len(moved) == len(cascade.moves)
    assert starts(plan) == {**proposed, 6: before[6]}
    for appointment in Appointment.objects.filter(
        session__plan=plan, status=Appointment.Status.BOOKED
    ).select_related("session"):
        session = appointment.session
        assert session.holds(local(appointment.starts_at).date()), session.number
        assert not appointment.outside_window
    assert availability.cascade_propose(plan=plan, now=clock.now).moves == []


def test_a_taken_target_time_gives_the_nearest_free_time_that_day(clinic, clock, dr_martin, room):
    other = booked_plan(dr_martin, room)
    plan = booked_plan(dr_martin, room, hour=11)
    # The other patient already holds Thursday 24 December 10:00-10:45 and 11:00.
    second = other.sessions.get(number=2)
    blocker = Appointment.objects.get(session=second)
    blocker.starts_at, blocker.ends_at = at(date(2026, 12, 24), 11), at(date(2026, 12, 24), 11, 45)
    blocker.blocks_until = blocker.ends_at
    blocker.save()
    clock.set(at(THURSDAY, 18))
    hold_first(plan, dr_martin, THURSDAY)

    cascade = availability.cascade_propose(plan=plan, now=clock.now)

    session_two = next(slot for a, slot in cascade.moves if a.session.number == 2)
    # 11:00 is taken; 11:45 and 10:15 are as near; the earlier of the two nearest wins.
    assert local(session_two.start) == at(date(2026, 12, 24), 10, 15)


def test_one_move_that_fails_moves_none(clinic, clock, dr_martin, room):
    plan = booked_plan(dr_martin, room)
    before = starts(plan)
    clock.set(at(THURSDAY, 18))
    hold_first(plan, dr_martin, THURSDAY)
    cascade = availability.cascade_propose(plan=plan, now=clock.now)
    assert len(cascade.moves) == 2
    # Meanwhile another patient is booked at the second proposed time.
    _, taken = cascade.moves[1]
    stranger = factories.make_plan(clinician=dr_martin, start_date=local(taken.start).date())
    factories.make_screening(stranger.patient, dr_martin, screened_on=date(2026, 11, 20))
    booking.appointment_book(
        session=stranger.sessions.get(number=1),
        starts_at=taken.start,
        clinician=dr_martin,
        room=room,
        now=clock.now,
    )

    with pytest.raises(ValidationError) as refused:
        booking.plan_move_all(
            plan=plan,
            moves=[(a.pk, a.starts_at, slot) for a, slot in cascade.moves],
            now=clock.now,
        )

    assert booking.SLOT_TAKEN in str(refused.value)
    assert {n: t for n, t in starts(plan).items() if n > 1} == {
        n: t for n, t in before.items() if n > 1
    }


def test_an_appointment_moved_meanwhile_makes_the_proposal_stale(clinic, clock, dr_martin, room):
    plan = booked_plan(dr_martin, room)
    clock.set(at(THURSDAY, 18))
    hold_first(plan, dr_martin, THURSDAY)
    cascade = availability.cascade_propose(plan=plan, now=clock.now)
    first, slot = cascade.moves[0]
    booking.appointment_move(
        appointment=first, starts_at=slot.start, clinician=dr_martin, room=room, now=clock.now
    )
    later = starts(plan)

    with pytest.raises(ValidationError) as refused:
        booking.plan_move_all(
            plan=plan,
            moves=[(a.pk, a.starts_at, slot) for a, slot in cascade.moves],
            now=clock.now,
        )

    assert booking.PROPOSAL_STALE in str(refused.value)
    assert starts(plan) == later


def test_weekly_sessions_a_week_late_each_lands_where_its_successor_was(
    clinic, clock, dr_martin, room
):
    plan = booked_plan(dr_martin, room, text="every 1 week for 6 weeks", count=6)
    before = starts(plan)
    held = MONDAY + timedelta(days=7)  # a week late, on the day session 2 was booked
    Appointment.objects.filter(session__plan=plan, session__number=2).delete()
    Session.objects.filter(plan=plan, number=2).update(status=Session.Status.TO_BOOK)
    clock.set(at(held, 18))
    hold_first(plan, dr_martin, held)

    cascade = availability.cascade_propose(plan=plan, now=clock.now)
    assert cascade.delay_days == 7
    proposed = {a.session.number: local(slot.start) for a, slot in cascade.moves}
    assert proposed == {n: t + timedelta(days=7) for n, t in before.items() if n > 2}

    booking.plan_move_all(
        plan=plan,
        moves=[(a.pk, a.starts_at, slot) for a, slot in cascade.moves],
        now=clock.now,
    )

    assert starts(plan) == proposed


def test_the_done_page_leads_to_the_proposal_and_one_click_moves_them_all(
    clinic, clock, client, dr_martin, room
):
    plan = booked_plan(dr_martin, room)
    clock.set(at(THURSDAY, 18))
    client.force_login(dr_martin.user)
    session = plan.sessions.get(number=1)
    area = factories.make_area()

    response = client.post(
        reverse("session_done", args=[session.pk]),
        {"held_at": "2026-12-10 10:00", "areas": [area.pk]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("plan_move_later", args=[plan.pk])
    html = response.content.decode()
    assert "held 3 days after its due day" in html
    assert "now booked outside their new windows" in html
    assert "Thu 24 Dec 2026, 10:00" in html  # session 2, Monday 21 + 3 days
    page = response.context
    form = {
        "appointment": [a.pk for a, *_ in page["rows"]],
        "was": [a.starts_at.isoformat() for a, *_ in page["rows"]],
        "starts_at": [slot.start.isoformat() for _, slot, *_ in page["rows"]],
        "clinician": [slot.clinician_id for _, slot, *_ in page["rows"]],
        "room": [slot.room_id for _, slot, *_ in page["rows"]],
    }

    moved = client.post(reverse("plan_move_later", args=[plan.pk]), form, follow=True)

    assert moved.redirect_chain[-1][0] == reverse("plan_detail", args=[plan.pk])
    assert "moved." in moved.content.decode()
    assert local(Appointment.objects.get(session__plan=plan, session__number=2).starts_at) == (
        at(date(2026, 12, 24), 10)
    )
    assert "now fall outside their new windows" not in moved.content.decode()


def test_a_receptionist_may_move_them_but_not_a_stranger_to_the_clinic(
    clinic, clock, client, dr_martin, room, receptionist
):
    plan = booked_plan(dr_martin, room)
    clock.set(at(THURSDAY, 18))
    hold_first(plan, dr_martin, THURSDAY)
    client.force_login(receptionist)
    assert client.get(reverse("plan_move_later", args=[plan.pk])).status_code == 200
    client.force_login(factories.make_user())
    assert client.get(reverse("plan_move_later", args=[plan.pk])).status_code == 403
