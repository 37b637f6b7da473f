"""The clinic's standing calendar, read once per process and kept until it changes.

Opening hours, closures, who works when and performs which method, time off, and which
rooms hold which equipment change a few times a month; every slot search and booking
needs them, and every opening of the schedule needs the hours, the closures and the
names of its columns (the active clinicians and rooms). Reading them costs nine queries,
and laying them out on days costs more than the search itself, so each process keeps one
copy, with each day's free hours worked out once.

The copy belongs to a token, `ClinicSettings.calendar_token`, which every change to those
rows replaces (the signals `plans.apps` connects for each of `WATCHED`), in the same
transaction as the change. The settings row is read by every request and every booking,
so each worker sees a change at once and rebuilds its copy: there is no time during which
a stale copy is used. Writes that send no signals (`bulk_create`, `QuerySet.update`) on
these models must call `calendar_changed()` themselves.
"""

import threading
import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from clinic.models import (
    Clinician,
    ClinicSettings,
    Closure,
    Equipment,
    Method,
    OpeningHours,
    Room,
    TimeOff,
    WorkingHours,
)
from plans import slots

# What the standing calendar is made of: `_read` reads these models and many-to-many
# fields and, besides, only the clinicians' users (their names, renewed by `user_saved`);
# `tests/plans/test_calendar_signals.py` checks it reads nothing else. Every save and
# delete of each model and every change to each field renews the token (`plans.apps`).
# Methods and equipment are read only through the fields, but deleting one deletes its
# rows there without an m2m signal.
WATCHED = (OpeningHours, Closure, WorkingHours, TimeOff, Clinician, Room, Equipment, Method)
WATCHED_M2M = (Clinician.methods, Room.equipment, Method.required_equipment)

# Each process keeps at most this many (clinician or clinic, day) layouts; a clinic
# searching years ahead starts again from empty rather than growing without end.
MEMO_LIMIT = 50_000


@dataclass(frozen=True)
class Performer:
    """An active clinician: the methods they perform, their weekly hours, their time off
    (sorted by start)."""

    methods: frozenset[int]
    hours: tuple[slots.WeeklyHours, ...]
    away: tuple[slots.Span, ...]
    away_starts: tuple = ()  # the starts of `away`, for bisecting
    longest_away: timedelta = timedelta(0)


class Closed(NamedTuple):
    """A closure, as the schedule's banner names it."""

    first_day: date
    last_day: date
    name: str


class Listed(NamedTuple):
    """An active clinician or room, as the schedule heads its column."""

    pk: int
    name: str
    detail: str  # a clinician's specialty
    order: tuple  # its place: by last and first name, or by room name, whatever the case


@dataclass
class ClinicCalendar:
    token: uuid.UUID
    opening: tuple[slots.WeeklyHours, ...]
    closures: tuple[Closed, ...]  # by first day
    performers: dict[int, Performer]
    rooms: tuple[tuple[int, frozenset[int]], ...]  # active rooms by name, with equipment
    required: dict[int, frozenset[int]]  # method -> the equipment its room needs
    clinicians: tuple[Listed, ...] = ()  # the active ones, in the schedule's order
    room_columns: tuple[Listed, ...] = ()  # the active rooms, by name
    _memo: dict = field(default_factory=dict, repr=False)

    def closed_between(self, first: date, last: date) -> list[Closed]:
        return [c for c in self.closures if c.first_day <= last and c.last_day >= first]

    def opening_on(self, weekday: int | None = None) -> tuple[time, time] | None:
        """The earliest opening and latest closing of a weekday (of any day if None), or
        None when the clinic keeps no hours then."""
        hours = [h for h in self.opening if weekday is None or h.weekday == weekday]
        if not hours:
            return None
        return min(h.opens for h in hours), max(h.closes for h in hours)

    def clinician_ids(self, method_id: int) -> list[int]:
        return [pk for pk, p in self.performers.items() if method_id in p.methods]

    def room_ids(self, method_id: int) -> list[int]:
        needed = self.required.get(method_id, frozenset())
        return [pk for pk, equipment in self.rooms if needed <= equipment]

    def open_on(self, day: date, tz: ZoneInfo) -> list[slots.Span]:
        """The clinic's open hours on `day`, closures taken out."""
        key = (None, day, tz.key)
        spans = self._memo.get(key)
        if spans is None:
            closed = slots.day_spans(day, day, tz) if self.closed_between(day, day) else []
            spans = slots.available_spans(self.opening, closed, day, day, tz)
            self._remember(key, spans)
        return spans

    def works_on(self, clinician_id: int, day: date, tz: ZoneInfo) -> list[slots.Span]:
        """When this clinician can treat on `day`: at work, not away, the clinic open."""
        key = (clinician_id, day, tz.key)
        spans = self._memo.get(key)
        if spans is None:
            performer = self.performers.get(clinician_id)
            if performer is None:
                spans = []
            else:
                whole_day = slots.day_spans(day, day, tz)[0]
                # Time off that can reach this day: starting before its end, and not
                # before its start minus the longest time off.
                low = bisect_left(
                    performer.away_starts, _minus(whole_day.start, performer.longest_away)
                )
                high = bisect_left(performer.away_starts, whole_day.end)
                away = [s for s in performer.away[low:high] if s.end > whole_day.start]
                spans = slots.intersect(
                    slots.available_spans(performer.hours, away, day, day, tz),
                    self.open_on(day, tz),
                )
            self._remember(key, spans)
        return spans

    def _remember(self, key, spans: list[slots.Span]) -> None:
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = spans


def _minus(instant: datetime, length: timedelta) -> datetime:
    """`instant - length`, or the calendar's first instant: time off as long as the
    calendar itself (an old row from year 1) must not make every search overflow."""
    try:
        return instant - length
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


_lock = threading.Lock()
_current: ClinicCalendar | None = None


def clinic_calendar(clinic: ClinicSettings) -> ClinicCalendar:
    """The standing calendar as of `clinic` (its settings row, read by the caller)."""
    global _current
    current = _current
    if current is not None and current.token == clinic.calendar_token:
        return current
    with _lock:
        if _current is None or _current.token != clinic.calendar_token:
            _current = _read(clinic.calendar_token)
        return _current


def _read(token: uuid.UUID) -> ClinicCalendar:
    """Nine small queries; the token was read before them, so the rows are at least as new
    as the token says."""
    methods: dict[int, set[int]] = defaultdict(set)
    for clinician_id, method_id in Clinician.methods.through.objects.filter(
        clinician__is_active=True
    ).values_list("clinician_id", "method_id"):
        methods[clinician_id].add(method_id)
    hours: dict[int, list[slots.WeeklyHours]] = defaultdict(list)
    for clinician_id, weekday, starts, ends in (
        WorkingHours.objects.filter(clinician__is_active=True)
        .order_by()
        .values_list("clinician_id", "weekday", "starts", "ends")
    ):
        hours[clinician_id].append(slots.WeeklyHours(weekday, starts, ends))
    away: dict[int, list[slots.Span]] = defaultdict(list)
    for clinician_id, starts_at, ends_at in (
        TimeOff.objects.filter(clinician__is_active=True)
        .order_by("starts_at")
        .values_list("clinician_id", "starts_at", "ends_at")
    ):
        away[clinician_id].append(slots.Span(starts_at, ends_at))
    performers = {}
    for pk in sorted(methods.keys() | hours.keys()):
        spans = tuple(away.get(pk, ()))
        performers[pk] = Performer(
            methods=frozenset(methods.get(pk, ())),
            hours=tuple(hours.get(pk, ())),
            away=spans,
            away_starts=tuple(span.start for span in spans),
            longest_away=max((span.end - span.start for span in spans), default=timedelta(0)),
        )
    equipment: dict[int, set[int]] = defaultdict(set)
    for room_id, equipment_id in Room.equipment.through.objects.values_list(
        "room_id", "equipment_id"
    ):
        equipment[room_id].add(equipment_id)
    required: dict[int, set[int]] = defaultdict(set)
    for method_id, equipment_id in Method.required_equipment.through.objects.values_list(
        "method_id", "equipment_id"
    ):
        required[method_id].add(equipment_id)
    rooms = list(Room.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))
    return ClinicCalendar(
        token=token,
        opening=tuple(
            slots.WeeklyHours(*row)
            for row in OpeningHours.objects.order_by().values_list("weekday", "opens", "closes")
        ),
        closures=tuple(
            Closed(*row)
            for row in Closure.objects.order_by("first_day").values_list(
                "first_day", "last_day", "name"
            )
        ),
        performers=performers,
        rooms=tuple((pk, frozenset(equipment.get(pk, ()))) for pk, _ in rooms),
        required={pk: frozenset(ids) for pk, ids in required.items()},
        clinicians=listed_clinicians(Clinician.objects.filter(is_active=True)),
        room_columns=tuple(listed_room(pk, name) for pk, name in rooms),
    )


def listed_clinicians(clinicians) -> tuple[Listed, ...]:
    """`clinicians` (a queryset) as the schedule heads their columns, in its order."""
    listed = (
        Listed(
            c.pk,
            str(c),
            c.specialty,
            (c.user.last_name.casefold(), c.user.first_name.casefold(), c.pk),
        )
        for c in clinicians.select_related("user")
    )
    return tuple(sorted(listed, key=lambda item: item.order))


def listed_room(pk: int, name: str) -> Listed:
    return Listed(pk, name, "", (name.casefold(), pk))


def user_saved(*, sender, update_fields=None, **_) -> None:
    """A clinician's name lives on their user: renew the calendar when a user is saved,
    but not when a save names only other fields (the last-login stamp of each sign-in, a
    password rehashed)."""
    names = {"first_name", "last_name", sender.USERNAME_FIELD}
    if update_fields is None or names & set(update_fields):
        calendar_changed()


def calendar_changed(*, action: str = "post_", **_) -> None:
    """Give the standing calendar a new token: every process reads it again on next use.

    Connected to the signals of everything in `WATCHED` and `WATCHED_M2M` (`plans.apps`),
    once a many-to-many change is done; call it after a write that sends none.
    """
    if action.startswith("post_"):
        ClinicSettings.objects.filter(pk=1).update(calendar_token=uuid.uuid4())
