"""Free-slot arithmetic: where can one session go?

A start time is a slot for a clinician and a room when, for the whole session length
*plus the clinic's buffer*, the clinic is open (its hours minus closures), the clinician
works (their hours minus time off) and has no booking, the room is available and has no
booking, and the patient has no booking. Starts sit on a grid counted on the clinic's
wall clock (every 15 minutes from local midnight by default).

Pure: no Django, no clock. The service loads rows, turns them into the frozen dataclasses
below and calls `find_slots`; "now" reaches this module only as `SlotRequest.not_before`.

Times are aware datetimes (UTC preferred: comparisons across zones cost a conversion).
Spans are half-open, `[start, end)`. Wall-clock hours become instants in exactly one
place, `local_span`/`_wall_to_utc`, so a day with a DST change has the right hours.

Speed: free time is computed once per clinician and room as sorted span lists (linear
sweeps), then the grid is stepped only inside free spans, day by day outward from the due
date, stopping as soon as `limit` slots are found. Existing bookings are never scanned per
grid step.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import repeat
from operator import attrgetter, itemgetter, sub
from zoneinfo import ZoneInfo

CLOSED = "The clinic is closed on every day of this window."
NO_CLINICIAN = "No clinician who performs this method works in this window."
NO_ROOM = "No room equipped for this method is available in this window."
TOO_CLOSE = "No time in this window keeps the minimum spacing from the plan's other sessions."
NOT_PREFERRED = "No time in this window matches the patient's preferences."
FULLY_BOOKED = "Every suitable time in this window is already booked."

ONE_DAY = timedelta(days=1)
_FOREVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open stretch of time `[start, end)` between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Span needs aware datetimes.")
        if not self.start < self.end:
            raise ValueError(f"Span must end after it starts: {self.start} .. {self.end}.")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Wall-clock hours on one weekday (0 = Monday). Two rows on a day make a break."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Resource:
    """A clinician or a room, as the search sees it.

    `available`: when it can be used at all (for a clinician: working hours minus time
    off, see `available_spans`; for a room: usually the whole search range, or the open
    hours). `busy`: its existing bookings as booked, *without* the buffer: the search adds
    the clinic's buffer after each one itself, so the buffer rule lives in one place.
    """

    id: int
    available: tuple[Span, ...]
    busy: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Preference:
    """The patient's wish, e.g. "Tuesdays after 17:00".

    `weekdays`: allowed weekdays of the start (empty: any day). The session itself (not
    the buffer) must start at or after `after` and end at or before `before`, local time.
    """

    weekdays: frozenset[int] = frozenset()
    after: time | None = None
    before: time | None = None

    def __post_init__(self) -> None:
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError("Weekdays run from 0 (Monday) to 6 (Sunday).")
        if self.after is not None and self.before is not None and self.before <= self.after:
            raise ValueError("A preferred part of the day must end after it starts.")


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotRequest:
    """One session to place.

    `earliest`/`latest`/`due`: the session's window, local dates; a slot's start must fall
    on a local date inside it. `not_before`: the start may not be earlier (spacing from the
    previous booked session, and "now"). `not_after`: the session must *end* by then
    (spacing to the next booked session). Both also apply to the slots offered outside the
    window, and so does the preference: only the dates are relaxed there.
    """

    earliest: date
    latest: date
    due: date
    length: timedelta
    buffer: timedelta
    tz: ZoneInfo
    grid_minutes: int = 15
    not_before: datetime | None = None
    not_after: datetime | None = None
    preference: Preference | None = None
    prefer_clinician_id: int | None = None
    prefer_room_id: int | None = None
    limit: int = 10
    outside_days: int = 14

    def __post_init__(self) -> None:
        if self.latest < self.earliest:
            raise ValueError("A session window must not end before it starts.")
        if self.length <= timedelta(0) or self.buffer < timedelta(0):
            raise ValueError("A session needs a positive length and a non-negative buffer.")
        if self.grid_minutes <= 0 or self.limit <= 0 or self.outside_days < 0:
            raise ValueError("Grid and limit must be positive, outside days not negative.")


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start. `end` is the end of the session; the buffer follows it."""

    start: datetime
    end: datetime
    clinician_id: int
    room_id: int
    in_window: bool


@dataclass(frozen=True, slots=True)
class SlotSearch:
    """The slots found, best first, and why none fitted in the window (None if some did)."""

    slots: tuple[Slot, ...]
    reason: str | None = None


# --- wall clock -> instants -------------------------------------------------------------


@lru_cache(maxsize=8192)
def _wall_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `wall` on `day` in `tz`.

    A repeated wall time (clocks going back, Paris 2026-10-25 02:00-03:00) means its
    first occurrence (fold=0), so an opening hour starts as early as it can. A wall time
    that does not exist (clocks jumping forward, Paris 2026-03-29 02:00-03:00) moves
    forward to the first instant that exists, the jump itself (03:00 local): a clinic
    "opening at 02:30" that night opens when the clocks say 03:00.
    """
    local = datetime.combine(day, wall, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap the two folds give the instants either side of the jump; bisect to it.
    low, high = sorted((instant, local.replace(fold=1).astimezone(UTC)))
    after_jump = high.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after_jump:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def local_moment(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The instant a clock in `tz` shows `wall` on `day` (see `_wall_to_utc` for times
    that do not exist or happen twice), aware, in UTC."""
    return _wall_to_utc(day, wall, tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return _wall_to_utc(day, time(0), tz)


def _local_span(day: date, opens: time, closes: time, tz: ZoneInfo) -> Span | None:
    if closes <= opens:
        raise ValueError(f"Hours must close after they open: {opens}-{closes}.")
    start, end = _wall_to_utc(day, opens, tz), _wall_to_utc(day, closes, tz)
    return Span(start, end) if start < end else None


def local_span(day: date, opens: time, closes: time, tz: ZoneInfo) -> Span:
    """Wall-clock hours on `day` in `tz` as a UTC span.

    On DST days the span has its real length: 09:00-19:00 is 10 hours, but 00:00-06:00
    is 5 hours on spring-forward night and 7 on fall-back night. See `_wall_to_utc` for
    times that do not exist or happen twice. Raises ValueError if `closes <= opens`, or
    if the hours fall entirely inside a DST gap.
    """
    span = _local_span(day, opens, closes, tz)
    if span is None:
        raise ValueError(f"{opens}-{closes} does not exist on {day} in {tz}.")
    return span


def _days(first_day: date, last_day: date) -> Iterator[date]:
    day = first_day
    while day <= last_day:
        yield day
        day += ONE_DAY


def weekly_spans(
    hours: Sequence[WeeklyHours], first_day: date, last_day: date, tz: ZoneInfo
) -> list[Span]:
    """Weekly hours laid out on the days `first_day..last_day` (inclusive), merged."""
    by_weekday: dict[int, list[WeeklyHours]] = {}
    for row in hours:
        by_weekday.setdefault(row.weekday, []).append(row)
    spans = []
    for day in _days(first_day, last_day):
        for row in by_weekday.get(day.weekday(), ()):
            span = _local_span(day, row.opens, row.closes, tz)
            if span is not None:
                spans.append(span)
    return merge(spans)


def day_spans(first_day: date, last_day: date, tz: ZoneInfo) -> list[Span]:
    """Whole local days `first_day..last_day` (inclusive), e.g. a closure; 23 or 25 hours
    long on DST days."""
    if last_day < first_day:
        return []
    return [Span(_day_start(first_day, tz), _day_end(last_day, tz))]


# A closure or time off may reach the ends of Python's calendar (a row typed before
# the clinic bounded its dates): its span then starts or ends at the calendar's end
# rather than overflowing.
_DAWN = datetime.min.replace(tzinfo=UTC)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    try:
        return _midnight(day, tz)
    except OverflowError:
        return _DAWN


def _day_end(day: date, tz: ZoneInfo) -> datetime:
    if day == date.max:
        return _FOREVER
    try:
        return _midnight(day + ONE_DAY, tz)
    except OverflowError:
        return _FOREVER


def available_spans(
    hours: Sequence[WeeklyHours],
    away: Iterable[Span],
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
) -> list[Span]:
    """Weekly hours minus time away: the clinic's open hours minus closures (pass
    `day_spans` for each closure), or a clinician's working hours minus time off."""
    return subtract(weekly_spans(hours, first_day, last_day, tz), away)


# --- span algebra -------------------------------------------------------------------------
# The sweeps work on (start, end) pairs: the search runs them over thousands of bookings
# and a tuple costs a fraction of a validated Span.

type _Pairs = list[tuple[datetime, datetime]]
type _Resources = list[tuple[int, _Free]]


def _pairs(spans: Iterable[Span]) -> _Pairs:
    return _merged(sorted((span.start, span.end) for span in spans))


def _spans(pairs: _Pairs) -> list[Span]:
    return [Span(start, end) for start, end in pairs]


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint spans covering the same time; touching spans are joined."""
    return _spans(_pairs(spans))


def intersect(a: Iterable[Span], b: Iterable[Span]) -> list[Span]:
    """Time covered by both `a` and `b`, as sorted disjoint spans. Any input order."""
    return _spans(_intersect(_pairs(a), _pairs(b)))


def subtract(a: Iterable[Span], b: Iterable[Span]) -> list[Span]:
    """Time covered by `a` but not by `b`, as sorted disjoint spans. Any input order."""
    return _spans(_subtract(_pairs(a), _pairs(b)))


def _merged(ordered: Iterable[tuple[datetime, datetime]]) -> _Pairs:
    # `ordered` by start. Touching pairs join: [9:00, 10:00) + [10:00, 11:00) is one.
    out: _Pairs = []
    for start, end in ordered:
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _intersect(a: _Pairs, b: _Pairs) -> _Pairs:
    # Both merged. One sweep: always advance the pair that ends first.
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        (a_start, a_end), (b_start, b_end) = a[i], b[j]
        start = max(a_start, b_start)
        end = min(a_end, b_end)
        if start < end:
            out.append((start, end))
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return out


def _subtract(a: _Pairs, b: _Pairs) -> _Pairs:
    # Both merged. `j` only moves forward, past the pairs of `b` wholly before the current
    # pair of `a`; those overlapping it are cut out one by one.
    out = []
    j = 0
    for a_start, a_end in a:
        while j < len(b) and b[j][1] <= a_start:
            j += 1
        start = a_start
        k = j
        while k < len(b) and b[k][0] < a_end:
            if b[k][0] > start:
                out.append((start, b[k][0]))
            start = max(start, b[k][1])
            k += 1
        if start < a_end:
            out.append((start, a_end))
    return out


# --- the search ---------------------------------------------------------------------------


class _Free:
    """Merged free time with its starts and ends as separate lists, for bisect."""

    __slots__ = ("ends", "starts")

    def __init__(self, pairs: _Pairs) -> None:
        self.starts = [start for start, _ in pairs]
        self.ends = [end for _, end in pairs]

    def holds(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end


class _Bookings:
    """Existing bookings of one clinician, room or patient, sorted by start once per
    search, so each day picks its own with bisect instead of sweeping them all."""

    __slots__ = ("bookings", "buffer", "reach")

    def __init__(self, busy: Iterable[Span], buffer: timedelta) -> None:
        self.bookings = sorted(busy, key=_by_start)
        self.buffer = buffer
        # How long before an instant a booking may start and still block it.
        longest = max(
            map(sub, map(_end, self.bookings), map(_by_start, self.bookings)),
            default=timedelta(0),
        )
        self.reach = longest + buffer

    def cut_from(self, free: _Pairs, start: datetime, end: datetime) -> _Pairs:
        """`free`, lying within [start, end), minus the bookings. A booking [b0, b1) keeps
        its clinician, room and patient busy until b1 + buffer: nobody starts straight
        after it, and a new session's own buffer must end by b0."""
        low = bisect_left(self.bookings, start - self.reach, key=_by_start)
        high = bisect_left(self.bookings, end, key=_by_start)
        return _cut(free, self.bookings[low:high], self.buffer)


def _cut(free: _Pairs, bookings: Sequence[Span], buffer: timedelta) -> _Pairs:
    # `free` merged; `bookings` sorted by start but free to overlap, each extended by the
    # buffer on the fly: no merged copy of the bookings is ever built.
    out = []
    j = 0
    for free_start, free_end in free:
        while j < len(bookings) and bookings[j].end + buffer <= free_start:
            j += 1
        start = free_start
        k = j
        while k < len(bookings) and bookings[k].start < free_end:
            if bookings[k].start > start:
                out.append((start, bookings[k].start))
            start = max(start, bookings[k].end + buffer)
            k += 1
        if start < free_end:
            out.append((start, free_end))
    return out


def _clip(pairs: _Pairs, start: datetime, end: datetime) -> _Pairs:
    # The merged pairs that overlap [start, end), by bisect.
    first = bisect_right(pairs, start, key=_second)
    return pairs[first : bisect_left(pairs, end, lo=first, key=_first)]


_first = itemgetter(0)
_second = itemgetter(1)
_by_start = attrgetter("start")
_end = attrgetter("end")


def _align_up(instant: datetime, grid_us: int, tz: ZoneInfo) -> datetime:
    # The grid counts on the wall clock from local midnight: 09:00, 09:15... also on DST
    # days. Stepping in UTC keeps alignment except across a jump, hence the loop.
    while True:
        local = instant.astimezone(tz)
        since_midnight = (
            (local.hour * 60 + local.minute) * 60 + local.second
        ) * 1_000_000 + local.microsecond
        remainder = since_midnight % grid_us
        if not remainder:
            return instant
        instant += timedelta(microseconds=grid_us - remainder)


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Where starts may lie on one day: `low <= start < high` and
    `start + length + buffer <= end_limit`."""

    low: datetime
    high: datetime
    end_limit: datetime


class _Search:
    """One call of `find_slots`: its inputs sorted once, then searched day by day."""

    def __init__(
        self,
        request: SlotRequest,
        open_hours: Iterable[Span],
        clinicians: Sequence[Resource],
        rooms: Sequence[Resource],
        patient_busy: Iterable[Span],
    ) -> None:
        self.request = request
        self.occupied = request.length + request.buffer
        self.open_hours = _pairs(open_hours)
        self.patient = _Bookings(patient_busy, request.buffer)
        self.clinicians = [
            (c.id, _pairs(c.available), _Bookings(c.busy, request.buffer))
            for c in _prefer(clinicians, request.prefer_clinician_id)
        ]
        self.rooms = [
            (r.id, _pairs(r.available), _Bookings(r.busy, request.buffer))
            for r in _prefer(rooms, request.prefer_room_id)
        ]

    def bounds(self, day: date, *, spacing: bool = True, preference: bool = True) -> _Bounds | None:
        """Where a start on `day` may lie; None if nowhere. Spacing and preference become
        plain limits here, so the grid is never stepped through times they rule out."""
        request, tz = self.request, self.request.tz
        low, high, end_limit = _midnight(day, tz), _midnight(day + ONE_DAY, tz), _FOREVER
        if spacing:
            if request.not_before is not None:
                low = max(low, request.not_before)
            if request.not_after is not None:
                end_limit = request.not_after + request.buffer
        wish = request.preference
        if preference and wish is not None:
            if wish.weekdays and day.weekday() not in wish.weekdays:
                return None
            if wish.after is not None:
                low = max(low, _wall_to_utc(day, wish.after, tz))
            if wish.before is not None:
                end_limit = min(end_limit, _wall_to_utc(day, wish.before, tz) + request.buffer)
        if low >= high or low + self.occupied > end_limit:
            return None
        return _Bounds(low, high, end_limit)

    def starts(self, free: _Free, bounds: _Bounds) -> Iterator[datetime]:
        """Grid starts inside `free` within one day's bounds, in time order."""
        grid_us = self.request.grid_minutes * 60_000_000
        grid = timedelta(microseconds=grid_us)
        occupied, tz = self.occupied, self.request.tz
        i = bisect_right(free.ends, bounds.low)
        while i < len(free.starts) and free.starts[i] < bounds.high:
            latest = min(free.ends[i], bounds.end_limit) - occupied
            start = _align_up(max(free.starts[i], bounds.low), grid_us, tz)
            while start < bounds.high and start <= latest:
                yield start
                start = _align_up(start + grid, grid_us, tz)
            i += 1

    def slots(self, days: Iterable[date], *, in_window: bool) -> list[Slot]:
        """Up to `limit` slots, trying `days` in the order given."""
        found: list[Slot] = []
        for day in days:
            bounds = self.bounds(day)
            if bounds is not None:
                found += self.day_slots(bounds, self.request.limit - len(found), in_window)
            if len(found) >= self.request.limit:
                break
        return found

    def day_slots(self, bounds: _Bounds, wanted: int, in_window: bool) -> list[Slot]:
        """Slots starting within one day's bounds, in time order. Each start goes to the
        first clinician (in priority order) who has a free room then, and the first such
        room; free time is worked out for this day only, and rooms only once needed."""
        first, last = bounds.low, min(bounds.high + self.occupied, bounds.end_limit)
        open_hours = _clip(self.open_hours, first, last)
        streams = []
        for rank, (_, available, bookings) in enumerate(self.clinicians):
            free = _intersect(open_hours, _clip(available, first, last))
            if free:
                free = self.patient.cut_from(bookings.cut_from(free, first, last), first, last)
            if free:
                streams.append(zip(self.starts(_Free(free), bounds), repeat(rank), strict=False))
        rooms: _Resources | None = None
        found: list[Slot] = []
        taken = None
        for start, rank in heapq.merge(*streams):
            if start == taken:
                continue
            if rooms is None:
                rooms = [
                    (room_id, _Free(bookings.cut_from(_clip(available, first, last), first, last)))
                    for room_id, available, bookings in self.rooms
                ]
            end = start + self.occupied
            room_id = next((room_id for room_id, room in rooms if room.holds(start, end)), None)
            if room_id is None:
                continue
            clinician_id = self.clinicians[rank][0]
            found.append(Slot(start, start + self.request.length, clinician_id, room_id, in_window))
            taken = start
            if len(found) >= wanted:
                break
        return found

    def has_start(
        self, pairs: _Pairs, days: Sequence[date], *, spacing: bool, preference: bool
    ) -> bool:
        free = _Free(pairs)
        for day in days:
            bounds = self.bounds(day, spacing=spacing, preference=preference)
            if bounds is not None and next(self.starts(free, bounds), None) is not None:
                return True
        return False

    def reason(self, days: Sequence[date]) -> str:
        """Why the window has no slot: the first filter, in this order, that leaves no
        start at all, bookings aside; if none does, the bookings are to blame."""
        tz = self.request.tz
        horizon = (_midnight(min(days), tz), _midnight(max(days) + ONE_DAY, tz) + self.occupied)
        candidates = _intersect(self.open_hours, [horizon])
        if not self.has_start(candidates, days, spacing=False, preference=False):
            return CLOSED
        candidates = _intersect(
            candidates, _merged(sorted(p for _, available, _ in self.clinicians for p in available))
        )
        if not self.has_start(candidates, days, spacing=False, preference=False):
            return NO_CLINICIAN
        candidates = _intersect(
            candidates, _merged(sorted(p for _, available, _ in self.rooms for p in available))
        )
        if not self.has_start(candidates, days, spacing=False, preference=False):
            return NO_ROOM
        if not self.has_start(candidates, days, spacing=True, preference=False):
            return TOO_CLOSE
        if not self.has_start(candidates, days, spacing=True, preference=True):
            return NOT_PREFERRED
        return FULLY_BOOKED


def nearest_in_time(found: Sequence[Slot], wall: time, tz: ZoneInfo) -> Slot:
    """Of the slots on the first day found (the nearest day), the one starting closest to
    `wall` on that day: a moved appointment keeps its time of day where it can."""
    day = found[0].start.astimezone(tz).date()
    target = local_moment(day, wall, tz)
    same_day = [slot for slot in found if slot.start.astimezone(tz).date() == day]
    return min(same_day, key=lambda slot: (abs(slot.start - target), slot.start))


def _prefer(resources: Sequence[Resource], preferred_id: int | None) -> list[Resource]:
    # Stable: the caller's order stands, the preferred one goes first.
    return sorted(resources, key=lambda resource: resource.id != preferred_id)


def find_slots(
    request: SlotRequest,
    *,
    open_hours: Sequence[Span],
    clinicians: Sequence[Resource],
    rooms: Sequence[Resource],
    patient_busy: Sequence[Span] = (),
) -> SlotSearch:
    """Slots for one session, closest to the due date first.

    `open_hours`: the clinic's hours minus closures (`available_spans`). `clinicians`: only
    those who perform the plan's method; `rooms`: only those with its equipment; both in
    the order the clinic prefers them (`prefer_*_id` goes first). `busy` and
    `patient_busy` are bookings as booked; the buffer is added here.

    Days are tried by their distance from `due`, the earlier of two equally distant days
    first, and times within a day in order. Each start time is offered once, with the first
    clinician free then and the first room free with them.

    When nothing fits the window, `reason` says why and the slots are the nearest outside
    it, within `outside_days` of it, nearest first, marked `in_window=False`.
    """
    if not clinicians:
        return SlotSearch((), NO_CLINICIAN)
    if not rooms:
        return SlotSearch((), NO_ROOM)
    search = _Search(request, open_hours, clinicians, rooms, patient_busy)

    window = sorted(
        _days(request.earliest, request.latest),
        key=lambda day: (abs((day - request.due).days), day),
    )
    found = search.slots(window, in_window=True)
    if found:
        return SlotSearch(tuple(found), None)

    reach = timedelta(days=request.outside_days)
    outside = sorted(
        [
            *_days(request.earliest - reach, request.earliest - ONE_DAY),
            *_days(request.latest + ONE_DAY, request.latest + reach),
        ],
        key=lambda day: (max((request.earliest - day).days, (day - request.latest).days), day),
    )
    return SlotSearch(tuple(search.slots(outside, in_window=False)), search.reason(window))
