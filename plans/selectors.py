"""Read queries for the pages: the day and week schedules, the recall board, the
rebooking worklist, a plan's sessions and their appointments.

Each selector runs a fixed number of queries whatever the number of appointments (the
page tests count them). The schedule is the busiest page of the clinic (160
appointments on a busy day, opened all day long at the desk), so it is read as plain
values in one statement (`sql.card_values`), never as model instances, and each card's
markup is built once in Python from its row (`plans.cards`).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.safestring import SafeString
from phonenumber_field.phonenumber import to_python as to_phone

from clinic import clock
from clinic.models import Clinician, ClinicSettings, InstructionRule, ProductBatch, Room
from patients.models import Patient, Screening
from plans import calls, cards, engine, instructions, reminders, safety, slots, sql
from plans.calendar import ClinicCalendar, Closed, Listed, listed_clinicians, listed_room
from plans.models import (
    Appointment,
    CallOutcome,
    ProductUse,
    Reminder,
    Session,
    TreatmentPlan,
)

DEFAULT_DAY = (time(8), time(20))
ON_THE_SCHEDULE = frozenset(Appointment.Status.values)
STATUS_LABELS = {value: str(label) for value, label in Appointment.Status.choices}


# --- the schedule -----------------------------------------------------------------------


class CardRow(NamedTuple):
    """What a card prints, read as plain values: model instances cost more than the
    page's budget."""

    pk: int  # the appointment's
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
    session_id: int
    phone: str  # as the pages show it: "+33 6 30 63 66 10"


@lru_cache(maxsize=8192)
def phone_shown(stored: str | None) -> str:
    """A stored number as the pages show it ("+33630636610" -> "+33 6 30 63 66 10").
    Reading a number costs 30 µs, a busy day's 160 cards 5 ms: each is read once per
    process (a clinic's patients number in the thousands)."""
    return str(to_phone(stored)) if stored else ""


def _card_rows(tz: ZoneInfo, kind: str, *params) -> tuple[list[CardRow], dict[int, str]]:
    """The appointments a schedule shows (`kind` one of `sql`'s card conditions), in
    order, and the areas of their plans (plan id -> "Face, Neck"). One query. Times are
    read on the clinic's clock (`tz`) once here."""
    fetched, zone = sql.card_values(kind, *params)
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
                values[15],
                phone_shown(values[16]),
            )
            rows.append(row)
            # A plan's second appointment of the day finds its areas listed already.
            names = None if row.plan_id in areas else areas.setdefault(row.plan_id, [])
        if names is not None and values[14] is not None:
            names.append(values[14])
    return rows, {plan_id: ", ".join(names) for plan_id, names in areas.items() if names}


def _consents_due(rows: list[CardRow]) -> dict[int, str]:
    """The consents to sign before the live appointments of `rows` (plan id -> what):
    one query, three when a consent form is in force."""
    return safety.consents_due(list({row.plan_id for row in rows if row.status in cards.LIVE}))


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
) -> cards.Card:
    """One card, as the day shows it, for the answer to an action. One query (two when the
    clinician or room it names is no longer active)."""
    rows, areas = _card_rows(tz, sql.ONE, pk)
    if not rows:
        raise Appointment.DoesNotExist(pk)
    row = rows[0]
    if by_room:  # the room is the column; the card names the clinician
        key, names = row.clinician_id, _clinician_names([row.clinician_id], standing)
    else:
        key, names = row.room_id, _room_names([row.room_id], standing)
    place = names.get(key, "")
    due = _consents_due(rows)
    return cards.to_card(
        row,
        first_hour=None,
        cream_minutes=cream_minutes,
        url_pattern=_session_url(),
        actions_prefix=_actions_prefix(row.starts.date()),
        areas=areas.get(row.plan_id, ""),
        place=place,
        status_label=STATUS_LABELS[row.status],
        error=error,
        consent=due.get(row.plan_id, ""),
        today=clock.today(tz),
    )


@dataclass
class Column:
    """A clinician, a room or a day of a schedule, with its cards."""

    key: int
    heading: str  # markup, escaped: the name (and specialty), or the day and its notes
    closed: bool = False
    bookings: list[cards.Card] = field(default_factory=list)
    # What a card dropped here takes: ("clinician", "3"), ("room", "2") or ("day", ISO date).
    drop: tuple[tuple[str, str], ...] = ()
    # The rows its clinician does not work (`cards.off_rows`), and whether that is all day.
    off: list[tuple[int, int]] = field(default_factory=list)
    is_off: bool = False


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
        return cards.hours_html(self.hours)


def _hours(opens: time, closes: time, sessions: list[CardRow]) -> tuple[int, int]:
    """The first and last hour of the grid: opening hours, widened to hold every booking."""
    first, last = opens.hour, closes.hour + bool(closes.minute)
    for session in sessions:
        starts, ends = session.starts, session.ends  # on the clinic's clock
        first = min(first, starts.hour)
        last = max(last, ends.hour + bool(ends.minute) if ends.date() == starts.date() else 24)
    return first, min(max(last, first + 1), 24)


def _grid(first_hour: int, last_hour: int) -> Grid:
    per_hour = 60 // cards.ROW_MINUTES
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
        return cards.columns_html(
            self.columns, rows=self.grid.rows, anchor="col", empty=cards.NO_BOOKINGS
        )


def _columns(listed: tuple[Listed, ...], keys: set[int | None], read_missing) -> dict[int, Column]:
    """A column for each active clinician or room (`listed`), and for any other one with a
    booking that day (`keys`)."""
    return {
        item.pk: Column(item.pk, cards.column_heading(item.name, item.detail))
        for item in _with_former(listed, keys, read_missing)
    }


def day_schedule(
    day: date,
    tz: ZoneInfo,
    *,
    by: str,
    cream_minutes: int,
    standing: ClinicCalendar,
    hide_off: bool = False,
) -> DaySchedule:
    """The day's bookings in one column per clinician (or per room). A clinician's column
    shades the time they do not work; one who does not work that day is marked off, or
    left out with `hide_off` unless they have a booking.

    One query, the bookings with their areas: the hours, the closures, the columns and the
    names on the cards come from the standing calendar. A clinician (or room) no longer
    active but booked that day costs one more query, to name its column or its cards.
    """
    span = slots.day_spans(day, day, tz)[0]
    by_room = by == "room"
    sessions, areas = _card_rows(tz, sql.BETWEEN, span.start, span.end)
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
    for key, column in columns.items():
        column.drop = (("room" if by_room else "clinician", str(key)), ("day", day.isoformat()))
    url_pattern, actions_prefix = _session_url(), _actions_prefix(day)
    due = _consents_due(sessions)
    today = clock.today(tz)
    for session in sessions:
        key = session.room_id if by_room else session.clinician_id
        column = columns.get(key)
        if column is None:
            continue
        column.bookings.append(
            cards.to_card(
                session,
                first_hour=grid.first_hour,
                cream_minutes=cream_minutes,
                url_pattern=url_pattern,
                actions_prefix=actions_prefix,
                areas=areas.get(session.plan_id, ""),
                place=names.get(session.clinician_id if by_room else session.room_id, ""),
                status_label=STATUS_LABELS[session.status],
                consent=due.get(session.plan_id, ""),
                today=today,
            )
        )
    closures = standing.closed_between(day, day)
    for column in columns.values():
        column.closed = bool(closures)
        if not by_room:
            _shade(column, standing.works_on(column.key, day, tz), grid, tz)
    shown = [c for c in columns.values() if not (hide_off and c.is_off and not c.bookings)]
    return DaySchedule(day, by, shown, grid, closures, len(sessions))


def _shade(column: Column, working: list[slots.Span], grid: Grid, tz: ZoneInfo) -> None:
    """Shade the time a column's clinician is not at work; one off all day says so."""
    local = [(span.start.astimezone(tz), span.end.astimezone(tz)) for span in working]
    column.off = cards.off_rows(local, first_hour=grid.first_hour, rows=grid.rows)
    column.is_off = not working
    if column.is_off and not column.closed:
        column.heading = cards.with_off_badge(column.heading)


@dataclass
class WeekSchedule:
    clinician: Clinician
    monday: date
    columns: list[Column]  # a day each, Monday first
    grid: Grid
    count: int

    @property
    def columns_html(self) -> SafeString:
        return cards.columns_html(self.columns, rows=self.grid.rows, anchor="day", empty="")


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
    sessions, areas = _card_rows(tz, sql.CLINICIAN_BETWEEN, clinician.pk, week.start, week.end)
    # Every day shares the hours of the week's widest day, so the rows line up.
    grid = _grid(*_hours(*(standing.opening_on() or DEFAULT_DAY), sessions))
    by_day: dict[date, list] = defaultdict(list)
    for session in sessions:
        by_day[session.starts.date()].append(session)
    rooms = _room_names({s.room_id for s in sessions}, standing)
    url_pattern = _session_url()
    due = _consents_due(sessions)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        closed = standing.closed_between(day, day)
        heading = cards.day_heading(
            day, reverse("schedule_day", args=[day]), [c.name for c in closed], today=day == today
        )
        column = Column(offset, heading, closed=bool(closed), drop=(("day", day.isoformat()),))
        actions_prefix = _actions_prefix(day)
        column.bookings = [
            cards.to_card(
                session,
                first_hour=grid.first_hour,
                cream_minutes=cream_minutes,
                url_pattern=url_pattern,
                actions_prefix=actions_prefix,
                areas=areas.get(session.plan_id, ""),
                place=rooms.get(session.room_id, ""),
                status_label=STATUS_LABELS[session.status],
                consent=due.get(session.plan_id, ""),
                today=today,
            )
            for session in by_day.get(day, ())
        ]
        _shade(column, standing.works_on(clinician.pk, day, tz), grid, tz)
        days.append(column)
    return WeekSchedule(clinician, monday, days, grid, len(sessions))


# --- the recall board -------------------------------------------------------------------


RECALL_DAYS = 7
RECALL_PAGE = 50
RECALL_STATES = {
    "overdue": "Overdue",
    "closing": "Window closing",
    "open": "Window open",
    "opening": "Window opening",
}


class RecallRow(NamedTuple):
    """What the board prints of a step to book: read as values, 50 rows of six models
    built as objects cost more than the rest of the page."""

    session_id: int
    number: int
    earliest: date
    latest: date
    plan_id: int
    patient_id: int
    patient_last_name: str
    patient_first_name: str
    phone: str
    protocol: str
    clinician_title: str
    clinician_first_name: str
    clinician_last_name: str
    clinician_username: str

    @property
    def patient(self) -> str:
        # As Patient.__str__ prints it (the tests compare).
        return f"{self.patient_last_name.upper()} {self.patient_first_name}"

    @property
    def clinician(self) -> str:
        # As Clinician.__str__ prints it (the tests compare).
        full = f"{self.clinician_first_name} {self.clinician_last_name}".strip()
        return f"{self.clinician_title} {full or self.clinician_username}".strip()


RECALL_FIELDS = (
    "pk",
    "number",
    "earliest",
    "latest",
    "plan_id",
    "patient_id",
    "patient__last_name",
    "patient__first_name",
    "patient__phone",
    "plan__protocol__name",
    "plan__clinician__title",
    "plan__clinician__user__first_name",
    "plan__clinician__user__last_name",
    "plan__clinician__user__username",
)


@dataclass
class Recall:
    row: RecallRow
    state: str  # one of RECALL_STATES
    label: str
    review_needed: bool  # a clinician must review the plan's safety before booking
    consent: str = ""  # what the patient must sign before booking, if anything


@dataclass
class RecallPage:
    recalls: list[Recall]
    page: object  # django.core.paginator.Page
    total: int


def recall_sessions(
    today: date, *, state: str = "", protocol_id: int | None = None, clinician_id: int | None = None
):
    """Every session to book, not optional, of an active plan, whose window opens within
    `RECALL_DAYS`, is open or has passed: whatever else the plan has booked."""
    soon = today + timedelta(days=RECALL_DAYS)
    sessions = Session.objects.filter(
        status=Session.Status.TO_BOOK,
        optional=False,
        plan__status=TreatmentPlan.Status.ACTIVE,
        earliest__lte=soon,
    )
    if state == "overdue":
        sessions = sessions.filter(latest__lt=today)
    elif state == "closing":
        sessions = sessions.filter(latest__gte=today, latest__lte=soon)
    elif state == "open":
        sessions = sessions.filter(earliest__lte=today, latest__gt=soon)
    elif state == "opening":
        sessions = sessions.filter(earliest__gt=today, latest__gt=soon)
    if protocol_id:
        sessions = sessions.filter(plan__protocol_id=protocol_id)
    if clinician_id:
        sessions = sessions.filter(plan__clinician_id=clinician_id)
    return sessions.order_by("latest", "plan_id", "number")


def recall_board(
    today: date,
    *,
    page: str | int | None = 1,
    state: str = "",
    protocol_id: int | None = None,
    clinician_id: int | None = None,
) -> RecallPage:
    """One page (`RECALL_PAGE` rows) of the recall board, most urgent first, each row
    saying whether the plan needs a clinician's safety review before it can be booked.
    A fixed number of queries whatever the clinic's size: the count, the page, the
    reviews the process does not remember (`safety.review_needed`) and the consents to
    sign (`safety.consents_due`)."""
    sessions = recall_sessions(
        today, state=state, protocol_id=protocol_id, clinician_id=clinician_id
    )
    # Counted without the joins the rows need: the count reads the index alone.
    paginator = Paginator(sessions, RECALL_PAGE)
    current = paginator.get_page(page)
    first = (current.number - 1) * RECALL_PAGE
    values = sessions.values_list(*RECALL_FIELDS)[first : first + RECALL_PAGE]
    # The phone as the pages show it ("+33 6 30 63 66 10"), not the stored number.
    rows = [RecallRow(*row) for row in values]
    rows = [row._replace(phone=str(row.phone)) for row in rows]
    blocked = safety.review_needed([row.plan_id for row in rows])
    due = safety.consents_due([row.plan_id for row in rows])
    soon = today + timedelta(days=RECALL_DAYS)
    recalls = [_recall(row, today, soon, row.plan_id in blocked) for row in rows]
    for recall in recalls:
        recall.consent = due.get(recall.row.plan_id, "")
    return RecallPage(recalls, current, paginator.count)


def _recall(row: RecallRow, today: date, soon: date, review: bool) -> Recall:
    if row.latest < today:
        days = (today - row.latest).days
        label = f"overdue by {days} day{'s' if days != 1 else ''}"
        return Recall(row, "overdue", label, review)
    if row.latest <= soon:
        return Recall(row, "closing", f"window closes {row.latest:%a %d %b}", review)
    if row.earliest <= today:
        return Recall(row, "open", f"window open until {row.latest:%d %b}", review)
    return Recall(row, "opening", f"window opens {row.earliest:%a %d %b}", review)


# --- the rebooking worklist ---------------------------------------------------------------


def rebooking_worklist():
    """The live appointments a closure, a time off or a re-planned course left invalid,
    soonest first: reception gives each a new time."""
    return (
        Appointment.objects.filter(needs_rebooking=True, status__in=Appointment.LIVE)
        .select_related(
            "session__plan__protocol",
            "session__plan__clinician__user",
            "patient",
            "clinician__user",
            "room",
        )
        .order_by("starts_at", "pk")
    )


def rebooking_count() -> int:
    return Appointment.objects.filter(needs_rebooking=True, status__in=Appointment.LIVE).count()


# --- a patient's plans ------------------------------------------------------------------


def patient_plans(patient: Patient) -> list[TreatmentPlan]:
    """Every plan of the patient with its sessions and their appointments. Five queries."""
    return list(
        patient.plans.select_related("protocol", "clinician__user")
        .prefetch_related(
            "areas",
            "products",
            Prefetch("sessions", queryset=Session.objects.order_by("number")),
            Prefetch(
                "sessions__appointments",
                queryset=Appointment.objects.select_related("clinician__user", "room").order_by(
                    "created_at", "pk"
                ),
            ),
        )
        .order_by("-start_date", "-pk")
    )


def plan_sessions(plan: TreatmentPlan) -> list[Session]:
    """The plan's sessions in order, each with its appointments, oldest first. Two
    queries."""
    return list(
        plan.sessions.order_by("number").prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related(
                    "clinician__user", "room", "changed_by"
                ).order_by("created_at", "pk"),
            )
        )
    )


def current_appointment(session: Session) -> Appointment | None:
    """The live or done appointment of a session (uses prefetched `appointments`)."""
    for appointment in session.appointments.all():
        if appointment.status in Appointment.OCCUPYING:
            return appointment
    return None


def patient_reminders(patient: Patient, limit: int = 20) -> list[Reminder]:
    """The reminders last sent to the patient, newest first (one query)."""
    return list(Reminder.objects.filter(appointment__patient=patient)[:limit])


def no_show_count(patient: Patient) -> int:
    return Appointment.objects.filter(patient=patient, status=Appointment.Status.NO_SHOW).count()


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


def past_overrides(plan: TreatmentPlan) -> list:
    """The overrides recorded on the plan before its current one, newest first, each with
    its author, time and reason, from the plan's audit trail (one query)."""
    rows = (
        TreatmentPlan.trail.model.objects.filter(id=plan.pk, override_at__isnull=False)
        .exclude(override_at=plan.override_at)
        .select_related("override_by__user")
        .order_by("-override_at", "-history_id")
    )
    seen, overrides = set(), []
    for row in rows:
        if row.override_at not in seen:
            seen.add(row.override_at)
            overrides.append(row)
    return overrides


# --- instructions with real dates ---------------------------------------------------------


def instruction_rules() -> list[instructions.Rule]:
    """The clinic's active instruction rules, in order, as the pure module takes them.
    Four queries."""
    rows = InstructionRule.objects.filter(is_active=True).prefetch_related(
        "translations", "forbids_methods", "methods"
    )
    return [row.as_rule() for row in rows]


def patient_facts(patient_ids) -> dict[int, instructions.PatientFacts]:
    """What triggers instructions for each patient: the answers of their latest screening
    (the one the schedule's cards read), their sex, and their language. Two queries."""
    people = Patient.objects.filter(pk__in=patient_ids).values_list(
        "pk", "sex", "preferred_language"
    )
    answers = [field.value for field in instructions.SCREENING_TRIGGERS]
    latest: dict[int, frozenset[str]] = {}
    screenings = (
        Screening.objects.filter(patient_id__in=patient_ids)
        .order_by("patient_id", "-screened_on", "-id")
        .values_list("patient_id", *answers)
    )
    for patient_id, *values in screenings:
        if patient_id not in latest:
            latest[patient_id] = frozenset(a for a, yes in zip(answers, values, strict=True) if yes)
    facts = {}
    for pk, sex, language in people:
        triggers = set(latest.get(pk, ()))
        if sex == Patient.Sex.MALE:
            triggers.add(instructions.Trigger.MALE)
        facts[pk] = instructions.PatientFacts(frozenset(triggers), language)
    return facts


def appointment_instructions(
    appointments: Sequence[Appointment],
    *,
    clinic: ClinicSettings | None = None,
    rules: Sequence[instructions.Rule] | None = None,
    facts: Mapping[int, instructions.PatientFacts] | None = None,
) -> dict[int, list[instructions.DatedInstruction]]:
    """Each appointment's dated instructions (by appointment id), in the patient's
    language, on the clinic's clock. Computed, never stored: an appointment that moves
    takes its sentences with it. A fixed number of queries whatever the number of
    appointments: the clinic's settings and the rules (none when given), the patients
    and their screenings (none when given), the appointments' methods."""
    if not appointments:
        return {}
    clinic = clinic or ClinicSettings.load()
    rules = instruction_rules() if rules is None else rules
    if facts is None:
        facts = patient_facts({appointment.patient_id for appointment in appointments})
    methods = dict(
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]).values_list(
            "pk", "session__plan__protocol__method_id"
        )
    )
    tz = clinic.tz
    return {
        appointment.pk: instructions.dated_instructions(
            instructions.Visit(
                appointment.starts_at, appointment.ends_at, tz, methods.get(appointment.pk)
            ),
            facts[appointment.patient_id],
            rules,
            cream_minutes=clinic.anaesthetic_cream_minutes,
        )
        for appointment in appointments
    }


# --- reception's call list ------------------------------------------------------------------


def call_list(day: date, clinic: ClinicSettings | None = None) -> list[calls.Line]:
    """Whom to call on `day` and why (`plans.calls`). A fixed number of queries whatever
    the number of patients: the appointments of the days ahead and those to rebook, their
    instructions, the consents due, the ticks."""
    clinic = clinic or ClinicSettings.load()
    tz = clinic.tz
    rules = instruction_rules()
    pauses = [rule.offset for rule in rules if rule.trigger in instructions.MEDICATION_TRIGGERS]
    # The last day an appointment is called about: its pause starts tomorrow, or its
    # consent is asked for a week ahead.
    ahead = max([calls.CONSENT_DAYS, *[offset + 1 for offset in pauses]])
    tomorrow = engine.add_interval(day, 1, engine.Unit.DAY)
    first = slots.day_spans(tomorrow, tomorrow, tz)[0].start
    until = slots.day_spans(day, engine.add_interval(day, ahead, engine.Unit.DAY), tz)[-1].end
    soon = slots.day_spans(day, engine.add_interval(day, calls.CONSENT_DAYS, engine.Unit.DAY), tz)
    rows = list(
        Appointment.objects.filter(
            Q(status=Appointment.Status.BOOKED, starts_at__gte=first, starts_at__lt=until)
            | Q(status__in=Appointment.LIVE, needs_rebooking=True)
        )
        .select_related("patient", "clinician__user", "session")
        .order_by("starts_at", "pk")
    )
    facts = patient_facts({row.patient_id for row in rows})
    dated = appointment_instructions(rows, clinic=clinic, rules=rules, facts=facts)
    due = safety.consents_due(
        list({row.session.plan_id for row in rows if row.starts_at < soon[-1].end})
    )
    reasons: list[calls.Reason | None] = []
    people = {}
    for row in rows:
        wants_cream = instructions.Trigger.ANAESTHETIC_CREAM in facts[row.patient_id].triggers
        told = calls.Appointment(
            row.pk,
            row.patient_id,
            row.starts_at,
            str(row.clinician),
            reminders.arrival(row.starts_at, wants_cream, clinic.anaesthetic_cream_minutes),
        )
        people[row.patient_id] = calls.Person(
            row.patient_id, str(row.patient), str(row.patient.phone)
        )
        if row.needs_rebooking:
            reasons.append(calls.rebook(told, tz))
            continue
        if row.starts_at.astimezone(tz).date() == tomorrow:
            reasons.append(calls.confirm(told, tz))
        for item in dated[row.pk]:
            if item.is_medication_pause and not isinstance(item.starts, datetime):
                reasons.append(calls.pause(told, item.key, item.starts, item.sentence, day))
        if row.session.plan_id in due and row.starts_at < soon[-1].end:
            reasons.append(calls.consent(told, due[row.session.plan_id], tz))
    keys = [reason.key for reason in reasons if reason is not None]
    ticks = [
        calls.Tick(key, outcome, ticked_on, at, (by_name or "").strip() or username)
        for key, outcome, ticked_on, at, by_name, username in CallOutcome.objects.filter(
            key__in=keys, day__lte=day
        )
        .annotate(by_name=Concat("by__first_name", Value(" "), "by__last_name"))
        .values_list("key", "outcome", "day", "at", "by_name", "by__username")
    ]
    return calls.lines(people, reasons, ticks, day)


# --- traceable products: who received a lot ---------------------------------------------


def batches_with_treatments():
    """Batches with their product and how many treatments each went into (`treatments`)."""
    done = Q(uses__appointment__status=Appointment.Status.DONE)
    return ProductBatch.objects.select_related("product").annotate(
        treatments=Count("uses", filter=done)
    )


def lot_batches(lot: str) -> list[ProductBatch]:
    """The batches whose lot number holds `lot` (whatever its case), each with how many
    treatments it went into (`treatments`). One query."""
    return list(
        batches_with_treatments()
        .filter(lot_number__icontains=lot.strip())
        .order_by("product__name", "lot_number")
    )


def lot_uses(batch_ids: Sequence[int]) -> list[ProductUse]:
    """Every treatment that used one of the batches, oldest first, with its patient,
    clinician and product: the answer to "who received lot X, and when". One query."""
    return list(
        ProductUse.objects.filter(
            batch_id__in=batch_ids, appointment__status=Appointment.Status.DONE
        )
        .select_related("batch__product", "appointment__patient", "appointment__clinician__user")
        .order_by("appointment__starts_at", "appointment__pk", "pk")
    )


# --- the patients page before a search ---------------------------------------------------

SEEN_DAYS = 14  # how far back "recently seen" looks
UPCOMING_DAYS = 7  # how far ahead "upcoming" looks
SHORT_LIST = 10


def _first_per_patient(appointments, limit: int) -> list[Appointment]:
    seen: dict[int, Appointment] = {}
    for appointment in appointments:
        seen.setdefault(appointment.patient_id, appointment)
        if len(seen) == limit:
            break
    return list(seen.values())


def patients_at_hand(now: datetime, clinic: ClinicSettings | None = None):
    """The patients the front desk most likely looks for: those seen in the last
    `SEEN_DAYS` (arrived or treated; the latest visit first) and those booked in the next
    `UPCOMING_DAYS` (the soonest first), each with that appointment. Two queries."""
    clinic = clinic or ClinicSettings.load()
    today = now.astimezone(clinic.tz).date()
    since = slots.day_spans(
        engine.add_interval(today, -SEEN_DAYS, engine.Unit.DAY), today, clinic.tz
    )
    until = slots.day_spans(
        today, engine.add_interval(today, UPCOMING_DAYS, engine.Unit.DAY), clinic.tz
    )
    rows = Appointment.objects.select_related("patient", "clinician__user")
    seen = rows.filter(
        status__in=(Appointment.Status.ARRIVED, Appointment.Status.DONE),
        starts_at__gte=since[0].start,
        starts_at__lte=now,
    ).order_by("-starts_at", "-pk")
    upcoming = rows.filter(
        status=Appointment.Status.BOOKED, starts_at__gt=now, starts_at__lt=until[-1].end
    ).order_by("starts_at", "pk")
    # A patient has a few appointments in these days at most: 5 rows each is plenty.
    return (
        _first_per_patient(seen[: SHORT_LIST * 5], SHORT_LIST),
        _first_per_patient(upcoming[: SHORT_LIST * 5], SHORT_LIST),
    )
