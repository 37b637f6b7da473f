"""Read queries for the pages: the day and week schedules, the recall board, timelines.

Each selector runs a fixed number of queries whatever the number of bookings (the page
tests count them). The schedule is the busiest page of the clinic, so its bookings are
turned here into small view objects with their times and grid positions already worked
out: templates then only print strings.

The grid: a day is cut into rows of `ROW_MINUTES`; a booking's CSS classes `r-N` and
`s-N` place it at row N and make it span N rows (the CSP forbids inline styles, so the
positions are classes defined in `static/clinic/grid.css`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse

from clinic.models import Clinician, Closure, OpeningHours, Room
from patients.models import Patient, Screening
from plans import slots
from plans.models import Session, TreatmentPlan

ROW_MINUTES = 5
MAX_ROWS = 24 * 60 // ROW_MINUTES
MAX_SPAN = 8 * 60 // ROW_MINUTES
DEFAULT_DAY = (time(8), time(20))
ON_THE_SCHEDULE = (
    Session.Status.BOOKED,
    Session.Status.ARRIVED,
    Session.Status.DONE,
    Session.Status.NO_SHOW,
    Session.Status.CANCELLED,
)
LIVE = (Session.Status.BOOKED, Session.Status.ARRIVED)


def _latest_screening(field_name: str) -> Subquery:
    return Subquery(
        Screening.objects.filter(patient_id=OuterRef("patient_id"))
        .order_by("-screened_on", "-id")
        .values(field_name)[:1]
    )


def _plan_size() -> Subquery:
    return Subquery(
        Session.objects.filter(plan_id=OuterRef("plan_id"))
        .values("plan_id")
        .annotate(last=Max("number"))
        .values("last")[:1]
    )


def booked_sessions():
    """Sessions with everything a schedule card prints, in one query plus one for areas.

    `wants_cream` comes from the latest screening but only the arrival time it implies is
    ever shown, so reception sees the logistics and never the screening itself.
    """
    return (
        Session.objects.select_related("patient", "plan__protocol", "clinician__user", "room")
        .prefetch_related(Prefetch("plan__areas"))
        .annotate(wants_cream=_latest_screening("wants_anaesthetic_cream"), of=_plan_size())
        .order_by("starts_at", "pk")
    )


@dataclass(slots=True)
class Booking:
    """One session as a schedule card shows it."""

    session: Session
    pk: str
    patient: str
    protocol: str
    status_label: str
    place: str  # the room on the clinicians' view, the clinician on the rooms' view
    time: str
    arrival: str
    row: int
    span: int
    column_key: int
    number_label: str
    areas: str
    url: str
    can_arrive: bool
    can_finish: bool
    can_no_show: bool
    can_cancel: bool
    can_move: bool

    @property
    def status(self) -> str:
        return self.session.status


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz)


def to_booking(
    session: Session,
    tz: ZoneInfo,
    *,
    grid_start: datetime | None,
    cream_minutes: int,
    column_key: int,
    url_pattern: str,
    by_room: bool = False,
) -> Booking:
    starts = _local(session.starts_at, tz)
    ends = _local(session.ends_at, tz)
    arrival = ""
    if session.wants_cream and session.status in LIVE:
        arrival = (starts - timedelta(minutes=cream_minutes)).strftime("%H:%M")
    row = span = 1
    if grid_start is not None:
        offset = (session.starts_at - grid_start).total_seconds() // 60
        row = min(max(int(offset // ROW_MINUTES) + 1, 1), MAX_ROWS)
        length = (session.ends_at - session.starts_at).total_seconds() // 60
        span = min(max(int(length // ROW_MINUTES), 1), MAX_SPAN)
    status = session.status
    return Booking(
        session=session,
        pk=str(session.pk),
        patient=str(session.patient),
        protocol=session.plan.protocol.name,
        status_label=session.get_status_display(),
        place=str(session.clinician) if by_room else session.room.name,
        time=f"{starts:%H:%M}–{ends:%H:%M}",
        arrival=arrival,
        row=row,
        span=span,
        column_key=column_key,
        number_label=f"session {session.number} of {session.of}",
        areas=", ".join(area.name for area in session.plan.areas.all()),
        url=url_pattern.replace("/0/", f"/{session.pk}/", 1),
        can_arrive=status == Session.Status.BOOKED,
        can_finish=status in LIVE,
        can_no_show=status in LIVE,
        can_cancel=status == Session.Status.BOOKED,
        can_move=status == Session.Status.BOOKED,
    )


@dataclass
class Column:
    key: int
    title: str
    subtitle: str = ""
    bookings: list[Booking] = field(default_factory=list)


@dataclass
class Hour:
    label: str
    row: int


@dataclass
class Grid:
    """The rows of a schedule: where it starts and the hour marks down its side."""

    start: datetime
    rows: int
    hours: list[Hour]


def _hours(opens: time, closes: time, sessions, tz: ZoneInfo) -> tuple[int, int]:
    """The first and last hour of the grid: opening hours, widened to hold every booking."""
    first, last = opens.hour, closes.hour + bool(closes.minute)
    for session in sessions:
        starts, ends = _local(session.starts_at, tz), _local(session.ends_at, tz)
        first = min(first, starts.hour)
        last = max(last, ends.hour + bool(ends.minute) if ends.date() == starts.date() else 24)
    return first, min(max(last, first + 1), 24)


def _grid(day: date, tz: ZoneInfo, first_hour: int, last_hour: int) -> Grid:
    start = slots.local_span(day, time(first_hour), time(23, 59), tz).start
    per_hour = 60 // ROW_MINUTES
    hours = [
        Hour(f"{hour:02d}:00", (hour - first_hour) * per_hour + 1)
        for hour in range(first_hour, last_hour)
    ]
    return Grid(start, (last_hour - first_hour) * per_hour, hours)


@dataclass
class DaySchedule:
    day: date
    by: str
    columns: list[Column]
    grid: Grid
    closures: list[Closure]
    count: int


def _opening(day: date) -> tuple[time, time]:
    hours = list(OpeningHours.objects.filter(weekday=day.weekday()).values_list("opens", "closes"))
    if not hours:
        return DEFAULT_DAY
    return min(opens for opens, _ in hours), max(closes for _, closes in hours)


def _closures(first: date, last: date) -> list[Closure]:
    return list(Closure.objects.filter(first_day__lte=last, last_day__gte=first))


def day_schedule(day: date, tz: ZoneInfo, *, by: str, cream_minutes: int) -> DaySchedule:
    """The day's bookings in one column per clinician (or per room). Six queries."""
    span = slots.day_spans(day, day, tz)[0]
    sessions = list(
        booked_sessions().filter(
            status__in=ON_THE_SCHEDULE, starts_at__gte=span.start, starts_at__lt=span.end
        )
    )
    grid = _grid(day, tz, *_hours(*_opening(day), sessions, tz))
    if by == "room":
        columns = {
            room.pk: Column(room.pk, room.name)
            for room in Room.objects.filter(
                Q(is_active=True) | Q(pk__in={s.room_id for s in sessions})
            )
        }
    else:
        columns = {
            c.pk: Column(c.pk, str(c), c.specialty)
            for c in Clinician.objects.filter(
                Q(is_active=True) | Q(pk__in={s.clinician_id for s in sessions})
            ).select_related("user")
        }
    url_pattern = reverse("session_detail", args=[0])
    for session in sessions:
        key = session.room_id if by == "room" else session.clinician_id
        column = columns.get(key)
        if column is None:
            continue
        column.bookings.append(
            to_booking(
                session,
                tz,
                grid_start=grid.start,
                cream_minutes=cream_minutes,
                column_key=key,
                url_pattern=url_pattern,
                by_room=by == "room",
            )
        )
    return DaySchedule(day, by, list(columns.values()), grid, _closures(day, day), len(sessions))


@dataclass
class WeekDay:
    day: date
    column: Column
    closures: list[Closure]


@dataclass
class WeekSchedule:
    clinician: Clinician
    monday: date
    days: list[WeekDay]
    grid: Grid
    count: int


def week_schedule(
    clinician: Clinician, monday: date, tz: ZoneInfo, *, cream_minutes: int
) -> WeekSchedule:
    """One clinician's week, a column per day, on the same grid. Five queries."""
    sunday = monday + timedelta(days=6)
    week = slots.day_spans(monday, sunday, tz)[0]
    sessions = list(
        booked_sessions().filter(
            clinician=clinician,
            status__in=ON_THE_SCHEDULE,
            starts_at__gte=week.start,
            starts_at__lt=week.end,
        )
    )
    hours = list(OpeningHours.objects.values_list("opens", "closes"))
    opens = min((o for o, _ in hours), default=DEFAULT_DAY[0])
    closes = max((c for _, c in hours), default=DEFAULT_DAY[1])
    # Every day shares the hours of the week's widest day, so the rows line up.
    first_hour, last_hour = _hours(opens, closes, sessions, tz)
    by_day: dict[date, list[Session]] = defaultdict(list)
    for session in sessions:
        by_day[_local(session.starts_at, tz).date()].append(session)
    closures = _closures(monday, sunday)
    url_pattern = reverse("session_detail", args=[0])
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        grid = _grid(day, tz, first_hour, last_hour)
        column = Column(offset, f"{day:%a %d %b}")
        column.bookings = [
            to_booking(
                session,
                tz,
                grid_start=grid.start,
                cream_minutes=cream_minutes,
                column_key=offset,
                url_pattern=url_pattern,
            )
            for session in by_day.get(day, ())
        ]
        days.append(WeekDay(day, column, [c for c in closures if c.first_day <= day <= c.last_day]))
    return WeekSchedule(
        clinician, monday, days, _grid(monday, tz, first_hour, last_hour), len(sessions)
    )


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
