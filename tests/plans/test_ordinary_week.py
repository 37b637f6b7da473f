"""An ordinary week at the desk, through the services and the receptionist's pages.

Patients on the seed protocol have their plans booked whole; then one cancels, one does
not come, one is seen three days late, the clinic closes a day over two appointments and
the clinician takes time off over one. Afterwards: no appointment sits outside its window
unconfirmed, every step to book can still be booked, the cancelled and missed
appointments are on the record, and reception's rebooking worklist holds exactly the
three appointments the closure and the time off fell on.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicSettings, Closure, OpeningHours, TimeOff
from plans import availability, booking, selectors, services
from plans.models import Appointment, Session
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = date(2026, 12, 3)
MONDAY = date(2026, 12, 7)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def local_day(instant: datetime) -> date:
    return timezone.localtime(instant, PARIS).date()


@pytest.fixture
def clinic(db):
    settings = ClinicSettings.load()
    settings.time_zone, settings.buffer_minutes, settings.slot_grid_minutes = "Europe/Paris", 15, 15
    settings.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(13))
        OpeningHours.objects.create(weekday=weekday, opens=time(14), closes=time(19))
    return settings


def first_appointment(plan, number=1) -> Appointment:
    return Appointment.objects.get(session__plan=plan, session__number=number)


def book_whole(plan, now, by) -> list[Appointment]:
    proposal = availability.plan_propose(plan=plan, now=now)
    assert proposal.failures == []
    return booking.plan_book(
        plan=plan,
        placements=proposal.placements,
        now=now,
        by=by,
        confirm_outside=bool(proposal.outside),
    )


def move_outside_ones(plan, now, by) -> None:
    """What reception does with the appointments a re-planned course left outside their
    new windows: the proposal that moves them all by the same delay, confirmed."""
    cascade = availability.cascade_propose(plan=plan, now=now)
    assert cascade.moves and cascade.failures == []
    booking.plan_move_all(
        plan=plan,
        moves=[(a.pk, a.starts_at, slot) for a, slot in cascade.moves],
        now=now,
        by=by,
        confirm_outside=bool(cascade.outside),
    )


def test_an_ordinary_week(clinic, clock, client, receptionist):
    clock.set(at(THURSDAY, 10))
    dr_martin = factories.make_clinician()
    factories.make_room("Room 1")
    factories.make_room("Room 2")
    protocol = factories.make_protocol(minutes=45)  # the seed protocol
    plans = {}
    for name, start in [
        ("Anne", MONDAY),
        ("Brigitte", MONDAY),
        ("Chloé", MONDAY),
        ("Denise", MONDAY + timedelta(days=1)),
        ("Emma", MONDAY + timedelta(days=2)),
    ]:
        patient = factories.make_patient(first_name=name)
        factories.make_screening(patient, dr_martin, screened_on=date(2026, 11, 20))
        plans[name] = factories.make_plan(
            patient=patient, protocol=protocol, clinician=dr_martin, start_date=start
        )
        assert book_whole(plans[name], clock.now, receptionist)

    # Thursday: Anne phones to cancel Monday's appointment.
    cancelled = services.appointment_cancel(
        appointment=first_appointment(plans["Anne"]), reason="Has the flu", by=receptionist
    )

    # Monday evening: Brigitte did not come.
    clock.set(at(MONDAY, 19, 30))
    missed = first_appointment(plans["Brigitte"])
    services.appointment_mark_no_show(appointment=missed, by=receptionist)

    # Thursday: Chloé, booked on Monday, is seen three days late; the course follows her.
    clock.set(at(MONDAY + timedelta(days=3), 18, 45))
    chloe_first = plans["Chloé"].sessions.get(number=1)
    done = services.session_mark_done(
        session=chloe_first,
        held_at=at(MONDAY + timedelta(days=3), 18),
        areas=[factories.make_area()],
        notes="Seen three days late",
        now=clock.now,
        by=dr_martin.user,
    )
    assert done.outside, "three days late moves the fortnightly windows after it"
    move_outside_ones(plans["Chloé"], clock.now, receptionist)

    # Friday: the clinic closes one day over two appointments, the doctor takes time off
    # over one more.
    clock.set(at(MONDAY + timedelta(days=4), 9))
    live = Appointment.objects.filter(status__in=Appointment.LIVE, starts_at__gte=clock.now)
    by_day: dict[date, list[Appointment]] = {}
    for appointment in live.order_by("starts_at"):
        by_day.setdefault(local_day(appointment.starts_at), []).append(appointment)
    closed_day = next(day for day, day_list in by_day.items() if len(day_list) == 2)
    off_day = next(
        day for day, day_list in by_day.items() if len(day_list) == 1 and day != closed_day
    )
    Closure.objects.create(name="Boiler repair", first_day=closed_day, last_day=closed_day)
    (off,) = by_day[off_day]
    TimeOff.objects.create(
        clinician=dr_martin, starts_at=off.starts_at, ends_at=off.ends_at, reason="Dentist"
    )
    under = {a.pk for a in by_day[closed_day]} | {off.pk}

    # No live appointment outside its window unless someone confirmed it.
    for appointment in Appointment.objects.filter(status__in=Appointment.LIVE).select_related(
        "session"
    ):
        session = appointment.session
        if not session.earliest <= local_day(appointment.starts_at) <= session.latest:
            assert appointment.outside_window, (session.plan_id, session.number)

    # Every step to book still has a way to be booked, and so has every appointment
    # on the worklist.
    to_book = Session.objects.filter(status=Session.Status.TO_BOOK)
    assert to_book.filter(pk__in=[cancelled.session_id, missed.session_id]).count() == 2
    for session in to_book:
        assert availability.slot_search(session=session, now=clock.now, limit=1).slots, (
            session.plan_id,
            session.number,
        )
    for pk in under:
        appointment = Appointment.objects.get(pk=pk)
        assert availability.slot_search(
            session=appointment.session, now=clock.now, limit=1, exclude_appointment=pk
        ).slots

    # The cancelled and the missed appointments are still on the record, their steps
    # to book again with the same number and window.
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.reason) == (
        Appointment.Status.CANCELLED_BY_PATIENT,
        "Has the flu",
    )
    missed.refresh_from_db()
    assert missed.status == Appointment.Status.NO_SHOW
    assert selectors.no_show_count(plans["Brigitte"].patient) == 1
    for appointment in (cancelled, missed):
        session = Session.objects.get(pk=appointment.session_id)
        assert session.number == 1
        assert session.earliest <= local_day(appointment.starts_at) <= session.latest
    done.appointment.refresh_from_db()
    assert done.appointment.status == Appointment.Status.DONE
    assert done.appointment.notes == "Seen three days late"

    # Reception's worklist: exactly the three under the closure and the time off.
    assert {a.pk for a in selectors.rebooking_worklist()} == under

    client.force_login(receptionist)
    page = client.get(reverse("rebooking_worklist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("Rebook…") == 3
    for pk in under:
        assert reverse("appointment_move", args=[pk]) in html
    for pk in {cancelled.pk, missed.pk}:
        assert reverse("appointment_move", args=[pk]) not in html
    # the day's schedule and the sessions' pages open for the desk
    assert client.get(reverse("schedule_day", args=[closed_day])).status_code == 200
    for pk in (cancelled.session_id, missed.session_id, chloe_first.pk):
        assert client.get(reverse("session_detail", args=[pk])).status_code == 200
