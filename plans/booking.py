"""Booking writes: an appointment for a session, a move, a whole plan, and the flags a
closure or time off puts on the appointments it falls over.

Where an appointment can go is `plans.availability`; whether the plan may be booked at
all is `plans.safety`. Each write runs in one transaction that locks the rows it
changes and checks them again there, so of two clerks acting at once exactly one wins
and the other is told why.

Double booking is refused by the database itself: on PostgreSQL by exclusion
constraints on appointments (migration 0007), on SQLite because every write
transaction is IMMEDIATE (settings), so the overlap check below and the write that
follows cannot interleave with another booking's. Either way the loser gets
`SLOT_TAKEN`.

A closure or time off and a booking of the same day are ordered by one lock
(`lock_bookings`), which every booking and move takes before it reads the calendar and
every closure or time off takes before it flags: either the booking comes second, sees
the closure and is refused, or it comes first and the closure puts it on the rebooking
worklist.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit, clock
from clinic.models import Clinician, ClinicSettings, Closure, InstructionRule, Room, TimeOff
from plans import availability, instructions, safety, selectors, slots, sql
from plans.availability import Neighbour, PlanCalendar
from plans.models import Appointment, BookingLock, Session, TreatmentPlan

SLOT_TAKEN = (
    "This time was just taken by another appointment of the clinician, the room or the "
    "patient. Please choose another."
)
NOT_TO_BOOK = "Session {number} is {status}: it has nothing to book."
NOT_BOOKED = "Only a booked appointment can be moved; this one is {status}."
IN_THE_PAST = "An appointment cannot be booked in the past."
OFF_GRID = (
    "Appointments start on the clinic's {minutes}-minute grid (for example 10:00, "
    "10:{example:02d})."
)
TOO_SOON = (
    "Too soon after session {number} ({day:%a %d %b}): the protocol allows this session "
    "from {first:%a %d %b}."
)
CLOSED = "The clinic is closed on {day:%a %d %b}: {name}."
NOT_OPEN = "The clinic is not open for all of {start:%H:%M}–{end:%H:%M} on {start:%a %d %b}."
BEFORE_OPENING_FOR_CREAM = (
    "The patient comes {minutes} minutes early for the anaesthetic cream: at {arrive:%H:%M} "
    "the clinic is not open yet. Book at least {minutes} minutes after it opens."
)
NOT_WORKING = "{clinician} is not working for all of {start:%H:%M}–{end:%H:%M} on {start:%a %d %b}."
OUTSIDE_WINDOW = (
    "{when:%a %d %b} is {label} ({earliest:%d %b} – {latest:%d %b}): confirm to book it there."
)
FOLLOW_UP_FORBIDDEN = (
    "{method} on {day:%a %d %b} goes against the instructions of the session on "
    "{previous:%a %d %b}: “{sentence}”. Give a reason to book it anyway."
)
PROPOSAL_STALE = "The plan changed since the proposal was made; please propose again."
OUTSIDE_NEEDS_CONFIRMATION = (
    "Sessions {numbers} would be booked outside their windows: confirm to book them there."
)


@dataclass(frozen=True)
class Booked:
    """An appointment booked or moved, and the later booked sessions it now sits too
    close to (to move as well; nothing was changed on them)."""

    appointment: Appointment
    conflicts: list[Neighbour]


# --- the checks every write makes --------------------------------------------------------


def lock_bookings() -> None:
    """Take the booking lock (`BookingLock`'s row) until the transaction ends.

    Taken before any other row by every booking and move, and by every closure or time
    off before it flags, so they queue on it in one order. On PostgreSQL it is the row's
    lock; on SQLite the IMMEDIATE transaction holds the database's write lock already and
    the same select changes nothing.
    """
    locked = BookingLock.objects.select_for_update().filter(pk=1)
    if not list(locked.values_list("pk", flat=True)):
        # The first booking of a new database: create the row (a concurrent creator's
        # insert is waited for, not duplicated), then lock it.
        BookingLock.objects.bulk_create([BookingLock(pk=1)], ignore_conflicts=True)
        list(locked.values_list("pk", flat=True))


def _lock_plan(plan_id: int) -> TreatmentPlan:
    # Two clerks booking neighbouring sessions of one plan must not both pass the
    # spacing check: the plan row serialises them (SQLite serialises every write anyway).
    list(TreatmentPlan.objects.select_for_update().filter(pk=plan_id).values("pk"))
    return availability.load_plan(plan_id)


def _lock_session(session_id: int) -> Session:
    return Session.objects.select_for_update().get(pk=session_id)


def _check_time(
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    *,
    now: datetime,
    calendar: PlanCalendar,
    others: Sequence[Neighbour],
) -> None:
    """Refuse, saying the real reason, a start that the clinic's hours and closures, the
    clinician's time, the grid or the spacing from the session before rule out."""
    clinic = calendar.clinic
    tz = clinic.tz
    if starts_at < now:
        raise ValidationError({"starts_at": IN_THE_PAST})
    if clinician.pk not in calendar.clinician_ids or room.pk not in calendar.room_ids:
        safety.check_resources(session.plan, clinician, room)  # says which and why
    local = starts_at.astimezone(tz)
    grid = clinic.slot_grid_minutes
    if (local.hour * 60 + local.minute) % grid or local.second or local.microsecond:
        raise ValidationError({"starts_at": OFF_GRID.format(minutes=grid, example=grid % 60)})
    first, previous = availability.not_before(session, others, session.plan.phase_values(), tz)
    if first is not None and starts_at < first:
        raise ValidationError(
            {
                "starts_at": TOO_SOON.format(
                    number=previous.number,
                    day=timezone.localdate(previous.starts_at, tz),
                    first=timezone.localdate(first, tz),
                )
            }
        )
    ends_at = starts_at + timedelta(minutes=session.plan.protocol.session_minutes)
    hold_until = ends_at + timedelta(minutes=clinic.buffer_minutes)
    calendar.prepare([(local.date(), local.date())])
    if not calendar.works(clinician.pk, starts_at, hold_until):
        closed = calendar.standing.closed_between(local.date(), local.date())
        if closed:
            raise ValidationError({"starts_at": CLOSED.format(day=local, name=closed[0].name)})
        end = hold_until.astimezone(tz)
        if not calendar.is_open(starts_at, hold_until):
            raise ValidationError({"starts_at": NOT_OPEN.format(start=local, end=end)})
        raise ValidationError(
            {"starts_at": NOT_WORKING.format(clinician=clinician, start=local, end=end)}
        )
    if not calendar.open_from_arrival(starts_at, hold_until):
        # Open for the session itself, not for the patient's arrival for the cream.
        arrive = instructions.arrival(starts_at, calendar.cream_minutes).astimezone(tz)
        raise ValidationError(
            {
                "starts_at": BEFORE_OPENING_FOR_CREAM.format(
                    arrive=arrive, minutes=calendar.cream_minutes
                )
            }
        )


def _check_window(session: Session, starts_at: datetime, tz, *, confirmed: bool) -> bool:
    """Whether the time lies outside the window; refused unless the user confirmed it."""
    days = availability.days_from_window(session, starts_at, tz)
    if days and not confirmed:
        raise ValidationError(
            OUTSIDE_WINDOW.format(
                when=starts_at.astimezone(tz),
                label=availability.outside_label(days),
                earliest=session.earliest,
                latest=session.latest,
            ),
            code="outside_window",
        )
    return bool(days)


def _check_follow_up(session: Session, starts_at: datetime, clinic, reason: str) -> str:
    """Refuse, unless a reason is given, a session of a method that an earlier session
    of another method forbids on this day (`clinic.InstructionRule.forbids_methods`).
    The reason is returned, to record on the appointment ("" when none was needed)."""
    method = session.plan.protocol.method
    if not InstructionRule.objects.filter(is_active=True, forbids_methods=method).exists():
        return ""  # one query for the bookings no rule concerns: nearly all of them
    rules = [rule for rule in selectors.instruction_rules() if method.pk in rule.forbids]
    longest = max(rule.offset for rule in rules)
    earlier = list(
        Appointment.objects.filter(
            patient_id=session.patient_id,
            status__in=Appointment.OCCUPYING,
            starts_at__lt=starts_at,
            starts_at__gte=starts_at - timedelta(days=longest + 1),
        )
        .exclude(session__plan__protocol__method=method)
        .order_by("-starts_at")
    )
    found = selectors.appointment_instructions(earlier, clinic=clinic, rules=rules)
    day = starts_at.astimezone(clinic.tz).date()
    for appointment in earlier:
        forbidden = instructions.forbidden_after(found[appointment.pk], method.pk, day)
        if forbidden is None:
            continue
        if reason.strip():
            return reason.strip()
        raise ValidationError(
            FOLLOW_UP_FORBIDDEN.format(
                method=method,
                day=day,
                previous=appointment.starts_at.astimezone(clinic.tz),
                sentence=forbidden.sentence,
            ),
            code="follow_up",
        )
    return ""


def _check_no_overlap(bookings: Sequence[Appointment], *, exclude: Sequence[int] = ()) -> None:
    """One query: does any occupying appointment overlap these, for the same clinician,
    room or patient?"""
    parts = [
        sql.Holds(a.starts_at, a.blocks_until, [a.clinician_id], [a.room_id], a.patient_id)
        for a in bookings
    ]
    if sql.any_clash(parts, exclude=list(exclude)):
        raise ValidationError(SLOT_TAKEN, code="slot_taken")


def _place(appointment: Appointment, starts_at, clinician, room, session, clinic) -> None:
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + timedelta(minutes=session.plan.protocol.session_minutes)
    appointment.blocks_until = appointment.ends_at + timedelta(minutes=clinic.buffer_minutes)
    appointment.clinician, appointment.room = clinician, room


def _check_to_book(session: Session) -> None:
    if session.status != Session.Status.TO_BOOK:
        raise ValidationError(
            NOT_TO_BOOK.format(number=session.number, status=session.get_status_display().lower())
        )


def _new_appointment(session, starts_at, clinician, room, clinic, *, outside: bool, by):
    """A booked appointment of the session at `starts_at`, not saved yet."""
    appointment = Appointment(
        session=session,
        patient_id=session.patient_id,
        outside_window=outside,
        created_by=by,
        changed_by=by,
    )
    _place(appointment, starts_at, clinician, room, session, clinic)
    return appointment


def _write(write) -> None:
    """Run the writes; the database's refusal (a constraint) reads as a lost race."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as error:
        raise ValidationError(SLOT_TAKEN, code="slot_taken") from error


# --- one session ------------------------------------------------------------------------


def appointment_book(
    *,
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    now: datetime | None = None,
    by=None,
    confirm_outside: bool = False,
    follow_up_reason: str = "",
) -> Booked:
    """Book a session still to book at `starts_at` with this clinician and room.

    Outside the session's window only when `confirm_outside` (recorded on the
    appointment); against an earlier session's instructions only with
    `follow_up_reason` (recorded too). Later booked sessions it comes too close to are
    reported, not moved.
    """
    now = now or clock.now()
    with transaction.atomic():
        lock_bookings()
        plan = _lock_plan(session.plan_id)
        session = _lock_session(session.pk)
        session.plan = plan
        _check_to_book(session)
        safety.check_safe(plan)
        clinic = ClinicSettings.load()
        calendar = PlanCalendar(plan=plan, clinic=clinic)
        others = availability.neighbours(plan.pk, exclude_session=session.pk)
        _check_time(session, starts_at, clinician, room, now=now, calendar=calendar, others=others)
        outside = _check_window(session, starts_at, clinic.tz, confirmed=confirm_outside)
        reason = _check_follow_up(session, starts_at, clinic, follow_up_reason)
        appointment = _new_appointment(
            session, starts_at, clinician, room, clinic, outside=outside, by=by
        )
        appointment.follow_up_reason = reason
        _check_no_overlap([appointment])

        def write():
            appointment.save()
            session.status = Session.Status.BOOKED
            session.save(update_fields=["status", "updated_at"])

        _write(write)
        phases = plan.phase_values()
        conflicts = availability.too_close_after(session, starts_at, others, phases, clinic.tz)
    return Booked(appointment, conflicts)


UNDO_ONLY_TODAY = (
    "Only an arrival or a no-show of today can be undone; this appointment was on {day:%a %d %b}."
)
UNDO_NOT_NO_SHOW = "Only a no-show can be undone; this appointment is {status}."
REBOOKED_MEANWHILE = (
    "Session {number} was booked again meanwhile: its new appointment stands; cancel it "
    "first to bring this one back."
)


def check_undo_today(appointment: Appointment, now: datetime) -> None:
    """An arrival or a no-show is undone on its day only: a mistake made at the desk,
    put right while the day runs. Later, the record stands."""
    tz = ClinicSettings.load().tz
    day = timezone.localdate(appointment.starts_at, tz)
    if day != timezone.localdate(now, tz):
        raise ValidationError(UNDO_ONLY_TODAY.format(day=day))


def appointment_undo_no_show(
    *, appointment: Appointment, now: datetime | None = None, by=None
) -> Appointment:
    """A no-show marked by mistake, the same day: the appointment is booked again at its
    time and its session booked, unless the time or the session was taken meanwhile.
    The trail keeps both changes, with who made them."""
    now = now or clock.now()
    with transaction.atomic():
        lock_bookings()
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if current.status != Appointment.Status.NO_SHOW:
            raise ValidationError(
                UNDO_NOT_NO_SHOW.format(status=current.get_status_display().lower())
            )
        check_undo_today(current, now)
        session = _lock_session(current.session_id)
        if session.status != Session.Status.TO_BOOK:
            raise ValidationError(REBOOKED_MEANWHILE.format(number=session.number))
        _check_no_overlap([current], exclude=[current.pk])

        def write():
            current.status = Appointment.Status.BOOKED
            current.changed_by = by
            current.save(update_fields=["status", "changed_by", "changed_at"])
            session.status = Session.Status.BOOKED
            session.save(update_fields=["status", "updated_at"])

        _write(write)
    return current


def appointment_move(
    *,
    appointment: Appointment,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    now: datetime | None = None,
    by=None,
    confirm_outside: bool = False,
    follow_up_reason: str = "",
) -> Booked:
    """Move a booked appointment; it comes off the rebooking worklist. Against an earlier
    session's instructions only with `follow_up_reason`, as a booking.

    It must keep its spacing from the session before; the later booked sessions it now
    comes too close to are reported, not refused, so they can be moved in the same step.
    """
    now = now or clock.now()
    with transaction.atomic():
        lock_bookings()
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if current.status != Appointment.Status.BOOKED:
            raise ValidationError(NOT_BOOKED.format(status=current.get_status_display().lower()))
        plan = _lock_plan(current.session.plan_id)
        session = current.session
        session.plan = plan
        safety.check_safe(plan)
        clinic = ClinicSettings.load()
        calendar = PlanCalendar(plan=plan, clinic=clinic, exclude=[current.pk])
        others = availability.neighbours(plan.pk, exclude_session=session.pk)
        _check_time(session, starts_at, clinician, room, now=now, calendar=calendar, others=others)
        current.outside_window = _check_window(
            session, starts_at, clinic.tz, confirmed=confirm_outside
        )
        current.follow_up_reason = _check_follow_up(session, starts_at, clinic, follow_up_reason)
        _place(current, starts_at, clinician, room, session, clinic)
        current.needs_rebooking = False
        current.changed_by = by
        _check_no_overlap([current], exclude=[current.pk])
        _write(
            lambda: current.save(
                update_fields=[
                    "starts_at",
                    "ends_at",
                    "blocks_until",
                    "clinician",
                    "room",
                    "outside_window",
                    "needs_rebooking",
                    "follow_up_reason",
                    "changed_by",
                    "changed_at",
                ]
            )
        )
        phases = plan.phase_values()
        conflicts = availability.too_close_after(session, starts_at, others, phases, clinic.tz)
    return Booked(current, conflicts)


# --- whole plans ------------------------------------------------------------------------


@transaction.atomic
def plan_book(
    *,
    plan: TreatmentPlan,
    placements: Sequence[tuple[Session, slots.Slot]],
    now: datetime | None = None,
    by=None,
    confirm_outside: bool = False,
) -> list[Appointment]:
    """Book a confirmed proposal: every placement or none.

    A time taken meanwhile, or a plan re-planned since the proposal, undoes it all.
    Each placement is checked as a single booking would be, then all of them against
    the calendar in one query. Placements outside their windows need `confirm_outside`.
    """
    now = now or clock.now()
    if not placements:
        return []
    lock_bookings()
    plan = _lock_plan(plan.pk)
    safety.check_safe(plan)
    clinic = ClinicSettings.load()
    clinicians = {
        c.pk: c for c in Clinician.objects.filter(pk__in={p.clinician_id for _, p in placements})
    }
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={p.room_id for _, p in placements})}
    current = {s.pk: s for s in plan.sessions.select_for_update().order_by("number")}
    calendar = PlanCalendar(plan=plan, clinic=clinic)
    starts = {n.number: n for n in availability.neighbours(plan.pk)}
    appointments, outside = [], []
    for proposed, slot in sorted(placements, key=lambda p: p[0].number):
        session = current.get(proposed.pk)
        if session is None or (session.earliest, session.latest) != (
            proposed.earliest,
            proposed.latest,
        ):
            raise ValidationError(PROPOSAL_STALE)
        _check_to_book(session)
        session.plan = plan
        clinician, room = clinicians[slot.clinician_id], rooms[slot.room_id]
        others = [n for number, n in starts.items() if number != session.number]
        _check_time(session, slot.start, clinician, room, now=now, calendar=calendar, others=others)
        is_outside = bool(availability.days_from_window(session, slot.start, clinic.tz))
        if is_outside:
            outside.append(session.number)
        appointments.append(
            _new_appointment(
                session, slot.start, clinician, room, clinic, outside=is_outside, by=by
            )
        )
        # Counted at once, so the next placement keeps its spacing from it.
        starts[session.number] = Neighbour(session.number, session.phase, slot.start)
    if outside and not confirm_outside:
        raise ValidationError(
            OUTSIDE_NEEDS_CONFIRMATION.format(numbers=", ".join(map(str, outside))),
            code="outside_window",
        )
    ordered = sorted(appointments, key=lambda a: a.starts_at)
    if any(b.starts_at < a.blocks_until for a, b in itertools.pairwise(ordered)):
        raise ValidationError(SLOT_TAKEN, code="slot_taken")  # the proposal overlaps itself
    _check_no_overlap(appointments)

    def write():
        audit.bulk_create(Appointment, appointments)
        audit.update(
            Session.objects.filter(pk__in=[a.session_id for a in appointments]),
            status=Session.Status.BOOKED,
            updated_at=clock.now(),
        )

    _write(write)
    return appointments


@transaction.atomic
def plan_move_all(
    *,
    plan: TreatmentPlan,
    moves: Sequence[tuple[int, datetime, slots.Slot]],
    now: datetime | None = None,
    by=None,
    confirm_outside: bool = False,
) -> list[Appointment]:
    """Move a confirmed cascade (`availability.cascade_propose`): every move or none.

    `moves`: each appointment's pk, the time it had when proposed, and its new slot. An
    appointment moved, cancelled or done meanwhile makes the proposal stale. Each move is
    checked as a single move would be; moves outside their windows need
    `confirm_outside`. Appointments moving later are moved last first, so none lands on
    a time its successor still holds; the spacing of the whole course is then checked
    as it stands.
    """
    now = now or clock.now()
    if not moves:
        return []
    lock_bookings()
    plan = _lock_plan(plan.pk)
    clinic = ClinicSettings.load()
    current = {
        a.pk: a
        for a in Appointment.objects.select_for_update()
        .filter(pk__in=[pk for pk, _, _ in moves], session__plan=plan)
        .select_related("session")
    }
    for pk, was, _ in moves:
        appointment = current.get(pk)
        if (
            appointment is None
            or appointment.status != Appointment.Status.BOOKED
            or appointment.starts_at != was
        ):
            raise ValidationError(PROPOSAL_STALE)
    outside = sorted(
        current[pk].session.number
        for pk, _, slot in moves
        if availability.days_from_window(current[pk].session, slot.start, clinic.tz)
    )
    if outside and not confirm_outside:
        raise ValidationError(
            OUTSIDE_NEEDS_CONFIRMATION.format(numbers=", ".join(map(str, outside))),
            code="outside_window",
        )
    clinicians = {
        c.pk: c for c in Clinician.objects.filter(pk__in={s.clinician_id for *_, s in moves})
    }
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={s.room_id for *_, s in moves})}
    later = sum(slot.start > was for _, was, slot in moves) * 2 >= len(moves)
    moved = [
        appointment_move(
            appointment=current[pk],
            starts_at=slot.start,
            clinician=clinicians[slot.clinician_id],
            room=rooms[slot.room_id],
            now=now,
            by=by,
            confirm_outside=confirm_outside,
        ).appointment
        for pk, _, slot in sorted(moves, key=lambda m: current[m[0]].session.number, reverse=later)
    ]
    others = availability.neighbours(plan.pk)
    phases = plan.phase_values()
    for appointment in moved:
        session = appointment.session
        first, previous = availability.not_before(
            session, [n for n in others if n.number != session.number], phases, clinic.tz
        )
        if first is not None and appointment.starts_at < first:
            raise ValidationError(
                TOO_SOON.format(
                    number=previous.number,
                    day=timezone.localdate(previous.starts_at, clinic.tz),
                    first=timezone.localdate(first, clinic.tz),
                )
            )
    return moved


# --- closures and time off --------------------------------------------------------------


def flag_bookings_between(
    starts_at: datetime, ends_at: datetime, *, clinician: Clinician | None = None
) -> int:
    """Put the live appointments in a new closure or time off on the rebooking worklist.

    They are never moved or cancelled silently: reception calls the patients. Under the
    booking lock, so a booking being made now is either seen here or sees the change.
    """
    live = Appointment.objects.filter(
        status__in=Appointment.LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if clinician is not None:
        live = live.filter(clinician=clinician)
    with transaction.atomic():
        lock_bookings()
        return audit.update(live, needs_rebooking=True)


def flag_bookings_in_closure(closure: Closure) -> int:
    tz = ClinicSettings.load().tz
    span = slots.day_spans(closure.first_day, closure.last_day, tz)[0]
    return flag_bookings_between(span.start, span.end)


def flag_bookings_in_time_off(time_off: TimeOff) -> int:
    return flag_bookings_between(time_off.starts_at, time_off.ends_at, clinician=time_off.clinician)
