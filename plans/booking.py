"""Booking: where a session can go, booking it, moving it, and never double booking.

The arithmetic is `plans.slots` (pure); this module loads the few rows it needs, in a
number of queries that does not depend on how many bookings the clinic holds, and writes
bookings in one transaction each.

Double booking is refused by the database itself: on PostgreSQL by exclusion
constraints (migration 0002), on SQLite because every write transaction is IMMEDIATE
(settings), so the overlap check below and the write that follows cannot interleave with
another booking's. Either way the loser of a race gets `SLOT_TAKEN`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from clinic.models import (
    Clinician,
    ClinicSettings,
    Closure,
    Contraindication,
    OpeningHours,
    Room,
    TimeOff,
)
from patients.models import Screening
from plans import engine, slots
from plans.models import Session, TreatmentPlan

SLOT_TAKEN = (
    "This slot was just taken by another booking. Please choose one of the fresh suggestions."
)
NOT_PLANNED = "Only a planned session can be booked; this one is {status}."
NOT_BOOKED = "Only a booked session can be rescheduled; this one is {status}."
IN_THE_PAST = "A session cannot be booked in the past."
WRONG_CLINICIAN = "{clinician} does not perform {method}."
WRONG_ROOM = "{room} does not have the equipment for {method}."
NOT_SCREENED = "The patient has no screening yet: a clinician must screen them before booking."
CONTRAINDICATED = (
    "Contraindicated ({findings}): a clinician must record an override on the plan, after "
    "the latest screening, before booking."
)
PLAN_NOT_ACTIVE = "This plan is {status}: its sessions can no longer be booked."
OVERDUE = "This session's window has passed: here are the first free times from today."
INACTIVE = "{name} is not active any more."
PROPOSAL_STALE = "The plan changed since the proposal was made; please propose again."

LIVE = (Session.Status.BOOKED, Session.Status.ARRIVED)
# A session marked done early still holds its clinician and room until `blocks_until`.
HOLDING = (*LIVE, Session.Status.DONE)
OUTSIDE_DAYS = 14


# --- reading the calendar ---------------------------------------------------------------


@dataclass
class Calendar:
    """Everything a slot search needs over some days, loaded in a fixed number of queries."""

    clinic: ClinicSettings
    open_hours: list[slots.Span]
    clinicians: list[Clinician]
    rooms: list[Room]
    clinician_available: dict[int, list[slots.Span]]
    busy_by_clinician: dict[int, list[slots.Span]] = field(default_factory=dict)
    busy_by_room: dict[int, list[slots.Span]] = field(default_factory=dict)
    patient_busy: list[slots.Span] = field(default_factory=list)

    def resources(self, *, clinician: Clinician | None, room: Room | None):
        clinicians = [c for c in self.clinicians if clinician is None or c.pk == clinician.pk]
        rooms = [r for r in self.rooms if room is None or r.pk == room.pk]
        return (
            [
                slots.Resource(
                    c.pk,
                    tuple(self.clinician_available.get(c.pk, ())),
                    tuple(self.busy_by_clinician.get(c.pk, ())),
                )
                for c in clinicians
            ],
            [
                slots.Resource(r.pk, tuple(self.open_hours), tuple(self.busy_by_room.get(r.pk, ())))
                for r in rooms
            ],
        )

    def add_booking(self, placement: slots.Slot) -> None:
        """Count a proposed placement as busy for the rest of a whole-plan proposal."""
        span = slots.Span(placement.start, placement.end)
        self.busy_by_clinician.setdefault(placement.clinician_id, []).append(span)
        self.busy_by_room.setdefault(placement.room_id, []).append(span)
        self.patient_busy.append(span)
        for spans in (
            self.busy_by_clinician[placement.clinician_id],
            self.busy_by_room[placement.room_id],
            self.patient_busy,
        ):
            spans.sort()


def _ranges_q(ranges: Sequence[tuple[datetime, datetime]]) -> Q:
    condition = Q()
    for start, end in ranges:
        condition |= Q(starts_at__lt=end, blocks_until__gt=start)
    return condition


def load_calendar(
    *,
    plan: TreatmentPlan,
    days: Sequence[tuple[date, date]],
    exclude_session: Session | None = None,
    clinic: ClinicSettings | None = None,
) -> Calendar:
    """The clinic's hours, staff and bookings over the given day ranges (inclusive).

    Eight queries whatever the size of the clinic's history: bookings are fetched only
    where they overlap the ranges, through the `starts_at` index.
    """
    clinic = clinic or ClinicSettings.load()
    tz = clinic.tz
    method = plan.protocol.method
    first = min(a for a, _ in days)
    last = max(b for _, b in days)
    bounds = [(span.start, span.end) for a, b in days for span in slots.day_spans(a, b, tz)]
    range_start = min(start for start, _ in bounds)
    range_end = max(end for _, end in bounds)

    closures = [
        span
        for c in Closure.objects.filter(first_day__lte=last, last_day__gte=first)
        for span in slots.day_spans(c.first_day, c.last_day, tz)
    ]
    weekly = [slots.WeeklyHours(h.weekday, h.opens, h.closes) for h in OpeningHours.objects.all()]
    open_hours = slots.available_spans(weekly, closures, first, last, tz)

    required = set(method.required_equipment.values_list("pk", flat=True))
    clinicians = list(
        Clinician.objects.filter(methods=method, is_active=True)
        .select_related("user")
        .prefetch_related(
            "hours",
            Prefetch(
                "time_off",
                queryset=TimeOff.objects.filter(starts_at__lt=range_end, ends_at__gt=range_start),
            ),
        )
        .distinct()
    )
    # The plan's own clinician is tried first: patients like to see the same doctor.
    clinicians.sort(key=lambda c: c.pk != plan.clinician_id)
    rooms = [
        room
        for room in Room.objects.filter(is_active=True).prefetch_related("equipment")
        if required <= {item.pk for item in room.equipment.all()}
    ]
    available = {
        c.pk: slots.intersect(
            slots.available_spans(
                [slots.WeeklyHours(h.weekday, h.starts, h.ends) for h in c.hours.all()],
                [slots.Span(t.starts_at, t.ends_at) for t in c.time_off.all()],
                first,
                last,
                tz,
            ),
            open_hours,
        )
        for c in clinicians
    }
    calendar = Calendar(clinic, open_hours, clinicians, rooms, available)

    clinician_ids = [c.pk for c in clinicians]
    room_ids = [r.pk for r in rooms]
    bookings = (
        Session.objects.filter(status__in=HOLDING)
        .filter(_ranges_q(bounds))
        .filter(
            Q(clinician_id__in=clinician_ids)
            | Q(room_id__in=room_ids)
            | Q(patient_id=plan.patient_id)
        )
        .values_list("pk", "clinician_id", "room_id", "patient_id", "starts_at", "ends_at")
    )
    by_clinician, by_room = defaultdict(list), defaultdict(list)
    for pk, clinician_id, room_id, patient_id, starts_at, ends_at in bookings:
        if exclude_session is not None and pk == exclude_session.pk:
            continue
        span = slots.Span(starts_at, ends_at)
        by_clinician[clinician_id].append(span)
        by_room[room_id].append(span)
        if patient_id == plan.patient_id:
            calendar.patient_busy.append(span)
    calendar.busy_by_clinician = {k: sorted(v) for k, v in by_clinician.items()}
    calendar.busy_by_room = {k: sorted(v) for k, v in by_room.items()}
    calendar.patient_busy.sort()
    return calendar


# --- spacing from the plan's other sessions ----------------------------------------------


def _phase_of(phases: Sequence[engine.Phase], number: int) -> engine.Phase:
    return phases[min(number, len(phases)) - 1]


def spacing_bounds(
    session: Session,
    others: Iterable[Session],
    phases: Sequence[engine.Phase],
    tz,
) -> tuple[datetime | None, datetime | None]:
    """The first and last instants the session may take, given the plan's booked neighbours.

    A session comes at least `interval_min - tolerance` after the booked or done one
    before it, and at least that long before the booked one after it (`engine`).
    """
    before = [
        s
        for s in others
        if s.number < session.number and s.starts_at and s.status in (*LIVE, Session.Status.DONE)
    ]
    after = [s for s in others if s.number > session.number and s.starts_at and s.status in LIVE]
    not_before = not_after = None
    if before:
        previous = max(before, key=lambda s: s.number)
        day = engine.earliest_after(
            _phase_of(phases, session.phase), timezone.localdate(previous.starts_at, tz)
        )
        not_before = slots.day_spans(day, day, tz)[0].start
    if after:
        following = min(after, key=lambda s: s.number)
        day = engine.latest_before(
            _phase_of(phases, following.phase), timezone.localdate(following.starts_at, tz)
        )
        not_after = slots.day_spans(day, day, tz)[0].end
    return not_before, not_after


def _latest(*instants: datetime | None) -> datetime | None:
    present = [i for i in instants if i is not None]
    return max(present) if present else None


def _request(
    session: Session,
    calendar: Calendar,
    *,
    now: datetime,
    not_before: datetime | None,
    not_after: datetime | None,
    limit: int,
    earliest: date | None = None,
    latest: date | None = None,
    outside_days: int = OUTSIDE_DAYS,
    prefer: slots.Slot | None = None,
    use_preferences: bool = True,
) -> slots.SlotRequest:
    plan = session.plan
    preference = None
    if use_preferences and (
        plan.preferred_weekdays or plan.preferred_after or plan.preferred_before
    ):
        preference = slots.Preference(
            plan.preferred_weekday_set, plan.preferred_after, plan.preferred_before
        )
    clinic = calendar.clinic
    return slots.SlotRequest(
        earliest=earliest or session.earliest,
        latest=latest or session.latest,
        due=min(max(session.due, earliest or session.due), latest or session.due),
        length=timedelta(minutes=plan.protocol.session_minutes),
        buffer=timedelta(minutes=clinic.buffer_minutes),
        tz=clinic.tz,
        grid_minutes=clinic.slot_grid_minutes,
        not_before=_latest(now, not_before),
        not_after=not_after,
        preference=preference,
        prefer_clinician_id=prefer.clinician_id
        if prefer
        else session.clinician_id or plan.clinician_id,
        prefer_room_id=prefer.room_id if prefer else session.room_id,
        limit=limit,
        outside_days=outside_days,
    )


def _load_plan(plan_id: int) -> TreatmentPlan:
    return (
        TreatmentPlan.objects.select_related("protocol__method", "patient")
        .prefetch_related("phases")
        .get(pk=plan_id)
    )


def _search_range(session: Session, today: date) -> tuple[date, date, bool]:
    """The dates to search: the window, or from today on once the window has passed."""
    if session.latest < today:
        return today, today + timedelta(days=OUTSIDE_DAYS), True
    return session.earliest, session.latest, False


def slot_search(
    *,
    session: Session,
    clinician: Clinician | None = None,
    room: Room | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> slots.SlotSearch:
    """Free slots for a session inside its window, closest to its due date first.

    When nothing fits, the reason and the nearest slots outside the window (marked so).
    An overdue session, whose window has passed, gets the first free times from today.
    """
    now = now or timezone.now()
    plan = _load_plan(session.plan_id)
    session.plan = plan
    tz = ClinicSettings.load().tz
    earliest, latest, overdue = _search_range(session, timezone.localdate(now, tz))
    reach = timedelta(days=0 if overdue else OUTSIDE_DAYS)
    calendar = load_calendar(
        plan=plan, days=[(earliest - reach, latest + reach)], exclude_session=session
    )
    others = plan.sessions.exclude(pk=session.pk).only("number", "phase", "status", "starts_at")
    not_before, not_after = spacing_bounds(session, others, plan.phase_values(), tz)
    clinicians, rooms = calendar.resources(clinician=clinician, room=room)
    request = _request(
        session,
        calendar,
        now=now,
        not_before=not_before,
        not_after=not_after,
        limit=limit,
        earliest=earliest,
        latest=latest,
        outside_days=0 if overdue else OUTSIDE_DAYS,
    )
    found = slots.find_slots(
        request,
        open_hours=calendar.open_hours,
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=calendar.patient_busy,
    )
    if overdue:
        return slots.SlotSearch(
            tuple(replace(slot, in_window=False) for slot in found.slots), OVERDUE
        )
    return found


# --- safety -----------------------------------------------------------------------------


def latest_screening(plan: TreatmentPlan) -> Screening:
    """The screening booking relies on; ValidationError(NOT_SCREENED) when there is none."""
    screening = (
        Screening.objects.filter(patient_id=plan.patient_id)
        .prefetch_related("allergic_to")
        .order_by("-screened_on", "-id")
        .first()
    )
    if screening is None:
        raise ValidationError(NOT_SCREENED)
    return screening


def contraindications(plan: TreatmentPlan, screening: Screening) -> list[str]:
    """The names of what this screening forbids for this plan ([] when nothing).

    A finding applies when its contraindication covers the plan's method (or every
    method), or when one of the plan's products lists it; an allergy to one of the
    plan's products always applies.
    """
    findings = screening.findings()
    product_ids = set(plan.products.values_list("pk", flat=True))
    if {p.pk for p in screening.allergic_to.all()} & product_ids:
        findings.add(Contraindication.Code.PRODUCT_ALLERGY)
    if not findings:
        return []
    described = Contraindication.objects.filter(code__in=findings)
    applying = described.filter(
        Q(methods__isnull=True) | Q(methods=plan.protocol.method_id) | Q(products__in=product_ids)
    ).distinct()
    names = {c.code: c.name for c in applying}
    # A finding the admin has not described still forbids: better a code than a silent miss.
    undescribed = findings - set(described.values_list("code", flat=True))
    return sorted({*names.values(), *(Contraindication.Code(c).label for c in undescribed)})


def _check_safe(plan: TreatmentPlan) -> None:
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError(PLAN_NOT_ACTIVE.format(status=plan.get_status_display().lower()))
    screening = latest_screening(plan)
    found = contraindications(plan, screening)
    if found and not plan.override_covers(screening):
        raise ValidationError(CONTRAINDICATED.format(findings=", ".join(found)))


# --- writing ----------------------------------------------------------------------------


def _check_resources(plan: TreatmentPlan, clinician: Clinician, room: Room) -> None:
    method = plan.protocol.method
    if not clinician.is_active:
        raise ValidationError({"clinician": INACTIVE.format(name=clinician)})
    if not room.is_active:
        raise ValidationError({"room": INACTIVE.format(name=room)})
    if not clinician.methods.filter(pk=method.pk).exists():
        raise ValidationError(
            {"clinician": WRONG_CLINICIAN.format(clinician=clinician, method=method)}
        )
    required = set(method.required_equipment.values_list("pk", flat=True))
    if not required <= set(room.equipment.values_list("pk", flat=True)):
        raise ValidationError({"room": WRONG_ROOM.format(room=room, method=method)})


def _is_free(
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    now: datetime,
    others: Sequence[Session],
) -> bool:
    """Whether `starts_at` is a slot for this clinician and room, read inside the write lock.

    `others`: the plan's sessions whose spacing binds this one.
    """
    plan = session.plan
    day = timezone.localdate(starts_at, ClinicSettings.load().tz)
    calendar = load_calendar(plan=plan, days=[(day, day)], exclude_session=session)
    tz = calendar.clinic.tz
    not_before, not_after = spacing_bounds(session, others, plan.phase_values(), tz)
    clinicians, rooms = calendar.resources(clinician=clinician, room=room)
    # The session's window is advisory here (slots outside it are offered, marked so);
    # hours, bookings, buffer and spacing are not.
    request = _request(
        session,
        calendar,
        now=now,
        not_before=not_before,
        not_after=not_after,
        limit=10_000,
        earliest=day,
        latest=day,
        outside_days=0,
        use_preferences=False,  # preferences guide the search; a clinician may book past them
    )
    found = slots.find_slots(
        request,
        open_hours=calendar.open_hours,
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=calendar.patient_busy,
    )
    return any(slot.start == starts_at for slot in found.slots)


def _write_booking(session: Session, starts_at: datetime, clinician: Clinician, room: Room):
    clinic = ClinicSettings.load()
    session.status = Session.Status.BOOKED
    session.starts_at = starts_at
    session.ends_at = starts_at + timedelta(minutes=session.plan.protocol.session_minutes)
    session.blocks_until = session.ends_at + timedelta(minutes=clinic.buffer_minutes)
    session.clinician, session.room = clinician, room
    session.needs_rebooking = False
    try:
        with transaction.atomic():
            session.save(
                update_fields=[
                    "status",
                    "starts_at",
                    "ends_at",
                    "blocks_until",
                    "clinician",
                    "room",
                    "needs_rebooking",
                    "updated_at",
                ]
            )
    except IntegrityError as error:
        raise ValidationError(SLOT_TAKEN, code="slot_taken") from error


def session_book(
    *,
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    now: datetime | None = None,
) -> Session:
    """Book a planned session at `starts_at` with this clinician and room."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(session)
        _check_safe(session.plan)
        return _book_checked(session, starts_at, clinician, room, now)


def _lock_session(session: Session) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    session.plan = _load_plan(session.plan_id)
    _lock_plan(session)
    return session


def _lock_plan(session: Session) -> None:
    # Two clerks booking neighbouring sessions of one plan must not both pass the
    # spacing check: the plan row serialises them (SQLite serialises every write anyway).
    list(TreatmentPlan.objects.select_for_update().filter(pk=session.plan_id).values("pk"))


def _book_checked(session, starts_at, clinician, room, now) -> Session:
    """Book once the plan's safety is known: status, time, resources, free slot, write."""
    if session.status != Session.Status.PLANNED:
        raise ValidationError(NOT_PLANNED.format(status=session.get_status_display().lower()))
    if starts_at < now:
        raise ValidationError({"starts_at": IN_THE_PAST})
    _check_resources(session.plan, clinician, room)
    others = list(session.plan.sessions.exclude(pk=session.pk))
    if not _is_free(session, starts_at, clinician, room, now, others):
        raise ValidationError(SLOT_TAKEN, code="slot_taken")
    _write_booking(session, starts_at, clinician, room)
    return session


@dataclass(frozen=True)
class Rescheduled:
    session: Session
    conflicts: list[Session]  # later booked sessions now closer than the protocol allows


def session_reschedule(
    *,
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    now: datetime | None = None,
) -> Rescheduled:
    """Move a booked session; list the later bookings the move brings too close.

    The moved session must keep its spacing from the one before; the ones after are
    reported, not refused, so the clinician can re-book them in the same step.
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        session.plan = _load_plan(session.plan_id)
        if session.status != Session.Status.BOOKED:
            raise ValidationError(NOT_BOOKED.format(status=session.get_status_display().lower()))
        if starts_at < now:
            raise ValidationError({"starts_at": IN_THE_PAST})
        _lock_plan(session)
        _check_safe(session.plan)
        _check_resources(session.plan, clinician, room)
        others = list(session.plan.sessions.exclude(pk=session.pk).order_by("number"))
        # Later bookings do not bound the move: they are reported, to be re-booked.
        earlier = [s for s in others if s.number < session.number]
        later = [s for s in others if s.number > session.number and s.status in LIVE]
        if not _is_free(session, starts_at, clinician, room, now, earlier):
            raise ValidationError(SLOT_TAKEN, code="slot_taken")
        _write_booking(session, starts_at, clinician, room)
        tz = ClinicSettings.load().tz
        phases = session.plan.phase_values()
        conflicts = []
        previous_day = timezone.localdate(starts_at, tz)
        for following in later:
            booked_day = timezone.localdate(following.starts_at, tz)
            if booked_day < engine.earliest_after(_phase_of(phases, following.phase), previous_day):
                conflicts.append(following)
            previous_day = booked_day
    return Rescheduled(session, conflicts)


# --- whole plans ------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """Where each session of a plan would go; nothing is saved until `plan_book`."""

    placements: list[tuple[Session, slots.Slot]]
    failures: list[tuple[Session, str]]


def plan_propose(*, plan: TreatmentPlan, now: datetime | None = None) -> Proposal:
    """Place every required session not booked yet, in order, each in its window.

    Each keeps the protocol's spacing from the one placed or booked before it, with the
    same clinician and room where possible. The calendar is read once for all the
    windows, so the query count does not grow with the clinic's bookings.
    """
    now = now or timezone.now()
    plan = _load_plan(plan.pk)
    _check_safe(plan)
    sessions = list(plan.sessions.order_by("number"))
    for session in sessions:
        session.plan = plan
    todo = [s for s in sessions if s.status == Session.Status.PLANNED and not s.optional]
    if not todo:
        return Proposal([], [])
    calendar = load_calendar(plan=plan, days=[(s.earliest, s.latest) for s in todo])
    phases = plan.phase_values()
    tz = calendar.clinic.tz
    placements, failures = [], []
    placed: dict[int, slots.Slot] = {}
    today = timezone.localdate(now, tz)
    for session in todo:
        if session.latest < today:
            failures.append((session, OVERDUE))
            continue
        others = []
        for other in sessions:
            if other.pk == session.pk:
                continue
            if other.pk in placed:
                proxy = Session(
                    number=other.number,
                    phase=other.phase,
                    status=Session.Status.BOOKED,
                    starts_at=placed[other.pk].start,
                )
                others.append(proxy)
            else:
                others.append(other)
        not_before, not_after = spacing_bounds(session, others, phases, tz)
        request = _request(
            session,
            calendar,
            now=now,
            not_before=not_before,
            not_after=not_after,
            limit=1,
            outside_days=0,
            prefer=placements[-1][1] if placements else None,
        )
        clinicians, rooms = calendar.resources(clinician=None, room=None)
        found = slots.find_slots(
            request,
            open_hours=calendar.open_hours,
            clinicians=clinicians,
            rooms=rooms,
            patient_busy=calendar.patient_busy,
        )
        if found.slots and found.slots[0].in_window:
            slot = found.slots[0]
            placements.append((session, slot))
            placed[session.pk] = slot
            calendar.add_booking(slot)
        else:
            failures.append((session, found.reason or slots.FULLY_BOOKED))
    return Proposal(placements, failures)


@transaction.atomic
def plan_book(
    *,
    plan: TreatmentPlan,
    placements: Sequence[tuple[Session, slots.Slot]],
    now: datetime | None = None,
) -> list[Session]:
    """Book a confirmed proposal: every placement or none.

    A slot taken meanwhile, or a plan re-planned since the proposal, undoes it all.
    """
    now = now or timezone.now()
    plan = _load_plan(plan.pk)
    _check_safe(plan)
    wanted = {p.clinician_id for _, p in placements}
    clinicians = {c.pk: c for c in Clinician.objects.filter(pk__in=wanted)}
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={p.room_id for _, p in placements})}
    current = {
        s.pk: s
        for s in plan.sessions.select_for_update().filter(pk__in=[s.pk for s, _ in placements])
    }
    booked = []
    for proposed, slot in placements:
        session = current.get(proposed.pk)
        if session is None or (session.earliest, session.latest) != (
            proposed.earliest,
            proposed.latest,
        ):
            raise ValidationError(PROPOSAL_STALE)
        session.plan = plan
        booked.append(
            _book_checked(
                session, slot.start, clinicians[slot.clinician_id], rooms[slot.room_id], now
            )
        )
    return booked


# --- closures and time off --------------------------------------------------------------


def flag_bookings_between(
    starts_at: datetime, ends_at: datetime, *, clinician: Clinician | None = None
) -> int:
    """Mark the live bookings in a new closure or time off as needing rebooking.

    They are never moved or cancelled silently: reception sees them and calls the patients.
    """
    bookings = Session.objects.filter(status__in=LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if clinician is not None:
        bookings = bookings.filter(clinician=clinician)
    return bookings.update(needs_rebooking=True)


def flag_bookings_in_closure(closure: Closure) -> int:
    tz = ClinicSettings.load().tz
    span = slots.day_spans(closure.first_day, closure.last_day, tz)[0]
    return flag_bookings_between(span.start, span.end)


def flag_bookings_in_time_off(time_off: TimeOff) -> int:
    return flag_bookings_between(time_off.starts_at, time_off.ends_at, clinician=time_off.clinician)
