"""Read queries for the pages: the day and week schedules, the recall board, timelines.

Each selector runs a fixed number of queries whatever the number of bookings (the page
tests count them). The schedule is the busiest page of the clinic (160 bookings on a busy
day, opened all day long at the desk), so it is read as plain values in one statement
written out in SQL (`_CARD_SQL`), never as model instances, and each booking's card
markup is built here once, in Python, straight from its row: Django's template engine
costs about as much per printed variable as a card costs whole this way, and a busy day
prints thousands of them. Templates print a column's cards in one go; the card markup
lives in one place, `to_card`.

The grid: a day is cut into rows of `ROW_MINUTES`; a booking's CSS classes `r-N` and
`s-N` place it at row N and make it span N rows (the CSP forbids inline styles, so the
positions are classes defined in `static/clinic/grid.css`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from html import escape
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.safestring import SafeString

from clinic.models import Clinician, Room
from patients.models import Patient, Screening
from plans import slots
from plans.calendar import ClinicCalendar, Closed, Listed, listed_clinicians, listed_room
from plans.models import Session, TreatmentPlan

ROW_MINUTES = 5
MAX_ROWS = 24 * 60 // ROW_MINUTES
MAX_SPAN = 8 * 60 // ROW_MINUTES
DEFAULT_DAY = (time(8), time(20))
ON_THE_SCHEDULE = frozenset(
    (
        Session.Status.BOOKED,
        Session.Status.ARRIVED,
        Session.Status.DONE,
        Session.Status.NO_SHOW,
        Session.Status.CANCELLED,
    )
)
LIVE = (Session.Status.BOOKED, Session.Status.ARRIVED)
STATUS_LABELS = {value: str(label) for value, label in Session.Status.choices}


# --- the schedule -----------------------------------------------------------------------


class CardRow(NamedTuple):
    """What a card prints, read as plain values: model instances cost more than the
    page's budget."""

    pk: int
    status: str
    needs_rebooking: bool
    starts_at: datetime
    ends_at: datetime
    number: int
    plan_id: int
    clinician_id: int | None
    room_id: int | None
    patient_last_name: str
    patient_first_name: str
    protocol: str
    wants_cream: bool
    of: int  # the plan's last session number: the `M` of "session N of M"
    starts: datetime  # `starts_at` and `ends_at` on the clinic's clock
    ends: datetime


# The day's cards in one statement, written out rather than built by the ORM: building it
# took the ORM as long as the database takes to run it, on every opening of the day.
#
# - Names are read by primary key in scalar subqueries rather than joins: with joins,
#   PostgreSQL hashes every patient and every plan of the clinic to find the day's few.
# - `wants_cream` comes from the latest screening (one per patient and day, so the date
#   orders them) but only the arrival time it implies is ever shown, so reception sees
#   the logistics and never the screening itself.
# - `of` is read off the unique (plan, number) index.
# - The plan's areas come as one row per session and area, in the order the card prints
#   them: a second query by plan ids cost more than the sessions themselves.
# - The times come without their zone, as UTC on PostgreSQL (`_card_rows`): its zoned times
#   go through a loader written in Python, for each of the day's 320 times.
# - `{where}` is one of the constant conditions below, never text from a request.
_CARD_SQL = """
SELECT s.id, s.status, s.needs_rebooking, {starts_at}, {ends_at}, s.number, s.plan_id,
       s.clinician_id, s.room_id,
       (SELECT p.last_name FROM patients_patient p WHERE p.id = s.patient_id),
       (SELECT p.first_name FROM patients_patient p WHERE p.id = s.patient_id),
       (SELECT pr.name FROM plans_treatmentplan t
          JOIN plans_protocol pr ON pr.id = t.protocol_id
         WHERE t.id = s.plan_id),
       (SELECT sc.wants_anaesthetic_cream FROM patients_screening sc
         WHERE sc.patient_id = s.patient_id
         ORDER BY sc.screened_on DESC LIMIT 1),
       (SELECT n.number FROM plans_session n WHERE n.plan_id = s.plan_id
         ORDER BY n.number DESC LIMIT 1),
       a.name
  FROM plans_session s
  LEFT JOIN plans_treatmentplan_areas pa ON pa.treatmentplan_id = s.plan_id
  LEFT JOIN clinic_treatmentarea a ON a.id = pa.treatmentarea_id
 WHERE {where}
 ORDER BY s.starts_at, s.id, a.name, a.id
"""
# The schedule filters on `starts_at` only: the status is checked in Python, because on
# SQLite (no planner statistics) a `status IN (...)` filter makes the planner walk the
# status index through a year of history instead of the day's few rows of `starts_at`.
_BETWEEN = "s.starts_at >= %s AND s.starts_at < %s"
_ONE_SESSION = "s.id = %s"
_CLINICIAN_BETWEEN = f"s.clinician_id = %s AND {_BETWEEN}"


def _card_rows(tz: ZoneInfo, where: str, *params) -> tuple[list[CardRow], dict[int, str]]:
    """The sessions a schedule shows (`where` one of the conditions above), in order, and
    the areas of their plans (plan id -> "Face, Neck"). One query. Times are read on the
    clinic's clock (`tz`) once here."""
    ops = connection.ops
    params = [ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
    if connection.vendor == "postgresql":
        times, zone = ("s.starts_at AT TIME ZONE 'UTC'", "s.ends_at AT TIME ZONE 'UTC'"), UTC
    else:  # SQLite keeps times without a zone, in the connection's
        times, zone = ("s.starts_at", "s.ends_at"), connection.timezone
    sql = _CARD_SQL.format(where=where, starts_at=times[0], ends_at=times[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows: list[CardRow] = []
    areas: dict[int, list[str]] = {}
    last_pk = names = None
    for values in fetched:
        if values[1] not in ON_THE_SCHEDULE:
            continue
        if values[0] != last_pk:
            last_pk = values[0]
            starts_at = values[3].replace(tzinfo=zone)
            ends_at = values[4].replace(tzinfo=zone)
            row = CardRow(
                values[0],
                values[1],
                bool(values[2]),
                starts_at,
                ends_at,
                *values[5:12],
                bool(values[12]),
                values[13],
                starts_at.astimezone(tz),
                ends_at.astimezone(tz),
            )
            rows.append(row)
            # A plan's second session of the day finds its areas listed already.
            names = None if row.plan_id in areas else areas.setdefault(row.plan_id, [])
        if names is not None and values[14] is not None:
            names.append(values[14])
    return rows, {plan_id: ", ".join(names) for plan_id, names in areas.items() if names}


def _patient_name(row: CardRow) -> str:
    # As Patient.__str__ prints it, without building 160 patients (the tests compare).
    return f"{row.patient_last_name.upper()} {row.patient_first_name}"


def _with_former(listed: tuple[Listed, ...], ids, read_missing) -> tuple[Listed, ...]:
    """The standing calendar's active clinicians (or rooms), `listed`, with any of `ids`
    no longer active, which `read_missing` reads by ids (one query then), in order."""
    missing = {pk for pk in ids if pk is not None} - {item.pk for item in listed}
    if not missing:
        return listed
    return tuple(sorted((*listed, *read_missing(missing)), key=lambda item: item.order))


def _clinicians_listed(ids) -> tuple[Listed, ...]:
    return listed_clinicians(Clinician.objects.filter(pk__in=ids))


def _clinician_names(ids, standing: ClinicCalendar) -> dict[int, str]:
    listed = _with_former(standing.clinicians, ids, _clinicians_listed)
    return {item.pk: item.name for item in listed}


def _room_names(ids, standing: ClinicCalendar) -> dict[int, str]:
    listed = _with_former(standing.room_columns, ids, _rooms_listed)
    return {item.pk: item.name for item in listed}


def _rooms_listed(ids) -> list[Listed]:
    rows = Room.objects.filter(pk__in=ids).values_list("pk", "name")
    return [listed_room(pk, name) for pk, name in rows]


@dataclass(slots=True)
class Card:
    """One session as a schedule shows it: where it sits on the grid, and its markup."""

    row: int  # the grid row it starts on and the rows it spans
    span: int
    html: SafeString  # the card without its grid cell


# A day repeats its protocols, areas, rooms and statuses on card after card: each is
# escaped once per process.
_escape = lru_cache(maxsize=4096)(escape)


def to_card(
    row: CardRow,
    *,
    first_hour: int | None,
    cream_minutes: int,
    url_pattern: str,
    actions_prefix: str,
    areas: str,
    place: str,
    error: str = "",
) -> Card:
    """The card of one of `_card_rows`'s rows: every string from the database is escaped.

    `url_pattern` is the session page's address for pk 0 and `actions_prefix` the action
    menu's address without the pk: no `reverse` per card. `place` is the room on the
    clinicians' view, the clinician on the rooms' view; `error` what a service refused,
    shown on the card answered to htmx.

    The actions are not printed: `actions_prefix` + pk answers them when the menu opens
    (one form and CSRF token on the page instead of 160); without JavaScript the
    session's own page offers the same actions. A busy day prints 160 cards, so the
    markup is built here in one go, not field by field by the template engine.
    """
    pk, status, starts, ends = row.pk, row.status, row.starts, row.ends
    live = status in LIVE
    row_number = span = 1
    if first_hour is not None:
        # Placed by the clock, as the hour marks are: on the day the clocks change, a
        # session at 04:00 sits by the 04:00 mark. Its length is its real one, so a
        # session across the change itself (at night, when the clinic is shut) is drawn
        # an hour shorter or longer than its printed times.
        offset = (starts.hour - first_hour) * 60 + starts.minute
        row_number = min(max(offset // ROW_MINUTES + 1, 1), MAX_ROWS)
        length = (row.ends_at - row.starts_at).total_seconds() // 60
        span = min(max(int(length // ROW_MINUTES), 1), MAX_SPAN)
    url = _escape(url_pattern).replace("/0/", f"/{pk}/", 1)
    meta = f"{_escape(f'session {row.number} of {row.of}')} · {_escape(row.protocol)}"
    if row.wants_cream and live:
        arrival = _hh_mm(starts - timedelta(minutes=cream_minutes))
        meta = f'<span class="booking-arrival">Arrive {arrival}</span> · {meta}'
    parts = [
        f'<div class="booking-body status-{_escape(status)}'
        f'{" needs-rebooking" if row.needs_rebooking else ""}" id="booking-{pk}">'
        f'<div class="booking-line"><span class="booking-time">'
        f"{_hh_mm(starts)}–{_hh_mm(ends)}</span>"
    ]
    if live:
        parts.append(
            f'<details class="booking-actions" hx-get="{_escape(actions_prefix)}{pk}"'
            ' hx-trigger="toggle once" hx-target="find .booking-menu">'
            f'<summary>Actions</summary><div class="booking-menu"><a href="{url}">'
            "Session page</a></div></details>"
        )
    parts.append(
        f'</div><a class="booking-patient" href="{url}">{escape(_patient_name(row))}</a>'
        f'<div class="booking-meta">{meta}</div>'
        f'<div class="booking-line"><span class="booking-meta">'
        f"{_escape(' · '.join(filter(None, (areas, place))))}</span>"
        f'<span class="badge text-bg-light border">'
        f"{_escape(STATUS_LABELS.get(status, status))}</span></div>"
    )
    if row.needs_rebooking:
        parts.append('<div class="text-warning-emphasis">Needs rebooking</div>')
    if error:
        parts.append(f'<div class="text-danger" role="alert">{escape(error)}</div>')
    parts.append("</div>")
    return Card(row_number, span, SafeString("".join(parts)))


# Every "HH:MM" of a day, by minute: looking one up costs a fraction of formatting it,
# done some 400 times a page.
_HH_MM = tuple(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))


def _hh_mm(moment: datetime) -> str:
    # What f"{moment:%H:%M}" prints.
    return _HH_MM[moment.hour * 60 + moment.minute]


def _session_url() -> str:
    return reverse("session_detail", args=[0])


def _actions_prefix(day: date) -> str:
    """The address of a card's action menu on the day's page, but for the session's pk."""
    return f"{reverse('schedule_day', args=[day])}?actions="


def schedule_card(
    pk: int,
    tz: ZoneInfo,
    *,
    cream_minutes: int,
    by_room: bool,
    standing: ClinicCalendar,
    error: str = "",
) -> Card:
    """One card, as the day shows it, for the answer to an action. One query (two when the
    clinician or room it names is no longer active)."""
    rows, areas = _card_rows(tz, _ONE_SESSION, pk)
    if not rows:
        raise Session.DoesNotExist(pk)
    row = rows[0]
    if by_room:  # the room is the column; the card names the clinician
        key, names = row.clinician_id, _clinician_names([row.clinician_id], standing)
    else:
        key, names = row.room_id, _room_names([row.room_id], standing)
    place = names.get(key, "")
    return to_card(
        row,
        first_hour=None,
        cream_minutes=cream_minutes,
        url_pattern=_session_url(),
        actions_prefix=_actions_prefix(row.starts.date()),
        areas=areas.get(row.plan_id, ""),
        place=place,
        error=error,
    )


@dataclass
class Column:
    """A clinician, a room or a day of a schedule, with its cards."""

    key: int
    heading: str  # markup, escaped: the name (and specialty), or the day and its notes
    closed: bool = False
    bookings: list[Card] = field(default_factory=list)


NO_BOOKINGS = '<p class="text-secondary small p-2 mb-0 r-1 s-6">No bookings.</p>'


def _columns_html(columns: list[Column], *, rows: int, anchor: str, empty: str) -> SafeString:
    """Every column in its section of the grid, each card in its cell, for the template to
    print at once: the engine took longer over ten columns' dozen tags than over their 160
    cards. `anchor` prefixes the heading ids, `empty` fills a column without cards."""
    parts = []
    for column in columns:
        classes = "schedule-col"
        if not column.bookings:
            classes += " is-empty"
        if column.closed:
            classes += " closed-col"
        parts.append(
            f'<section class="{classes}" aria-labelledby="{anchor}-{column.key}">'
            f'<h2 class="col-head" id="{anchor}-{column.key}">{column.heading}</h2>'
            '<div class="slots">'
        )
        parts.extend(
            f'<article class="booking r-{card.row} s-{card.span}">{card.html}</article>'
            for card in column.bookings
        )
        if not column.bookings:
            parts.append(empty)
        parts.append(f'<div class="filler r-{rows}"></div></div></section>')
    return SafeString("".join(parts))


@dataclass
class Hour:
    label: str
    row: int


@dataclass
class Grid:
    """The rows of a schedule, on the clinic's clock: the hour it starts at and the hour
    marks down its side."""

    first_hour: int
    rows: int
    hours: list[Hour]

    @property
    def hours_html(self) -> SafeString:
        return SafeString(
            "".join(f'<div class="hour r-{h.row} s-12">{h.label}</div>' for h in self.hours)
        )


def _hours(opens: time, closes: time, sessions: list[CardRow]) -> tuple[int, int]:
    """The first and last hour of the grid: opening hours, widened to hold every booking."""
    first, last = opens.hour, closes.hour + bool(closes.minute)
    for session in sessions:
        starts, ends = session.starts, session.ends  # on the clinic's clock
        first = min(first, starts.hour)
        last = max(last, ends.hour + bool(ends.minute) if ends.date() == starts.date() else 24)
    return first, min(max(last, first + 1), 24)


def _grid(first_hour: int, last_hour: int) -> Grid:
    per_hour = 60 // ROW_MINUTES
    hours = [
        Hour(f"{hour:02d}:00", (hour - first_hour) * per_hour + 1)
        for hour in range(first_hour, last_hour)
    ]
    return Grid(first_hour, (last_hour - first_hour) * per_hour, hours)


@dataclass
class DaySchedule:
    day: date
    by: str
    columns: list[Column]
    grid: Grid
    closures: list[Closed]
    count: int

    @property
    def columns_html(self) -> SafeString:
        return _columns_html(self.columns, rows=self.grid.rows, anchor="col", empty=NO_BOOKINGS)


def _columns(listed: tuple[Listed, ...], keys: set[int | None], read_missing) -> dict[int, Column]:
    """A column for each active clinician or room (`listed`), and for any other one with a
    booking that day (`keys`)."""
    return {
        item.pk: Column(item.pk, _heading(item))
        for item in _with_former(listed, keys, read_missing)
    }


def _heading(item: Listed) -> str:
    if item.detail:
        return f"{escape(item.name)}<small>{escape(item.detail)}</small>"
    return escape(item.name)


def day_schedule(
    day: date, tz: ZoneInfo, *, by: str, cream_minutes: int, standing: ClinicCalendar
) -> DaySchedule:
    """The day's bookings in one column per clinician (or per room).

    One query, the bookings with their areas: the hours, the closures, the columns and the
    names on the cards come from the standing calendar. A clinician (or room) no longer
    active but booked that day costs one more query, to name its column or its cards.
    """
    span = slots.day_spans(day, day, tz)[0]
    by_room = by == "room"
    sessions, areas = _card_rows(tz, _BETWEEN, span.start, span.end)
    opens, closes = standing.opening_on(day.weekday()) or DEFAULT_DAY
    grid = _grid(*_hours(opens, closes, sessions))
    rooms, clinicians = {s.room_id for s in sessions}, {s.clinician_id for s in sessions}
    # The columns are rooms or clinicians, and each card names the other.
    if by_room:
        columns = _columns(standing.room_columns, rooms, _rooms_listed)
        names = _clinician_names(clinicians, standing)
    else:
        columns = _columns(standing.clinicians, clinicians, _clinicians_listed)
        names = _room_names(rooms, standing)
    url_pattern, actions_prefix = _session_url(), _actions_prefix(day)
    for session in sessions:
        key = session.room_id if by_room else session.clinician_id
        column = columns.get(key)
        if column is None:
            continue
        column.bookings.append(
            to_card(
                session,
                first_hour=grid.first_hour,
                cream_minutes=cream_minutes,
                url_pattern=url_pattern,
                actions_prefix=actions_prefix,
                areas=areas.get(session.plan_id, ""),
                place=names.get(session.clinician_id if by_room else session.room_id, ""),
            )
        )
    closures = standing.closed_between(day, day)
    for column in columns.values():
        column.closed = bool(closures)
    return DaySchedule(day, by, list(columns.values()), grid, closures, len(sessions))


@dataclass
class WeekSchedule:
    clinician: Clinician
    monday: date
    columns: list[Column]  # a day each, Monday first
    grid: Grid
    count: int

    @property
    def columns_html(self) -> SafeString:
        return _columns_html(self.columns, rows=self.grid.rows, anchor="day", empty="")


def week_schedule(
    clinician: Clinician,
    monday: date,
    tz: ZoneInfo,
    *,
    cream_minutes: int,
    standing: ClinicCalendar,
    today: date,
) -> WeekSchedule:
    """One clinician's week, a column per day, on the same grid. One query: the hours
    and closures come from the standing calendar."""
    sunday = monday + timedelta(days=6)
    week = slots.day_spans(monday, sunday, tz)[0]
    sessions, areas = _card_rows(tz, _CLINICIAN_BETWEEN, clinician.pk, week.start, week.end)
    # Every day shares the hours of the week's widest day, so the rows line up.
    grid = _grid(*_hours(*(standing.opening_on() or DEFAULT_DAY), sessions))
    by_day: dict[date, list] = defaultdict(list)
    for session in sessions:
        by_day[session.starts.date()].append(session)
    rooms = _room_names({s.room_id for s in sessions}, standing)
    url_pattern = _session_url()
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        closed = standing.closed_between(day, day)
        heading = f'<a href="{escape(reverse("schedule_day", args=[day]))}">{day:%a %d %b}</a>'
        heading += "".join(f"<small>Closed: {escape(c.name)}</small>" for c in closed)
        if day == today:
            heading += "<small>Today</small>"
        column = Column(offset, heading, closed=bool(closed))
        actions_prefix = _actions_prefix(day)
        column.bookings = [
            to_card(
                session,
                first_hour=grid.first_hour,
                cream_minutes=cream_minutes,
                url_pattern=url_pattern,
                actions_prefix=actions_prefix,
                areas=areas.get(session.plan_id, ""),
                place=rooms.get(session.room_id, ""),
            )
            for session in by_day.get(day, ())
        ]
        days.append(column)
    return WeekSchedule(clinician, monday, days, grid, len(sessions))


# --- the recall board -------------------------------------------------------------------


@dataclass
class Recall:
    session: Session
    state: str  # overdue, closing, open, opening
    label: str


@dataclass
class RecallGroup:
    protocol: str
    phase: int
    phase_text: str
    recalls: list[Recall]


RECALL_DAYS = 7


def recall_board(today: date) -> list[RecallGroup]:
    """Active plans whose next required session is not booked and is due soon or overdue.

    "Next": the lowest-numbered planned, non-optional session of the plan. A plan with a
    live booking is being looked after and stays off the board. Three queries.
    """
    soon = today + timedelta(days=RECALL_DAYS)
    plan_sessions = Session.objects.filter(plan_id=OuterRef("plan_id"))
    sessions = (
        Session.objects.filter(
            status=Session.Status.PLANNED,
            optional=False,
            plan__status=TreatmentPlan.Status.ACTIVE,
            earliest__lte=soon,
        )
        .exclude(
            Exists(
                plan_sessions.filter(
                    status=Session.Status.PLANNED, optional=False, number__lt=OuterRef("number")
                )
            )
        )
        .exclude(Exists(plan_sessions.filter(status__in=LIVE)))
        .select_related("patient", "plan__protocol")
        .prefetch_related("plan__phases")
        .order_by("plan__protocol__name", "phase", "latest", "pk")
    )
    groups: dict[tuple[int, int], RecallGroup] = {}
    for session in sessions:
        phases = session.plan.phases.all()
        phase = next((p for p in phases if p.position == session.phase), None)
        key = (session.plan.protocol_id, session.phase)
        if key not in groups:
            groups[key] = RecallGroup(
                session.plan.protocol.name, session.phase, str(phase) if phase else "", []
            )
        groups[key].recalls.append(_recall(session, today, soon))
    return list(groups.values())


def _recall(session: Session, today: date, soon: date) -> Recall:
    if session.latest < today:
        days = (today - session.latest).days
        return Recall(session, "overdue", f"overdue by {days} day{'s' if days != 1 else ''}")
    if session.latest <= soon:
        return Recall(session, "closing", f"window closes {session.latest:%a %d %b}")
    if session.earliest <= today:
        return Recall(session, "open", f"window open until {session.latest:%d %b}")
    return Recall(session, "opening", f"window opens {session.earliest:%a %d %b}")


# --- a patient's plans ------------------------------------------------------------------


def patient_plans(patient: Patient) -> list[TreatmentPlan]:
    """Every plan of the patient with its sessions, protocol and areas. Four queries."""
    return list(
        patient.plans.select_related("protocol", "clinician__user")
        .prefetch_related(
            "areas",
            "products",
            Prefetch(
                "sessions",
                queryset=Session.objects.select_related("clinician__user", "room").order_by(
                    "number"
                ),
            ),
        )
        .order_by("-start_date", "-pk")
    )


def latest_screening(patient: Patient) -> Screening | None:
    return (
        patient.screenings.select_related("screened_by__user")
        .prefetch_related("allergic_to")
        .order_by("-screened_on", "-id")
        .first()
    )


@dataclass(frozen=True)
class Warning:
    level: str  # a Bootstrap alert colour: danger, warning, info
    text: str


def screening_warnings(screening: Screening) -> list[Warning]:
    """What the clinician must see before treating: contraindications first, then the
    preparation the patient is told about (uses the prefetched `allergic_to`)."""
    fields = {field.name: field for field in Screening._meta.get_fields()}
    warnings = [
        Warning("danger", f"Contraindication: {fields[code].verbose_name}.")
        for code in sorted(screening.findings())
    ]
    allergies = [product.name for product in screening.allergic_to.all()]
    if allergies:
        warnings.append(Warning("danger", f"Allergic to: {', '.join(allergies)}."))
    if screening.other_allergies:
        warnings.append(Warning("warning", f"Other allergies: {screening.other_allergies}"))
    if screening.takes_aspirin_or_clopidogrel:
        warnings.append(Warning("warning", "Takes aspirin or clopidogrel: stop 2-3 days before."))
    if screening.uses_retinoid_creams:
        warnings.append(Warning("warning", "Uses retinoid creams: stop 3-4 days before."))
    if screening.wants_anaesthetic_cream:
        warnings.append(Warning("info", "Wants anaesthetic cream: arrives earlier."))
    return warnings
