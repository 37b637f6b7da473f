"""Free slots for one session: hours, breaks, closures, time off, buffer, grid, DST days
in Paris, clinicians, rooms, the patient's own bookings, spacing, preferences, ordering
and the explanation when nothing fits. No database: plain dataclasses in and out."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.slots import (
    CLOSED,
    FULLY_BOOKED,
    NO_CLINICIAN,
    NO_ROOM,
    NOT_PREFERRED,
    TOO_CLOSE,
    Preference,
    Resource,
    SlotRequest,
    SlotSearch,
    Span,
    WeeklyHours,
    available_spans,
    day_spans,
    find_slots,
    intersect,
    local_span,
    merge,
    subtract,
    weekly_spans,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 6, 1)
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = (
    MONDAY + timedelta(days=n) for n in range(1, 7)
)
SPRING_FORWARD = date(2026, 3, 29)  # Paris: 02:00 jumps to 03:00
FALL_BACK = date(2026, 10, 25)  # Paris: 03:00 goes back to 02:00
FIRST, LAST = date(2026, 3, 1), date(2026, 11, 30)

# Weekdays 09:00-12:30 and 14:00-19:00 (a lunch break), Saturday morning, closed Sunday.
CLINIC_HOURS = [
    *(WeeklyHours(day, time(9), time(12, 30)) for day in range(5)),
    *(WeeklyHours(day, time(14), time(19)) for day in range(5)),
    WeeklyHours(5, time(9), time(13)),
]
AROUND_THE_CLOCK = [WeeklyHours(day, time(0), time(23, 59)) for day in range(7)]


def at(day: date, wall: str) -> datetime:
    hour, minute = map(int, wall.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def span(day: date, opens: str, closes: str) -> Span:
    return Span(at(day, opens), at(day, closes))


def clinic_open(*closures: tuple[date, date], hours=CLINIC_HOURS) -> list[Span]:
    closed = [s for first, last in closures for s in day_spans(first, last, PARIS)]
    return available_spans(hours, closed, FIRST, LAST, PARIS)


def clinician(id=1, *, off=(), busy=(), hours=CLINIC_HOURS) -> Resource:
    return Resource(id, tuple(available_spans(hours, off, FIRST, LAST, PARIS)), tuple(busy))


def room(id=10, *, busy=()) -> Resource:
    return Resource(id, tuple(day_spans(FIRST, LAST, PARIS)), tuple(busy))


def session(**changes) -> SlotRequest:
    fields = {
        "earliest": MONDAY,
        "latest": MONDAY,
        "due": MONDAY,
        "length": timedelta(minutes=45),
        "buffer": timedelta(minutes=15),
        "tz": PARIS,
        "limit": 500,
    } | changes
    return SlotRequest(**fields)


def search(request=None, *, open_hours=None, clinicians=None, rooms=None, patient_busy=()):
    return find_slots(
        request or session(),
        open_hours=clinic_open() if open_hours is None else open_hours,
        clinicians=[clinician()] if clinicians is None else clinicians,
        rooms=[room()] if rooms is None else rooms,
        patient_busy=patient_busy,
    )


def times(result: SlotSearch) -> list[str]:
    return [slot.start.astimezone(PARIS).strftime("%H:%M") for slot in result.slots]


def days_and_times(result: SlotSearch) -> list[str]:
    return [slot.start.astimezone(PARIS).strftime("%a %H:%M") for slot in result.slots]


def quarter_hours(first: str, last: str) -> list[str]:
    start, end = at(MONDAY, first), at(MONDAY, last)
    return [(start + timedelta(minutes=15 * n)).strftime("%H:%M") for n in range(100)][
        : (end - start) // timedelta(minutes=15) + 1
    ]


# --- hours, breaks, closures and the wall clock -------------------------------------------


def test_a_lunch_break_splits_the_day_into_two_opening_spans():
    assert weekly_spans(CLINIC_HOURS, MONDAY, MONDAY, PARIS) == [
        Span(datetime(2026, 6, 1, 7, tzinfo=UTC), datetime(2026, 6, 1, 10, 30, tzinfo=UTC)),
        Span(datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 17, tzinfo=UTC)),
    ]


def test_nine_oclock_is_eight_utc_in_winter_and_seven_in_summer():
    assert local_span(date(2026, 1, 5), time(9), time(10), PARIS).start == datetime(
        2026, 1, 5, 8, tzinfo=UTC
    )
    assert local_span(MONDAY, time(9), time(10), PARIS).start == datetime(2026, 6, 1, 7, tzinfo=UTC)


def test_an_opening_time_lost_to_the_spring_jump_opens_when_clocks_say_three():
    night = local_span(SPRING_FORWARD, time(2, 30), time(4), PARIS)

    assert night.start == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert night.start.astimezone(PARIS).strftime("%H:%M") == "03:00"
    assert night.end - night.start == timedelta(hours=1)


def test_an_opening_time_that_happens_twice_in_autumn_means_the_first_time():
    night = local_span(FALL_BACK, time(2, 30), time(4), PARIS)

    assert night.start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert night.end - night.start == timedelta(hours=2, minutes=30)


def test_hours_wholly_inside_the_spring_jump_do_not_exist():
    with pytest.raises(ValueError, match="does not exist"):
        local_span(SPRING_FORWARD, time(2, 10), time(2, 50), PARIS)
    hours = [WeeklyHours(6, time(2, 10), time(2, 50))]
    assert weekly_spans(hours, SPRING_FORWARD, SPRING_FORWARD, PARIS) == []


def test_hours_that_close_before_they_open_are_refused():
    with pytest.raises(ValueError, match="close after they open"):
        local_span(MONDAY, time(19), time(9), PARIS)


def test_a_closure_covers_whole_local_days_of_23_or_25_hours_on_dst_days():
    [spring] = day_spans(SPRING_FORWARD, SPRING_FORWARD, PARIS)
    [autumn] = day_spans(FALL_BACK, FALL_BACK, PARIS)
    [week] = day_spans(MONDAY, SUNDAY, PARIS)

    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert (week.start, week.end) == (at(MONDAY, "00:00"), at(SUNDAY + timedelta(days=1), "00:00"))
    assert day_spans(TUESDAY, MONDAY, PARIS) == []


def test_time_off_is_cut_out_of_working_hours():
    hours = weekly_spans(CLINIC_HOURS, MONDAY, MONDAY, PARIS)
    dentist = span(MONDAY, "11:00", "15:00")

    assert subtract(hours, [dentist]) == [
        span(MONDAY, "09:00", "11:00"),
        span(MONDAY, "15:00", "19:00"),
    ]
    assert intersect(hours, [dentist]) == [
        span(MONDAY, "11:00", "12:30"),
        span(MONDAY, "14:00", "15:00"),
    ]


def test_merge_joins_touching_and_overlapping_spans_in_any_order():
    assert merge(
        [
            span(MONDAY, "14:00", "15:00"),
            span(MONDAY, "09:00", "10:00"),
            span(MONDAY, "10:00", "11:00"),
            span(MONDAY, "14:30", "16:00"),
        ]
    ) == [span(MONDAY, "09:00", "11:00"), span(MONDAY, "14:00", "16:00")]


def test_a_span_must_be_aware_and_end_after_it_starts():
    with pytest.raises(ValueError, match="aware"):
        Span(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))
    with pytest.raises(ValueError, match="end after"):
        span(MONDAY, "10:00", "09:00")


# --- the grid and the buffer --------------------------------------------------------------


def test_sessions_start_every_quarter_hour_and_end_with_their_buffer_before_closing():
    result = search()

    # 45 minutes + 15 minutes of buffer: the last morning start is 11:30, the last
    # afternoon start 18:00; nothing runs into the lunch break.
    assert times(result) == quarter_hours("09:00", "11:30") + quarter_hours("14:00", "18:00")
    assert result.reason is None
    assert all(slot.in_window for slot in result.slots)


def test_a_slot_ends_with_the_session_and_the_buffer_follows_it():
    first = search().slots[0]

    assert first.end - first.start == timedelta(minutes=45)
    assert (first.clinician_id, first.room_id) == (1, 10)


def test_a_clinic_on_a_ten_minute_grid_offers_ten_minute_starts():
    result = search(session(grid_minutes=10))

    assert times(result)[:4] == ["09:00", "09:10", "09:20", "09:30"]
    assert times(result)[-1] == "18:00"


def test_the_grid_counts_from_local_midnight_not_from_the_opening_time():
    hours = [WeeklyHours(0, time(9, 5), time(12))]

    result = search(open_hours=clinic_open(hours=hours), clinicians=[clinician(hours=hours)])

    assert times(result)[0] == "09:15"


def test_the_buffer_keeps_the_clinician_free_after_and_before_a_booking():
    booked = span(MONDAY, "10:00", "10:45")

    result = search(clinicians=[clinician(busy=[booked])])

    # Before: 09:00 + 45 + 15 buffer = 10:00. After: 10:45 + 15 buffer = 11:00.
    assert times(result)[:3] == ["09:00", "11:00", "11:15"]


def test_without_a_buffer_sessions_follow_back_to_back():
    booked = span(MONDAY, "10:00", "10:45")

    result = search(session(buffer=timedelta(0)), clinicians=[clinician(busy=[booked])])

    assert times(result)[:6] == ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]


# --- closures, time off, clinicians, rooms, the patient -----------------------------------


def test_a_window_crossing_a_bank_holiday_skips_the_closed_day():
    result = search(
        session(earliest=MONDAY, latest=WEDNESDAY, due=TUESDAY),
        open_hours=clinic_open((TUESDAY, TUESDAY)),
    )

    assert {slot.start.astimezone(PARIS).date() for slot in result.slots} == {MONDAY, WEDNESDAY}
    assert result.reason is None


def test_a_window_crossing_a_closed_week_finds_the_days_it_is_open():
    result = search(
        session(earliest=MONDAY, latest=THURSDAY, due=TUESDAY, limit=3),
        open_hours=clinic_open((MONDAY, WEDNESDAY)),
    )

    assert days_and_times(result) == ["Thu 09:00", "Thu 09:15", "Thu 09:30"]


def test_a_clinician_off_in_the_afternoon_is_offered_only_in_the_morning():
    result = search(clinicians=[clinician(off=[span(MONDAY, "12:00", "19:00")])])

    # The session and its buffer must be over by the time off.
    assert times(result) == quarter_hours("09:00", "11:00")


def test_a_colleague_takes_the_times_the_first_clinician_is_booked():
    dr_martin = clinician(1, busy=[span(MONDAY, "09:00", "12:30")])
    dr_bernard = clinician(2)

    result = search(session(limit=2), clinicians=[dr_martin, dr_bernard])

    assert [
        (t, slot.clinician_id) for t, slot in zip(times(result), result.slots, strict=True)
    ] == [
        ("09:00", 2),
        ("09:15", 2),
    ]


def test_each_start_time_is_offered_once_even_when_two_clinicians_are_free():
    result = search(clinicians=[clinician(1), clinician(2)], rooms=[room(10), room(11)])

    assert len(times(result)) == len(set(times(result)))
    assert {slot.clinician_id for slot in result.slots} == {1}


def test_the_preferred_clinician_and_room_are_offered_first():
    result = search(
        session(prefer_clinician_id=2, prefer_room_id=11),
        clinicians=[clinician(1), clinician(2)],
        rooms=[room(10), room(11)],
    )

    assert {(slot.clinician_id, slot.room_id) for slot in result.slots} == {(2, 11)}


def test_a_booked_room_sends_the_session_to_the_other_device_room():
    result = search(
        session(limit=1),
        rooms=[room(10, busy=[span(MONDAY, "09:00", "10:00")]), room(11)],
    )

    assert (times(result), result.slots[0].room_id) == (["09:00"], 11)


def test_with_every_equipped_room_booked_there_is_no_slot_then():
    booked = [span(MONDAY, "09:00", "12:30")]

    result = search(rooms=[room(10, busy=booked), room(11, busy=booked)])

    assert times(result)[0] == "14:00"


def test_a_patient_already_booked_elsewhere_is_never_booked_twice():
    at_the_laser_clinic = span(MONDAY, "10:00", "11:00")

    result = search(patient_busy=[at_the_laser_clinic])

    assert "09:00" in times(result)
    assert not {"09:15", "09:30", "09:45", "10:00", "10:30", "11:00"} & set(times(result))
    assert "11:15" in times(result)


# --- spacing and preferences --------------------------------------------------------------


def test_no_slot_before_the_spacing_from_the_previous_session_allows():
    result = search(session(not_before=at(MONDAY, "15:10")))

    assert times(result)[0] == "15:15"


def test_the_session_must_end_before_the_spacing_to_the_next_one_runs_out():
    result = search(session(not_after=at(MONDAY, "12:00")))

    assert times(result) == quarter_hours("09:00", "11:15")


def test_a_patient_who_wants_tuesdays_after_five_gets_tuesdays_after_five():
    result = search(
        session(
            earliest=MONDAY,
            latest=FRIDAY,
            due=WEDNESDAY,
            preference=Preference(weekdays=frozenset({1}), after=time(17)),
        )
    )

    assert days_and_times(result) == [
        "Tue 17:00",
        "Tue 17:15",
        "Tue 17:30",
        "Tue 17:45",
        "Tue 18:00",
    ]


def test_a_morning_patient_is_done_by_noon():
    result = search(session(preference=Preference(before=time(12))))

    assert times(result) == quarter_hours("09:00", "11:15")


# --- ordering -----------------------------------------------------------------------------


def test_days_closest_to_the_due_date_come_first_the_earlier_of_two_first():
    result = search(session(earliest=MONDAY, latest=FRIDAY, due=WEDNESDAY))

    days = list(dict.fromkeys(slot.start.astimezone(PARIS).date() for slot in result.slots))
    assert days == [WEDNESDAY, TUESDAY, THURSDAY, MONDAY, FRIDAY]
    wednesday = [slot.start for slot in result.slots if slot.start.date() == WEDNESDAY]
    assert wednesday == sorted(wednesday)


def test_the_search_stops_at_the_limit():
    result = search(session(earliest=MONDAY, latest=FRIDAY, due=THURSDAY, limit=3))

    assert days_and_times(result) == ["Thu 09:00", "Thu 09:15", "Thu 09:30"]


# --- when nothing fits --------------------------------------------------------------------


def test_no_clinician_performs_the_method():
    result = search(clinicians=[])

    assert result == SlotSearch((), NO_CLINICIAN)


def test_no_room_has_the_electrodermoporation_device():
    result = search(rooms=[])

    assert result == SlotSearch((), NO_ROOM)


def test_a_window_on_a_sunday_offers_saturday_and_monday_outside_it():
    result = search(session(earliest=SUNDAY, latest=SUNDAY, due=SUNDAY, limit=3))

    assert result.reason == CLOSED
    # Saturday and the next Monday are both one day away: the earlier comes first.
    assert days_and_times(result) == ["Sat 09:00", "Sat 09:15", "Sat 09:30"]
    assert not any(slot.in_window for slot in result.slots)


def test_the_clinician_on_holiday_all_window_is_explained_and_the_next_week_offered():
    holiday = day_spans(MONDAY, FRIDAY, PARIS)

    result = search(
        session(earliest=MONDAY, latest=FRIDAY, due=WEDNESDAY, limit=1),
        clinicians=[clinician(off=holiday)],
    )

    assert result.reason == NO_CLINICIAN
    assert days_and_times(result) == ["Sat 09:00"]


def test_a_fully_booked_day_is_explained_and_the_nearest_free_time_offered():
    result = search(
        session(limit=1),
        clinicians=[clinician(busy=[span(MONDAY, "08:00", "20:00")])],
    )

    # Sunday (closed) and Tuesday are both one day from Monday.
    assert result.reason == FULLY_BOOKED
    assert days_and_times(result) == ["Tue 09:00"]


def test_spacing_that_rules_out_the_whole_window_is_explained():
    result = search(session(not_before=at(TUESDAY, "09:00"), limit=1))

    assert result.reason == TOO_CLOSE
    assert days_and_times(result) == ["Tue 09:00"]
    assert not result.slots[0].in_window


def test_a_preference_the_window_cannot_meet_is_explained():
    result = search(session(preference=Preference(weekdays=frozenset({1})), limit=1))

    assert result.reason == NOT_PREFERRED
    assert days_and_times(result) == ["Tue 09:00"]


def test_nothing_outside_either_when_the_outside_search_is_switched_off():
    result = search(session(earliest=SUNDAY, latest=SUNDAY, due=SUNDAY, outside_days=0))

    assert result == SlotSearch((), CLOSED)


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="window"):
        session(earliest=TUESDAY, latest=MONDAY)


# --- DST days in Paris --------------------------------------------------------------------


def test_sunday_hours_on_spring_forward_day_start_an_hour_earlier_in_utc():
    hours = [WeeklyHours(day, time(9), time(12)) for day in (5, 6)]
    saturday = SPRING_FORWARD - timedelta(days=1)

    result = search(
        session(earliest=saturday, latest=SPRING_FORWARD, due=SPRING_FORWARD, limit=100),
        open_hours=clinic_open(hours=hours),
        clinicians=[clinician(hours=hours)],
    )

    firsts = {}
    for slot in result.slots:
        firsts.setdefault(slot.start.astimezone(PARIS).date(), slot.start.astimezone(UTC))
    assert firsts == {
        SPRING_FORWARD: datetime(2026, 3, 29, 7, tzinfo=UTC),
        saturday: datetime(2026, 3, 28, 8, tzinfo=UTC),
    }
    assert times(result)[:3] == ["09:00", "09:15", "09:30"]


def night_slots(day: date) -> SlotSearch:
    hours = [WeeklyHours(day.weekday(), time(0), time(6))]
    return search(
        session(
            earliest=day, latest=day, due=day, length=timedelta(minutes=15), buffer=timedelta(0)
        ),
        open_hours=clinic_open(hours=hours),
        clinicians=[clinician(hours=hours)],
    )


def test_no_slot_at_a_wall_time_that_does_not_exist_on_spring_forward_night():
    result = night_slots(SPRING_FORWARD)

    # 00:00-06:00 lasts five hours that night: twenty quarter hours, none at 02:xx.
    assert len(result.slots) == 20
    assert not [t for t in times(result) if t.startswith("02:")]
    assert times(result)[7:9] == ["01:45", "03:00"]
    steps = {b.start - a.start for a, b in zip(result.slots, result.slots[1:], strict=False)}
    assert steps == {timedelta(minutes=15)}


def test_the_repeated_hour_on_fall_back_night_is_offered_twice():
    result = night_slots(FALL_BACK)

    # 00:00-06:00 lasts seven hours that night; 02:15 happens twice, an hour apart.
    assert len(result.slots) == 28
    twice = [slot.start for slot in result.slots if times(SlotSearch((slot,)))[0] == "02:15"]
    assert len(twice) == 2
    assert twice[1] - twice[0] == timedelta(hours=1)


# --- laws ---------------------------------------------------------------------------------

BASE = datetime(2026, 6, 1, tzinfo=UTC)
minute_spans = st.lists(
    st.tuples(st.integers(0, 120), st.integers(1, 40)).map(
        lambda pair: Span(BASE + timedelta(minutes=pair[0]), BASE + timedelta(minutes=sum(pair)))
    ),
    max_size=8,
)


def minutes(spans: list[Span]) -> set[int]:
    return {
        minute
        for s in spans
        for minute in range(
            (s.start - BASE) // timedelta(minutes=1), (s.end - BASE) // timedelta(minutes=1)
        )
    }


def sorted_and_apart(spans: list[Span]) -> bool:
    return all(a.end < b.start for a, b in pairwise(spans))


@given(minute_spans, minute_spans)
def test_span_algebra_agrees_with_sets_of_minutes(a, b):
    assert minutes(merge(a)) == minutes(a)
    assert minutes(intersect(a, b)) == minutes(a) & minutes(b)
    assert minutes(subtract(a, b)) == minutes(a) - minutes(b)
    assert sorted_and_apart(merge(a))
    assert all(x.end <= y.start for x, y in zip(subtract(a, b), subtract(a, b)[1:], strict=False))


# Around spring-forward week, so the laws also hold across a DST change.
LAW_MONDAY = date(2026, 3, 23)
bookings = st.lists(
    st.tuples(st.integers(0, 7), st.integers(7 * 4, 20 * 4), st.integers(1, 8)).map(
        lambda t: Span(
            at(LAW_MONDAY + timedelta(days=t[0]), "00:00") + timedelta(minutes=15 * t[1] + 5),
            at(LAW_MONDAY + timedelta(days=t[0]), "00:00") + timedelta(minutes=15 * (t[1] + t[2])),
        )
    ),
    max_size=12,
)
requests = st.builds(
    lambda first, days, due, length, buffer, grid: session(
        earliest=LAW_MONDAY + timedelta(days=first),
        latest=LAW_MONDAY + timedelta(days=first + days),
        due=LAW_MONDAY + timedelta(days=first + due),
        length=timedelta(minutes=length),
        buffer=timedelta(minutes=buffer),
        grid_minutes=grid,
        limit=10_000,
    ),
    st.integers(0, 4),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from([15, 30, 45, 60, 90]),
    st.sampled_from([0, 10, 15]),
    st.sampled_from([10, 15, 30]),
)


def covered(merged: list[Span], start: datetime, end: datetime) -> bool:
    return any(s.start <= start and end <= s.end for s in merged)


def clashes(busy, start: datetime, end: datetime, buffer: timedelta) -> bool:
    return any(b.start < end and start < b.end + buffer for b in busy)


def plain_search(request, open_hours, clinicians, rooms, patient_busy) -> list[datetime]:
    """Every grid step of every day tested against every booking: slow but obvious."""
    open_hours = merge(open_hours)
    available = {c.id: merge(c.available) for c in clinicians}
    found = []
    day = request.earliest
    while day <= request.latest:
        start = at(day, "00:00").astimezone(UTC)
        while start.astimezone(PARIS).date() == day:
            local = start.astimezone(PARIS)
            end = start + request.length + request.buffer
            on_grid = (local.hour * 60 + local.minute) % request.grid_minutes == 0
            if (
                on_grid
                and covered(open_hours, start, end)
                and not clashes(patient_busy, start, end, request.buffer)
                and any(
                    covered(available[c.id], start, end)
                    and not clashes(c.busy, start, end, request.buffer)
                    for c in clinicians
                )
                and any(not clashes(r.busy, start, end, request.buffer) for r in rooms)
            ):
                found.append(start)
            start += timedelta(minutes=5)
        day += timedelta(days=1)
    return found


@settings(max_examples=40, deadline=None)
@given(requests, bookings, bookings, bookings, bookings)
def test_slots_are_exactly_the_free_grid_times_and_come_closest_to_due_first(
    request, martin_busy, bernard_busy, room_busy, patient_busy
):
    open_hours = clinic_open((LAW_MONDAY + timedelta(days=2), LAW_MONDAY + timedelta(days=2)))
    clinicians = [
        clinician(1, busy=martin_busy, off=[span(LAW_MONDAY, "14:00", "16:00")]),
        clinician(2, busy=bernard_busy),
    ]
    rooms = [room(10, busy=room_busy), room(11, busy=room_busy[::2])]

    result = find_slots(
        request,
        open_hours=open_hours,
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=patient_busy,
    )

    starts = [slot.start for slot in result.slots if slot.in_window]
    assert sorted(starts) == plain_search(request, open_hours, clinicians, rooms, patient_busy)
    order = [
        (abs((s.astimezone(PARIS).date() - request.due).days), s.astimezone(PARIS).date(), s)
        for s in starts
    ]
    assert order == sorted(order)


@settings(max_examples=40, deadline=None)
@given(requests, bookings, bookings, bookings)
def test_no_slot_overlaps_a_booking_or_leaves_open_hours(request, busy, room_busy, patient_busy):
    clinicians = [clinician(1, busy=busy)]
    rooms = [room(10, busy=room_busy)]

    result = find_slots(
        request,
        open_hours=clinic_open(),
        clinicians=clinicians,
        rooms=rooms,
        patient_busy=patient_busy,
    )

    assert (result.reason is None) == any(slot.in_window for slot in result.slots)
    open_hours = merge(clinic_open())
    for slot in result.slots:
        end = slot.end + request.buffer
        assert covered(open_hours, slot.start, end)
        assert not clashes(busy, slot.start, end, request.buffer)
        assert not clashes(room_busy, slot.start, end, request.buffer)
        assert not clashes(patient_busy, slot.start, end, request.buffer)
        local = slot.start.astimezone(PARIS)
        assert (local.hour * 60 + local.minute) % request.grid_minutes == 0
        assert slot.in_window == (request.earliest <= local.date() <= request.latest)
