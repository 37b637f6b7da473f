"""Booking: where a session can go, booking it, moving it, and never double booking.

The arithmetic is `plans.slots` (pure); this module loads the few rows it needs, in a
number of queries that does not depend on how many bookings the clinic holds, and writes
bookings in one transaction each.

Double booking is refused by the database itself: on PostgreSQL by exclusion
constraints (migration 0002), on SQLite because every write transaction is IMMEDIATE
(settings), so the overlap check below and the write that follows cannot interleave with
another booking's. Either way the loser of a race gets `SLOT_TAKEN`.
"""

import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.models import (
    Clinician,
    ClinicSettings,
    Closure,
    Contraindication,
    Room,
    TimeOff,
)
from patients.models import Screening
from plans import engine, slots
from plans.calendar import clinic_calendar
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
OUTSIDE_DAYS = 14


# --- reading the calendar ---------------------------------------------------------------


def _by_start(span: slots.Span):
    # A key, not the dataclass's own ordering: sorting thousands of spans by `__lt__`
    # costs more than the whole slot search.
    return span.start, span.end


class Calendar:
    """The clinic over some days, for one plan: who can do its method and when, which
    rooms can host it (the standing calendar, `plans.calendar`, no query), and the
    bookings of a range of days (`load_bookings`, one query each time, bounded on
    `starts_at` so it reads only those days whatever the history)."""

    def __init__(
        self,
        *,
        plan: TreatmentPlan,
        clinic: ClinicSettings,
        exclude_pk: int | None = None,
    ):
        self.plan, self.clinic, self.tz = plan, clinic, clinic.tz
        self.exclude_pk = exclude_pk
        self.standing = clinic_calendar(clinic)
        method_id = plan.protocol.method_id
        # The plan's own clinician is tried first: patients like to see the same doctor.
        self.clinician_ids = sorted(
            self.standing.clinician_ids(method_id), key=lambda pk: (pk != plan.clinician_id, pk)
        )
        self.room_ids = self.standing.room_ids(method_id)
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
        self.open_hours = [span for day in days for span in standing.open_on(day, tz)]
        self.available = {
            pk: [span for day in days for span in standing.works_on(pk, day, tz)]
            for pk in self.clinician_ids
        }
        self.prepared = ranges

    def covers(self, first: date, last: date) -> bool:
        return any(a <= first and last <= b for a, b in self.prepared or ())

    def load_bookings(self, *ranges: tuple[date, date]) -> None:
        """The bookings that hold a clinician, room or the patient on these days (one
        query for all the ranges)."""
        self.prepare(ranges)
        exclude = [self.exclude_pk] if self.exclude_pk is not None else []
        parts = [
            _Holds(
                *_day_bounds(first, last, self.tz),
                self.clinician_ids,
                self.room_ids,
                self.plan.patient_id,
            )
            for first, last in self.prepared
        ]
        columns = ("clinician", "room", "patient", "starts_at", "ends_at")
        sql, params = _holding(parts, columns=columns, exclude=exclude)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [
                (clinician_id, room_id, patient_id, _aware(starts_at), _aware(ends_at))
                for clinician_id, room_id, patient_id, starts_at, ends_at in cursor.fetchall()
            ]
        rows.sort(key=lambda row: row[3])
        by_clinician, by_room, patient = defaultdict(list), defaultdict(list), []
        for clinician_id, room_id, patient_id, starts_at, ends_at in rows:
            span = slots.Span(starts_at, ends_at)
            by_clinician[clinician_id].append(span)
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

    def works(self, clinician_id: int, start: datetime, end: datetime) -> bool:
        """Whether the clinic is open and the clinician at work for all of [start, end)."""
        spans = self.available.get(clinician_id, ())
        return any(span.start <= start and end <= span.end for span in spans)


@dataclass(frozen=True)
class _Holds:
    """Sessions holding some time in [start, end) for one of these clinicians or rooms,
    or the patient."""

    start: datetime
    end: datetime
    clinician_ids: Sequence[int]
    room_ids: Sequence[int]
    patient_id: int


def _holding(
    parts: Sequence[_Holds], *, columns: Sequence[str], exclude: Sequence[int]
) -> tuple[str, list]:
    """The SQL and parameters selecting `columns` of the live sessions each part names,
    but those in `exclude`.

    One bounded select per part, joined by UNION ALL: each uses the (status, starts_at)
    index, where one select with OR-ed ranges scans the table. Written as SQL because
    the ORM took ten times longer to build these selects than the database takes to
    answer them, and the calendar runs them for every search and every booking.
    """
    column = _session_columns()
    occupying = [status.value for status in Session.OCCUPYING]
    adapt = connection.ops.adapt_datetimefield_value
    selected = ", ".join(column[name] for name in columns)
    excluded = f" AND {column['id']} NOT IN ({_placeholders(exclude)})" if exclude else ""
    selects, params = [], []
    for part in parts:
        holders = [
            (column[name], ids)
            for name, ids in (
                ("clinician", part.clinician_ids),
                ("room", part.room_ids),
                ("patient", [part.patient_id]),
            )
            if ids
        ]
        selects.append(
            f"SELECT {selected} FROM {column['table']}"
            f" WHERE {column['status']} IN ({_placeholders(occupying)}){excluded}"
            f" AND {column['starts_at']} >= %s AND {column['starts_at']} < %s"
            f" AND {column['blocks_until']} > %s"
            f" AND ({' OR '.join(f'{name} IN ({_placeholders(ids)})' for name, ids in holders)})"
        )
        # No session lasts a day: the lower bound on starts_at lets the index do the work.
        params += [*occupying, *exclude]
        params += [adapt(part.start - timedelta(days=1)), adapt(part.end), adapt(part.start)]
        params += [pk for _, ids in holders for pk in ids]
    return " UNION ALL ".join(selects), params


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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


# --- spacing from the plan's other sessions ----------------------------------------------


def _phase_of(phases: Sequence[engine.Phase], number: int) -> engine.Phase:
    return phases[min(number, len(phases)) - 1]


def spacing_bounds(
    session: Session,
    others: Iterable["Session | Neighbour"],
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
        if s.number < session.number and s.starts_at and s.status in Session.OCCUPYING
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
    bounds: tuple[datetime | None, datetime | None],
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
        not_before=_latest(now, bounds[0]),
        not_after=bounds[1],
        preference=preference,
        prefer_clinician_id=prefer.clinician_id if prefer else plan.clinician_id,
        prefer_room_id=prefer.room_id if prefer else session.room_id,
        limit=limit,
        outside_days=outside_days,
    )


def _find(calendar: Calendar, request: slots.SlotRequest, clinician=None, room=None):
    clinicians, rooms = calendar.resources(clinician=clinician, room=room)
    return slots.find_slots(
        request,
        open_hours=calendar.open_hours,
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=calendar.patient_busy,
    )


def _load_plan(plan_id: int) -> TreatmentPlan:
    return (
        TreatmentPlan.objects.select_related("protocol__method")
        .prefetch_related("phases")
        .get(pk=plan_id)
    )


class Neighbour(NamedTuple):
    """What spacing needs of another session of the plan (a `Session` will do too)."""

    number: int
    phase: int
    status: str
    starts_at: datetime | None


def _neighbours(session: Session) -> list[Neighbour]:
    """The plan's other sessions, as spacing sees them: no model to build for each."""
    rows = (
        Session.objects.filter(plan_id=session.plan_id)
        .exclude(pk=session.pk)
        .order_by()
        .values_list("number", "phase", "status", "starts_at")
    )
    return [Neighbour(*row) for row in rows]


def _siblings(plan: TreatmentPlan, session: Session) -> list[Session]:
    return list(
        plan.sessions.exclude(pk=session.pk)
        .order_by()
        .only("number", "phase", "status", "starts_at", "optional")
    )


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
    Bookings are read in widening steps (the due day, the window, the days around it),
    as most searches are answered by the first.
    """
    now = now or timezone.now()
    plan = _load_plan(session.plan_id)
    session.plan = plan
    clinic = ClinicSettings.load()
    today = timezone.localdate(now, clinic.tz)
    bounds = spacing_bounds(session, _neighbours(session), plan.phase_values(), clinic.tz)
    if session.latest < today:
        days = (today, today + timedelta(days=OUTSIDE_DAYS))
        calendar = Calendar(plan=plan, clinic=clinic, exclude_pk=session.pk)
        calendar.load_bookings(days)
        request = _request(
            session, calendar, now=now, bounds=bounds, limit=limit, days=days, due=today
        )
        found = _find(calendar, request, clinician, room)
        return slots.SlotSearch(
            tuple(replace(slot, in_window=False) for slot in found.slots), OVERDUE
        )
    calendar = Calendar(plan=plan, clinic=clinic, exclude_pk=session.pk)
    window = (session.earliest, session.latest)
    for days, outside in [((session.due, session.due), 0), (window, 0), (window, OUTSIDE_DAYS)]:
        calendar.load_bookings(
            (days[0] - timedelta(days=outside), days[1] + timedelta(days=outside))
        )
        request = _request(
            session, calendar, now=now, bounds=bounds, limit=limit, days=days, outside_days=outside
        )
        found = _find(calendar, request, clinician, room)
        enough = len(found.slots) >= limit if days != window else bool(found.slots)
        if enough or outside:
            return found
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


def _check_free(
    session: Session,
    starts_at: datetime,
    clinician: Clinician,
    room: Room,
    *,
    now: datetime,
    calendar: Calendar,
    others: Sequence[Session],
    skip_overlaps: bool = False,
) -> None:
    """Refuse with SLOT_TAKEN unless `starts_at` is free for this clinician, room and patient.

    `skip_overlaps`: the caller checks overlaps with bookings itself, for several at once.

    Read inside the booking's transaction: on SQLite it holds the write lock, so nothing
    can be booked between this check and the write; on PostgreSQL the exclusion
    constraints catch what a concurrent transaction slips in.
    """
    clinic = calendar.clinic
    length = timedelta(minutes=session.plan.protocol.session_minutes)
    hold_until = starts_at + length + timedelta(minutes=clinic.buffer_minutes)
    local = starts_at.astimezone(clinic.tz)
    calendar.prepare([(local.date(), local.date())])
    on_grid = (local.hour * 60 + local.minute) % clinic.slot_grid_minutes == 0
    not_before, not_after = spacing_bounds(session, others, session.plan.phase_values(), clinic.tz)
    if (
        not on_grid
        or local.second
        or local.microsecond
        or starts_at < _latest(now, not_before)
        or (not_after is not None and starts_at + length > not_after)
        or clinician.pk not in calendar.clinician_ids
        or room.pk not in calendar.room_ids
        or not calendar.works(clinician.pk, starts_at, hold_until)
    ):
        raise ValidationError(SLOT_TAKEN, code="slot_taken")
    if not skip_overlaps:
        _check_no_overlap([(session, starts_at, hold_until, clinician, room)])


def _check_no_overlap(bookings: Sequence[tuple]) -> None:
    """One query: does any live booking overlap these (session, start, hold_until,
    clinician, room), for the same clinician, room or patient?"""
    parts = [
        _Holds(starts_at, hold_until, [clinician.pk], [room.pk], session.patient_id)
        for session, starts_at, hold_until, clinician, room in bookings
    ]
    mine = [session.pk for session, *_ in bookings]
    sql, params = _holding(parts, columns=["id"], exclude=mine)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM ({sql}) AS clashes LIMIT 1", params)
        if cursor.fetchone() is not None:
            raise ValidationError(SLOT_TAKEN, code="slot_taken")


@functools.cache
def _session_columns() -> dict[str, str]:
    """The session table and the columns the calendar's SQL needs, quoted."""
    quote = connection.ops.quote_name
    names = ["id", "status", "starts_at", "ends_at", "blocks_until", "clinician", "room", "patient"]
    columns = {name: quote(Session._meta.get_field(name).column) for name in names}
    return {"table": quote(Session._meta.db_table), **columns}


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


BOOKING_FIELDS = [
    "status",
    "starts_at",
    "ends_at",
    "blocks_until",
    "clinician",
    "room",
    "needs_rebooking",
    "updated_at",
]


def _set_booking(session, starts_at, clinician, room, clinic: ClinicSettings) -> None:
    """Book in memory (so later checks of the same request see it); `_save` writes."""
    session.status = Session.Status.BOOKED
    session.starts_at = starts_at
    session.ends_at = starts_at + timedelta(minutes=session.plan.protocol.session_minutes)
    session.blocks_until = session.ends_at + timedelta(minutes=clinic.buffer_minutes)
    session.clinician, session.room = clinician, room
    session.needs_rebooking = False
    session.updated_at = timezone.now()


def _save(sessions: Sequence[Session]) -> None:
    """Write bookings, one UPDATE per session sent as a batch; the database's refusal
    reads as a lost race.

    Not `bulk_update`: its CASE expressions cost more to build than the rest of a whole
    plan's booking. The values go through each field's own preparation, as the ORM's do.
    """
    fields = [Session._meta.get_field(name) for name in BOOKING_FIELDS]
    column = _session_columns()
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {column['table']} SET {assignments} WHERE {column['id']} = %s"
    rows = [
        [field.get_db_prep_save(getattr(session, field.attname), connection) for field in fields]
        + [session.pk]
        for session in sessions
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    except IntegrityError as error:
        raise ValidationError(SLOT_TAKEN, code="slot_taken") from error


def _write_booking(session, starts_at, clinician, room, clinic: ClinicSettings) -> None:
    _set_booking(session, starts_at, clinician, room, clinic)
    _save([session])


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
        clinic = ClinicSettings.load()
        calendar = Calendar(plan=session.plan, clinic=clinic, exclude_pk=session.pk)
        others = _siblings(session.plan, session)
        return _book_checked(session, starts_at, clinician, room, now, calendar, others)


def _lock_session(session: Session) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    session.plan = _load_plan(session.plan_id)
    _lock_plan(session)
    return session


def _lock_plan(session: Session) -> None:
    # Two clerks booking neighbouring sessions of one plan must not both pass the
    # spacing check: the plan row serialises them (SQLite serialises every write anyway).
    list(TreatmentPlan.objects.select_for_update().filter(pk=session.plan_id).values("pk"))


def _check_bookable(
    session, starts_at, clinician, room, now, calendar, others, *, skip_overlaps=False
) -> None:
    if starts_at < now:
        raise ValidationError({"starts_at": IN_THE_PAST})
    if clinician.pk not in calendar.clinician_ids or room.pk not in calendar.room_ids:
        _check_resources(session.plan, clinician, room)  # says which and why
    _check_free(
        session,
        starts_at,
        clinician,
        room,
        now=now,
        calendar=calendar,
        others=others,
        skip_overlaps=skip_overlaps,
    )


def _book_checked(session, starts_at, clinician, room, now, calendar, others) -> Session:
    """Book once the plan's safety is known: status, time, resources, free slot, write."""
    if session.status != Session.Status.PLANNED:
        raise ValidationError(NOT_PLANNED.format(status=session.get_status_display().lower()))
    _check_bookable(session, starts_at, clinician, room, now, calendar, others)
    _write_booking(session, starts_at, clinician, room, calendar.clinic)
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
        session = _lock_session(session)
        if session.status != Session.Status.BOOKED:
            raise ValidationError(NOT_BOOKED.format(status=session.get_status_display().lower()))
        _check_safe(session.plan)
        clinic = ClinicSettings.load()
        others = sorted(_siblings(session.plan, session), key=lambda s: s.number)
        # Later bookings do not bound the move: they are reported, to be re-booked.
        earlier = [s for s in others if s.number < session.number]
        later = [s for s in others if s.number > session.number and s.status in LIVE]
        calendar = Calendar(plan=session.plan, clinic=clinic, exclude_pk=session.pk)
        _check_bookable(session, starts_at, clinician, room, now, calendar, earlier)
        _write_booking(session, starts_at, clinician, room, clinic)
        phases = session.plan.phase_values()
        conflicts = []
        previous_day = timezone.localdate(starts_at, clinic.tz)
        for following in later:
            booked_day = timezone.localdate(following.starts_at, clinic.tz)
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


def _with_placements(sessions, placed: dict[int, slots.Slot]) -> list:
    """The plan's sessions as they would be with the proposal's placements booked."""
    return [
        Neighbour(s.number, s.phase, Session.Status.BOOKED, placed[s.pk].start)
        if s.pk in placed
        else s
        for s in sessions
    ]


def plan_propose(*, plan: TreatmentPlan, now: datetime | None = None) -> Proposal:
    """Place every required session not booked yet, in order, each in its window.

    Each keeps the protocol's spacing from the one placed or booked before it, with the
    same clinician and room where possible. Hours and staff are read once; bookings per
    session, its due day first, then its window: the query count grows with the plan's
    sessions, never with the clinic's bookings.
    """
    now = now or timezone.now()
    plan = _load_plan(plan.pk)
    _check_safe(plan)
    clinic = ClinicSettings.load()
    today = timezone.localdate(now, clinic.tz)
    sessions = list(plan.sessions.order_by("number"))
    for session in sessions:
        session.plan = plan
    todo = [s for s in sessions if s.status == Session.Status.PLANNED and not s.optional]
    placements, failures = [], []
    placed: dict[int, slots.Slot] = {}
    overdue = [s for s in todo if s.latest < today]
    failures.extend((s, OVERDUE) for s in overdue)
    todo = [s for s in todo if s.latest >= today]
    if not todo:
        return Proposal(placements, failures)
    calendar = Calendar(plan=plan, clinic=clinic)
    phases = plan.phase_values()
    for index, session in enumerate(todo):
        others = _with_placements([s for s in sessions if s.pk != session.pk], placed)
        bounds = spacing_bounds(session, others, phases, clinic.tz)
        prefer = placements[-1][1] if placements else None
        for days in [(session.due, session.due), (session.earliest, session.latest)]:
            if not calendar.covers(*days):
                # The due days of the sessions still to place are read together.
                calendar.load_bookings(days, *[(s.due, s.due) for s in todo[index + 1 :]])
            request = _request(
                session, calendar, now=now, bounds=bounds, limit=1, days=days, prefer=prefer
            )
            found = _find(calendar, request)
            if found.slots:
                break
        if found.slots:
            slot = found.slots[0]
            placements.append((session, slot))
            placed[session.pk] = slot
            calendar.add_booking(slot)
        else:
            failures.append((session, found.reason or slots.FULLY_BOOKED))
    failures.sort(key=lambda failure: failure[0].number)
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
    Each placement is checked as a single booking would be, then all of them against the
    calendar in one query, and written in one statement.
    """
    now = now or timezone.now()
    if not placements:
        return []
    plan = _load_plan(plan.pk)
    _lock_plan(placements[0][0])
    _check_safe(plan)
    clinic = ClinicSettings.load()
    wanted = {p.clinician_id for _, p in placements}
    clinicians = {c.pk: c for c in Clinician.objects.filter(pk__in=wanted)}
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={p.room_id for _, p in placements})}
    sessions = list(plan.sessions.select_for_update().order_by("number"))
    current = {s.pk: s for s in sessions}
    calendar = Calendar(plan=plan, clinic=clinic)
    bookings = []
    for proposed, slot in placements:
        session = current.get(proposed.pk)
        if session is None or (session.earliest, session.latest) != (
            proposed.earliest,
            proposed.latest,
        ):
            raise ValidationError(PROPOSAL_STALE)
        if session.status != Session.Status.PLANNED:
            raise ValidationError(NOT_PLANNED.format(status=session.get_status_display().lower()))
        session.plan = plan
        clinician, room = clinicians[slot.clinician_id], rooms[slot.room_id]
        others = [s for s in sessions if s.pk != session.pk]
        _check_bookable(
            session, slot.start, clinician, room, now, calendar, others, skip_overlaps=True
        )
        # Booked in memory at once, so the next placement keeps its spacing from it.
        _set_booking(session, slot.start, clinician, room, clinic)
        bookings.append((session, session.starts_at, session.blocks_until, clinician, room))
    ordered = sorted(bookings, key=lambda booking: booking[1])
    if any(b[1] < a[2] for a, b in itertools.pairwise(ordered)):
        raise ValidationError(SLOT_TAKEN, code="slot_taken")  # the proposal overlaps itself
    _check_no_overlap(bookings)
    booked = [booking[0] for booking in bookings]
    _save(booked)
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
