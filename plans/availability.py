"""Where an appointment can go: the calendar of a plan's clinicians and rooms, the
spacing a course asks for, and the slot searches for one session or a whole plan.

The arithmetic is `plans.slots` (pure); this module loads the few rows it needs, in a
number of queries that does not depend on how many appointments the clinic holds, and
never writes. The engine knows nothing of opening days; this module does: when a
session's window holds no bookable time, it offers the nearest times outside it,
marked so (`Slot.in_window`), and never leaves a required session out silently.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from clinic import clock
from clinic.models import Clinician, ClinicSettings, Room
from patients.models import Screening
from plans import engine, instructions, safety, slots, sql
from plans.calendar import clinic_calendar
from plans.models import Appointment, Session, TreatmentPlan

OVERDUE = "This session's window has passed: here are the first free times from today."
# How far outside its window a session is offered when the window holds no free time.
OUTSIDE_DAYS = 14
# How far past today an overdue session is searched.
OVERDUE_DAYS = 28


def _by_start(span: slots.Span):
    # A key, not the dataclass's own ordering: sorting thousands of spans by `__lt__`
    # costs more than the whole slot search.
    return span.start, span.end


class PlanCalendar:
    """The clinic over some days, for one plan: who can do its method and when, which
    rooms can host it (the standing calendar, `plans.calendar`, no query), and the
    appointments of a range of days (`load_bookings`, one query each time, bounded on
    `starts_at` so it reads only those days whatever the history).

    `exclude`: appointments read as free (those being moved). `own_clinician_only`: only
    the plan's clinician is searched (a whole plan, unless the patient accepts another)."""

    def __init__(
        self,
        *,
        plan: TreatmentPlan,
        clinic: ClinicSettings,
        exclude: Iterable[int] = (),
        own_clinician_only: bool = False,
    ):
        self.plan, self.clinic, self.tz = plan, clinic, clinic.tz
        self.exclude = list(exclude)
        self.standing = clinic_calendar(clinic)
        method_id = plan.protocol.method_id
        # The plan's own clinician is tried first: patients like to see the same doctor.
        self.clinician_ids = sorted(
            self.standing.clinician_ids(method_id), key=lambda pk: (pk != plan.clinician_id, pk)
        )
        if own_clinician_only:
            self.clinician_ids = [pk for pk in self.clinician_ids if pk == plan.clinician_id]
        self.room_ids = self.standing.room_ids(method_id)
        # A patient who wants the anaesthetic cream arrives this long before the session,
        # and the clinic must be open then: every open span starts this much later for them.
        wants_cream = getattr(plan, "wants_cream", None)
        if wants_cream is None:
            wants_cream = bool(_wants_cream(plan.patient_id).first())
        self.cream_minutes = clinic.anaesthetic_cream_minutes if wants_cream else 0
        self.prepared: list[tuple[date, date]] | None = None
        self.placed: list[slots.Slot] = []
        self.busy_by_clinician: dict[int, list[slots.Span]] = {}
        self.busy_by_room: dict[int, list[slots.Span]] = {}
        self.patient_busy: list[slots.Span] = []

    def prepare(self, ranges: Sequence[tuple[date, date]]) -> None:
        """Open hours and each clinician's working time over these days only: a search
        that ends on the due day never pays for the weeks around it."""
        ranges = _merge_days(ranges)
        if self.prepared == ranges:
            return
        days = [day for first, last in ranges for day in _days(first, last)]
        standing, tz = self.standing, self.tz
        lead = self.cream_minutes
        self.opening = [span for day in days for span in standing.open_on(day, tz)]
        # What the searches read: open hours for this patient, arrival included.
        self.open_hours = self.opening
        if lead:
            self.open_hours = [
                slots.Span(instructions.minutes_from(span.start, lead), span.end)
                for span in self.opening
                if span.end - span.start > timedelta(minutes=lead)
            ]
        self.available = {
            pk: [span for day in days for span in standing.works_on(pk, day, tz)]
            for pk in self.clinician_ids
        }
        self.prepared = ranges

    def covers(self, first: date, last: date) -> bool:
        return any(a <= first and last <= b for a, b in self.prepared or ())

    def load_bookings(self, *ranges: tuple[date, date]) -> None:
        """The appointments that hold a clinician, room or the patient on these days (one
        query for all the ranges)."""
        self.prepare(ranges)
        parts = [
            sql.Holds(
                *_day_bounds(first, last, self.tz),
                self.clinician_ids,
                self.room_ids,
                self.plan.patient_id,
            )
            for first, last in self.prepared
        ]
        by_clinician, by_room, patient = defaultdict(list), defaultdict(list), []
        for clinician_id, room_id, patient_id, starts_at, ends_at in sql.busy(
            parts, exclude=self.exclude
        ):
            span = slots.Span(starts_at, ends_at)
            by_clinician[clinician_id].append(span)
            if room_id is not None:
                by_room[room_id].append(span)
            if patient_id == self.plan.patient_id:
                patient.append(span)
        for slot in self.placed:
            span = slots.Span(slot.start, slot.end)
            by_clinician[slot.clinician_id].append(span)
            by_room[slot.room_id].append(span)
            patient.append(span)
        if self.placed:
            for spans in (*by_clinician.values(), *by_room.values(), patient):
                spans.sort(key=_by_start)
        self.busy_by_clinician, self.busy_by_room = by_clinician, by_room
        self.patient_busy = patient

    def resources(self, *, clinician: Clinician | None = None, room: Room | None = None):
        return (
            [
                slots.Resource(
                    pk, tuple(self.available[pk]), tuple(self.busy_by_clinician.get(pk, ()))
                )
                for pk in self.clinician_ids
                if clinician is None or pk == clinician.pk
            ],
            [
                slots.Resource(pk, tuple(self.open_hours), tuple(self.busy_by_room.get(pk, ())))
                for pk in self.room_ids
                if room is None or pk == room.pk
            ],
        )

    def add_booking(self, placement: slots.Slot) -> None:
        """Count a proposed placement as busy for the rest of a whole-plan proposal."""
        self.placed.append(placement)

    def is_open(self, start: datetime, end: datetime) -> bool:
        """Whether the clinic is open for all of [start, end)."""
        return any(span.start <= start and end <= span.end for span in self.opening)

    def open_from_arrival(self, start: datetime, end: datetime) -> bool:
        """Whether it is open from the patient's arrival (early for the cream) to `end`."""
        return any(span.start <= start and end <= span.end for span in self.open_hours)

    def works(self, clinician_id: int, start: datetime, end: datetime) -> bool:
        """Whether the clinic is open and the clinician at work for all of [start, end)."""
        spans = self.available.get(clinician_id, ())
        return any(span.start <= start and end <= span.end for span in spans)


def _merge_days(ranges: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day_bounds(first: date, last: date, tz) -> tuple[datetime, datetime]:
    span = slots.day_spans(first, last, tz)[0]
    return span.start, span.end


def day_start(day: date, tz) -> datetime:
    return slots.day_spans(day, day, tz)[0].start


# --- spacing from the plan's other sessions ----------------------------------------------


class Neighbour(NamedTuple):
    """What spacing needs of another session of the plan: its number, phase, and the
    start of its occupying appointment (booked, arrived or done), if any."""

    number: int
    phase: int
    starts_at: datetime | None


def phase_of(phases: Sequence[engine.Phase], number: int) -> engine.Phase:
    return phases[min(number, len(phases)) - 1]


def neighbours(plan_id: int, *, exclude_session: int | None = None) -> list[Neighbour]:
    """Every session of the plan with the start of its occupying appointment. One query."""
    rows = (
        Session.objects.filter(plan_id=plan_id)
        .order_by("number")
        .values_list("pk", "number", "phase")
    )
    starts = dict(
        Appointment.objects.filter(
            session__plan_id=plan_id, status__in=Appointment.OCCUPYING
        ).values_list("session_id", "starts_at")
    )
    return [
        Neighbour(number, phase, starts.get(pk))
        for pk, number, phase in rows
        if pk != exclude_session
    ]


def not_before(
    session: Session, others: Iterable[Neighbour], phases: Sequence[engine.Phase], tz
) -> tuple[datetime | None, Neighbour | None]:
    """The first instant the session may take, and the session that sets it: at least
    `interval_min - tolerance` after the booked or done session before it (`engine`)."""
    before = [s for s in others if s.number < session.number and s.starts_at]
    if not before:
        return None, None
    previous = max(before, key=lambda s: s.number)
    day = engine.earliest_after(
        phase_of(phases, session.phase), timezone.localdate(previous.starts_at, tz)
    )
    return day_start(day, tz), previous


def too_close_after(
    session: Session,
    starts_at: datetime,
    others: Iterable[Neighbour],
    phases: Sequence[engine.Phase],
    tz,
) -> list[Neighbour]:
    """The later booked sessions an appointment at `starts_at` would bring closer than
    the protocol allows, each counted from the one before it."""
    later = sorted(
        (s for s in others if s.number > session.number and s.starts_at), key=lambda s: s.number
    )
    conflicts = []
    previous_day = timezone.localdate(starts_at, tz)
    for following in later:
        booked_day = timezone.localdate(following.starts_at, tz)
        if booked_day < engine.earliest_after(phase_of(phases, following.phase), previous_day):
            conflicts.append(following)
        previous_day = booked_day
    return conflicts


# --- searching --------------------------------------------------------------------------


def _wants_cream(patient_id):
    """Whether the patient's latest screening asks for the anaesthetic cream (a subquery
    when `patient_id` is an `OuterRef`)."""
    return (
        Screening.objects.filter(patient_id=patient_id)
        .order_by("-screened_on", "-id")
        .values("wants_anaesthetic_cream")[:1]
    )


def load_plan(plan_id: int) -> TreatmentPlan:
    """A plan with what booking reads: protocol, method, phases and whether the patient
    comes early for the anaesthetic cream (`wants_cream`)."""
    return (
        TreatmentPlan.objects.select_related("protocol__method")
        .prefetch_related("phases")
        .annotate(wants_cream=Subquery(_wants_cream(OuterRef("patient_id"))))
        .get(pk=plan_id)
    )


def _request(
    session: Session,
    calendar: PlanCalendar,
    *,
    now: datetime,
    first: datetime | None,
    limit: int,
    days: tuple[date, date],
    due: date | None = None,
    outside_days: int = 0,
    prefer: slots.Slot | None = None,
) -> slots.SlotRequest:
    plan = session.plan
    preference = None
    if plan.preferred_weekdays or plan.preferred_after or plan.preferred_before:
        preference = slots.Preference(
            plan.preferred_weekday_set, plan.preferred_after, plan.preferred_before
        )
    clinic = calendar.clinic
    earliest, latest = days
    return slots.SlotRequest(
        earliest=earliest,
        latest=latest,
        due=min(max(due or session.due, earliest), latest),
        length=timedelta(minutes=plan.protocol.session_minutes),
        buffer=timedelta(minutes=clinic.buffer_minutes),
        tz=clinic.tz,
        grid_minutes=clinic.slot_grid_minutes,
        not_before=max(now, first) if first else now,
        preference=preference,
        prefer_clinician_id=prefer.clinician_id if prefer else plan.clinician_id,
        prefer_room_id=prefer.room_id if prefer else None,
        limit=limit,
        outside_days=outside_days,
    )


def _find(calendar: PlanCalendar, request: slots.SlotRequest, clinician=None, room=None):
    clinicians, rooms = calendar.resources(clinician=clinician, room=room)
    return slots.find_slots(
        request,
        open_hours=calendar.open_hours,
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=calendar.patient_busy,
    )


def _overdue_search(session, calendar, *, now, first, limit, today, clinician=None, room=None):
    days = (today, today + timedelta(days=OVERDUE_DAYS))
    calendar.load_bookings(days)
    request = _request(session, calendar, now=now, first=first, limit=limit, days=days, due=today)
    found = _find(calendar, request, clinician, room)
    return slots.SlotSearch(tuple(replace(slot, in_window=False) for slot in found.slots), OVERDUE)


def slot_search(
    *,
    session: Session,
    clinician: Clinician | None = None,
    room: Room | None = None,
    now: datetime | None = None,
    limit: int = 10,
    exclude_appointment: int | None = None,
) -> slots.SlotSearch:
    """Free times for a session inside its window, closest to its due date first.

    When nothing fits, the reason and the nearest times outside the window (marked so).
    An overdue session, whose window has passed, gets the first free times from today.
    Appointments are read in widening steps (the due day, the window, the days around
    it), as most searches are answered by the first. `exclude_appointment`: the
    appointment being moved, whose own time is free for it.
    """
    now = now or clock.now()
    plan = load_plan(session.plan_id)
    session.plan = plan
    clinic = ClinicSettings.load()
    today = timezone.localdate(now, clinic.tz)
    first, _ = not_before(
        session, neighbours(plan.pk, exclude_session=session.pk), plan.phase_values(), clinic.tz
    )
    calendar = PlanCalendar(
        plan=plan, clinic=clinic, exclude=[exclude_appointment] if exclude_appointment else []
    )
    if session.latest < today:
        return _overdue_search(
            session,
            calendar,
            now=now,
            first=first,
            limit=limit,
            today=today,
            clinician=clinician,
            room=room,
        )
    window = (session.earliest, session.latest)
    for days, outside in [((session.due, session.due), 0), (window, 0), (window, OUTSIDE_DAYS)]:
        calendar.load_bookings(
            (days[0] - timedelta(days=outside), days[1] + timedelta(days=outside))
        )
        request = _request(
            session, calendar, now=now, first=first, limit=limit, days=days, outside_days=outside
        )
        found = _find(calendar, request, clinician, room)
        enough = len(found.slots) >= limit if days != window else bool(found.slots)
        if enough or outside:
            break
    if not found.slots:
        # Spacing or the calendar rule out the days around the window too: the first free
        # times from the earliest day the course allows.
        start = max(today, session.latest + timedelta(days=OUTSIDE_DAYS + 1))
        later = _overdue_search(
            session,
            calendar,
            now=now,
            first=first,
            limit=limit,
            today=start,
            clinician=clinician,
            room=room,
        )
        return slots.SlotSearch(later.slots, found.reason)
    return found


# --- whole plans ------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """Where each required session of a plan would go; nothing is saved until
    `booking.plan_book`. `failures`: the sessions no time was found for, and why."""

    placements: list[tuple[Session, slots.Slot]]
    failures: list[tuple[Session, str]]

    @property
    def outside(self) -> list[tuple[Session, slots.Slot]]:
        return [(s, slot) for s, slot in self.placements if not slot.in_window]


def plan_propose(*, plan: TreatmentPlan, now: datetime | None = None) -> Proposal:
    """Place every required session still to book, in order, each in its window, else at
    the nearest free time outside it (marked so).

    Each keeps the protocol's spacing from the one placed or booked before it, with the
    plan's own clinician (another only when the patient accepts one) and the same room
    where possible. Hours and staff are read once; appointments per session, its due day
    first, then its window, then the days around it: the query count grows with the
    plan's sessions, never with the clinic's appointments.
    """
    now = now or clock.now()
    plan = load_plan(plan.pk)
    safety.check_safe(plan)
    clinic = ClinicSettings.load()
    today = timezone.localdate(now, clinic.tz)
    sessions = list(plan.sessions.order_by("number"))
    for session in sessions:
        session.plan = plan
    todo = [s for s in sessions if s.status == Session.Status.TO_BOOK and not s.optional]
    placements: list[tuple[Session, slots.Slot]] = []
    failures: list[tuple[Session, str]] = []
    if not todo:
        return Proposal(placements, failures)
    calendar = PlanCalendar(
        plan=plan, clinic=clinic, own_clinician_only=not plan.other_clinicians_ok
    )
    phases = plan.phase_values()
    starts = {n.number: n for n in neighbours(plan.pk)}
    for index, session in enumerate(todo):
        others = [n for number, n in starts.items() if number != session.number]
        first, _ = not_before(session, others, phases, clinic.tz)
        prefer = placements[-1][1] if placements else None
        if session.latest < today:
            steps = [((today, today + timedelta(days=OVERDUE_DAYS)), 0, today)]
        else:
            window = (session.earliest, session.latest)
            steps = [((session.due, session.due), 0, None), (window, 0, None)]
            steps.append((window, OUTSIDE_DAYS, None))
        found = None
        for days, outside, due in steps:
            wide = (days[0] - timedelta(days=outside), days[1] + timedelta(days=outside))
            if not calendar.covers(*wide):
                # The due days of the sessions still to place are read together.
                calendar.load_bookings(wide, *[(s.due, s.due) for s in todo[index + 1 :]])
            request = _request(
                session,
                calendar,
                now=now,
                first=first,
                limit=1,
                days=days,
                due=due,
                outside_days=outside,
                prefer=prefer,
            )
            found = _find(calendar, request)
            if found.slots:
                break
        if found.slots:
            slot = found.slots[0]
            if session.latest < today:
                slot = replace(slot, in_window=False)
            placements.append((session, slot))
            starts[session.number] = Neighbour(session.number, session.phase, slot.start)
            calendar.add_booking(slot)
        else:
            failures.append((session, found.reason or slots.FULLY_BOOKED))
    return Proposal(placements, failures)


# --- moving the rest of a course ---------------------------------------------------------


@dataclass(frozen=True)
class Cascade:
    """The later appointments to move after a session held late or early.

    `delay_days`: how late the last session was held against its due day (negative:
    early). Each appointment that now lies outside its new window, or too close to one
    moved before it, goes to the free time nearest its own time moved by that delay
    (`moves`), or is listed with the reason none was found (`failures`). Nothing is saved
    until `booking.plan_move_all`.
    """

    delay_days: int
    moves: list[tuple[Appointment, slots.Slot]]
    failures: list[tuple[Appointment, str]]

    @property
    def outside(self) -> list[tuple[Appointment, slots.Slot]]:
        return [(a, slot) for a, slot in self.moves if not slot.in_window]


def _last_held(plan: TreatmentPlan, sessions: Sequence[Session], tz) -> tuple[Session, int] | None:
    """The last session done and how many days after its due day it was held."""
    done = [s for s in sessions if s.status == Session.Status.DONE]
    if not done:
        return None
    last = done[-1]
    held = (
        Appointment.objects.filter(session=last, status=Appointment.Status.DONE)
        .values_list("starts_at", flat=True)
        .first()
    )
    delay = (timezone.localdate(held, tz) - last.due).days if held else 0
    return last, delay


def cascade_propose(*, plan: TreatmentPlan, now: datetime | None = None) -> Cascade:
    """Propose new times for the booked appointments the last re-plan left behind.

    Sessions are taken in order. One that still sits in its window (or outside it as a
    user confirmed) and keeps its spacing from the one before stays; the others move by
    the delay, to the nearest free day and, on it, the time closest to their own, with
    their own clinician and room first. A few queries per appointment moved.
    """
    now = now or clock.now()
    plan = load_plan(plan.pk)
    safety.check_safe(plan)
    clinic = ClinicSettings.load()
    tz, today = clinic.tz, timezone.localdate(now, clinic.tz)
    sessions = list(plan.sessions.order_by("number"))
    held = _last_held(plan, sessions, tz)
    if held is None:
        return Cascade(0, [], [])
    last, delay = held
    booked = {
        a.session_id: a
        for a in Appointment.objects.filter(
            session__plan=plan, session__number__gt=last.number, status=Appointment.Status.BOOKED
        ).select_related("clinician", "room")
    }
    calendar = PlanCalendar(
        plan=plan,
        clinic=clinic,
        exclude=[a.pk for a in booked.values()],
        own_clinician_only=not plan.other_clinicians_ok,
    )
    phases = plan.phase_values()
    starts = {n.number: n for n in neighbours(plan.pk)}
    moves: list[tuple[Appointment, slots.Slot]] = []
    failures: list[tuple[Appointment, str]] = []
    for session in sessions:
        appointment = booked.get(session.pk)
        if appointment is None:
            continue
        session.plan, appointment.session = plan, session
        # Later sessions may move too: spacing is counted from the ones before only.
        first, _ = not_before(
            session, [n for n in starts.values() if n.number < session.number], phases, tz
        )
        at = slots.Slot(
            appointment.starts_at,
            appointment.ends_at,
            appointment.clinician_id,
            appointment.room_id,
            in_window=not appointment.outside_window,
        )
        day = timezone.localdate(appointment.starts_at, tz)
        placed = session.holds(day) or appointment.outside_window
        if placed and (first is None or appointment.starts_at >= first):
            calendar.add_booking(at)
            continue
        found = _cascade_search(
            session,
            calendar,
            now=now,
            today=today,
            first=first,
            target=day + timedelta(days=delay),
            prefer=at,
        )
        if not found.slots:
            failures.append((appointment, found.reason or slots.FULLY_BOOKED))
            calendar.add_booking(at)
            continue
        slot = slots.nearest_in_time(
            found.slots, timezone.localtime(appointment.starts_at, tz).time(), tz
        )
        if session.latest < today:
            slot = replace(slot, in_window=False)
        moves.append((appointment, slot))
        starts[session.number] = Neighbour(session.number, session.phase, slot.start)
        calendar.add_booking(slot)
    return Cascade(delay, moves, failures)


# Enough starts to cover a whole day on the grid, so the one nearest a time can be chosen.
_DAY_OF_STARTS = 96


def _cascade_search(session, calendar, *, now, today, first, target, prefer) -> slots.SlotSearch:
    if session.latest < today:
        steps = [((today, today + timedelta(days=OVERDUE_DAYS)), 0)]
    else:
        window = (session.earliest, session.latest)
        steps = [((target, target), 0)] if session.holds(target) else []
        steps += [(window, 0), (window, OUTSIDE_DAYS)]
    found = slots.SlotSearch(())
    for days, outside in steps:
        calendar.load_bookings(
            (days[0] - timedelta(days=outside), days[1] + timedelta(days=outside))
        )
        request = _request(
            session,
            calendar,
            now=now,
            first=first,
            limit=_DAY_OF_STARTS,
            days=days,
            due=max(target, today),
            outside_days=outside,
            prefer=prefer,
        )
        found = _find(calendar, request)
        if found.slots:
            break
    return found


def days_from_window(session: Session, start: datetime, tz) -> int:
    """How many days an appointment at `start` lies outside the session's window
    (negative: before it)."""
    return session.days_outside(timezone.localdate(start, tz))


def window_label(session: Session, start: datetime, tz) -> str:
    """How an appointment at `start` sits against the session's window: "" inside it,
    else "3 days after its window"."""
    return outside_label(days_from_window(session, start, tz))


def outside_label(days: int) -> str:
    """ "3 days after its window", "1 day before its window", or "" inside it."""
    if not days:
        return ""
    count = abs(days)
    return f"{count} day{'s' if count != 1 else ''} {'after' if days > 0 else 'before'} its window"
