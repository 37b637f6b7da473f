"""How fast booking is in a busy clinic: slot search, whole-plan booking, and a plain search.

Builds, in a throwaway test database of its own, a clinic of 10 clinicians and 6 rooms open
every day 08:00-20:00 (clinicians working the same hours, 10-minute buffer, 15-minute
grid, 30-minute sessions) with a year of bookings: 30,000 sessions written directly with
`bulk_create`, those before "now" done and those after booked. "Now" is fixed in the middle
of the year and passed to the services. Then measures:

1. `availability.slot_search` for one session with a 14-day window (session 2..14 of
   "every 2 weeks ±7 days, 14 sessions": due ±7 days, 15 calendar days), over 50 sessions
   on different dates;
2. `availability.plan_propose` + `booking.plan_book` of a whole 14-session plan, over 20 new
   plans of new patients;
3. the same slot search done the plain way (`plain_search`): load every booking around the
   window, test each grid step of each day against each clinician x room pair by scanning
   the loaded bookings. Its slots must be the same as `slot_search`'s.

Prints the figures (medians and 90th percentiles); the last line is
`search: X ms, plan: Y ms, plain search: Z ms, ratio: R` (medians, R = plain / search).
The issue's goal: search under 10 ms, plan under 150 ms, on SQLite and PostgreSQL.

Run from the repository root: `.venv/bin/python bench/booking.py` (SQLite), or with
`DATABASE_URL=postgres://...` set (PostgreSQL).
"""

import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from clinic.models import (  # noqa: E402
    Clinician,
    ClinicSettings,
    Method,
    OpeningHours,
    Room,
    TreatmentArea,
    WorkingHours,
)
from patients.models import Patient, Screening  # noqa: E402
from plans import availability, booking, engine, services  # noqa: E402
from plans.calendar import calendar_changed  # noqa: E402
from plans.models import Appointment, Protocol, Session, TreatmentPlan  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
CLINICIANS, ROOMS, PATIENTS = 10, 6, 3_000
OPENS, CLOSES = wall(8), wall(20)
SESSION_MINUTES, BUFFER_MINUTES, GRID_MINUTES = 30, 10, 15
# The generated bookings sit on 40-minute positions (session + buffer) from 08:00.
POSITION = timedelta(minutes=SESSION_MINUTES + BUFFER_MINUTES)
POSITIONS = 18
FIRST_DAY, DAYS, BOOKINGS = date(2026, 1, 1), 365, 30_000
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)
PROTOCOL = "every 2 weeks ±7 days, 14 sessions"
SEARCHES, SEARCH_ROUNDS, PLANS = 50, 3, 20  # the plain search runs once per session
SEED = 4


# --- the throwaway database ---------------------------------------------------------------


def create_database(prefix: str = "bench_booking") -> str:
    """Create and migrate a test database of our own; returns the name to restore."""
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        # `test_<name>` is the test suite's: never clobber it while others run tests.
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = f"{prefix}_{os.getpid()}"
        assert connection.settings_dict["TEST"]["NAME"] == test["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return old_name


def destroy_database(old_name: str) -> None:
    connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


def database_name() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return f"{connection.display_name} {connection.Database.sqlite_version}"


def database_label() -> str:
    """The vendor and version, and the throwaway database's name."""
    return f"{database_name()} (throwaway database {Path(connection.settings_dict['NAME']).name})"


# --- the clinic and its year of bookings ---------------------------------------------------


class Clinic:
    """What the bench built: the rows the measurements need."""

    def __init__(self) -> None:
        settings_row = ClinicSettings.load()
        settings_row.time_zone = "Europe/Paris"
        settings_row.buffer_minutes = BUFFER_MINUTES
        settings_row.slot_grid_minutes = GRID_MINUTES
        settings_row.save()
        OpeningHours.objects.bulk_create(
            OpeningHours(weekday=day, opens=OPENS, closes=CLOSES) for day in range(7)
        )
        self.method = Method.objects.create(name="Needle injection")
        users = get_user_model().objects.bulk_create(
            get_user_model()(
                username=f"clinician{n:02}",
                first_name="Dr",
                last_name=f"Clinician {n:02}",
                password="!",  # unusable: nobody logs in
            )
            for n in range(CLINICIANS)
        )
        self.clinicians = Clinician.objects.bulk_create(Clinician(user=user) for user in users)
        Clinician.methods.through.objects.bulk_create(
            Clinician.methods.through(clinician_id=c.pk, method_id=self.method.pk)
            for c in self.clinicians
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(clinician=c, weekday=day, starts=OPENS, ends=CLOSES)
            for c in self.clinicians
            for day in range(7)
        )
        self.rooms = Room.objects.bulk_create(Room(name=f"Room {n + 1}") for n in range(ROOMS))
        self.protocol = Protocol.objects.create(
            name="Bench protocol",
            indication=Protocol.Indication.REJUVENATION,
            method=self.method,
            session_minutes=SESSION_MINUTES,
        )
        services.protocol_set_phases(protocol=self.protocol, phases=engine.parse_protocol(PROTOCOL))
        self.area = TreatmentArea.objects.create(name="Face")
        self.patients = self.new_patients(PATIENTS)
        # One plan per patient holds the generated bookings (no engine: rows written as is).
        self.plans = TreatmentPlan.objects.bulk_create(
            TreatmentPlan(
                patient=patient,
                protocol=self.protocol,
                start_date=FIRST_DAY,
                clinician=self.clinicians[n % CLINICIANS],
            )
            for n, patient in enumerate(self.patients)
        )
        steps, times = zip(*self.year_of_sessions(), strict=True)
        steps = Session.objects.bulk_create(steps, batch_size=2_000)
        Appointment.objects.bulk_create(
            (
                Appointment(session=step, patient_id=step.patient_id, **fields)
                for step, fields in zip(steps, times, strict=True)
            ),
            batch_size=2_000,
        )
        calendar_changed()  # the hours, staff and rooms above were bulk-created
        if connection.vendor == "postgresql":
            # Autovacuum would soon do it on a live database: plan queries on real statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    def new_patients(self, count: int) -> list[Patient]:
        """Patients with a clean screening (booking refuses unscreened patients)."""
        first = Patient.objects.count()
        patients = Patient.objects.bulk_create(
            Patient(
                first_name="Sophie",
                last_name=f"Bernard{first + n:05}",
                date_of_birth=date(1980, 5, 17),
                sex=Patient.Sex.FEMALE,
                phone="+33 6 12 34 56 78",
            )
            for n in range(count)
        )
        Screening.objects.bulk_create(
            Screening(
                patient=patient,
                screened_on=date(2025, 12, 1),
                screened_by=self.clinicians[n % CLINICIANS],
            )
            for n, patient in enumerate(patients)
        )
        return patients

    def year_of_sessions(self) -> list[tuple[Session, dict]]:
        """BOOKINGS sessions and their appointments over DAYS days, on ROOMS x POSITIONS
        40-minute positions a day.

        The clinician of room r at position k is (r + 6k) % 10, so the ones at the same
        time differ; patients take turns, so the ones at the same time differ too. Nothing
        overlaps, buffer included: the PostgreSQL exclusion constraints accept every row.
        """
        rng = random.Random(SEED)
        buffer = timedelta(minutes=BUFFER_MINUTES)
        length = timedelta(minutes=SESSION_MINUTES)
        numbers = [0] * PATIENTS
        rows, turn = [], 0
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            opens = datetime.combine(day, OPENS, tzinfo=PARIS)
            wanted = BOOKINGS * (offset + 1) // DAYS - BOOKINGS * offset // DAYS
            for position in sorted(rng.sample(range(ROOMS * POSITIONS), wanted)):
                k, r = divmod(position, ROOMS)
                starts_at = (opens + k * POSITION).astimezone(UTC)
                patient = turn % PATIENTS
                turn += 1
                numbers[patient] += 1
                done = starts_at < NOW
                rows.append(
                    (
                        Session(
                            plan_id=self.plans[patient].pk,
                            patient_id=self.patients[patient].pk,
                            number=numbers[patient],
                            phase=1,
                            due=day,
                            earliest=day,
                            latest=day,
                            status=Session.Status.DONE if done else Session.Status.BOOKED,
                        ),
                        {
                            "status": Appointment.Status.DONE
                            if done
                            else Appointment.Status.BOOKED,
                            "starts_at": starts_at,
                            "ends_at": starts_at + length,
                            "blocks_until": starts_at + length + buffer,
                            "clinician_id": self.clinicians[(r + 6 * k) % CLINICIANS].pk,
                            "room_id": self.rooms[r].pk,
                        },
                    )
                )
        return rows

    def new_plan(self, patient: Patient, start: date, n: int) -> TreatmentPlan:
        """A plan as the clinic makes one: every session planned, nothing booked yet."""
        return services.plan_create(
            patient=patient,
            protocol=self.protocol,
            start_date=start,
            clinician=self.clinicians[n % CLINICIANS],
            areas=[self.area],
        )

    def search_sessions(self, count: int) -> list[Session]:
        """Sessions 2..14 (15-day windows) due 10, 13, 16... days after now, of new plans of
        patients who already have bookings."""
        sessions = []
        for n in range(count):
            number = 2 + n % 13
            due = NOW.date() + timedelta(days=10 + 3 * n)
            start = due - timedelta(weeks=2 * (number - 1))
            plan = self.new_plan(self.patients[n], start, n)
            sessions.append(plan.sessions.get(number=number))
        return sessions


# --- the plain way ------------------------------------------------------------------------


def plain_search(session: Session, *, now: datetime, limit: int = 10) -> list[tuple]:
    """The slot search written the straightforward way: same rules, no span arithmetic.

    Loads every booking (booked or done) from 14 days before the window to 14 days after
    it for all clinicians, rooms and the patient, grouped by clinician, room and patient;
    then, day by day closest to the due date first, tries every grid step of the day
    against every clinician x room pair, scanning their loaded bookings for an overlap
    (buffer included). The first free pair takes the step. Returns up to `limit`
    `(start, end, clinician_id, room_id)`.

    Like `slot_search` for a plan with nothing booked yet: no spacing from neighbours,
    no patient preference. The bench's clinic has no closures, time off or equipment.
    """
    plan = TreatmentPlan.objects.select_related("protocol").get(pk=session.plan_id)
    clinic = ClinicSettings.load()
    tz = clinic.tz
    length = timedelta(minutes=plan.protocol.session_minutes)
    buffer = timedelta(minutes=clinic.buffer_minutes)
    occupied = length + buffer
    open_hours = defaultdict(list)
    for row in OpeningHours.objects.all():
        open_hours[row.weekday].append((row.opens, row.closes))
    clinicians = list(
        Clinician.objects.filter(methods=plan.protocol.method_id, is_active=True)
        .prefetch_related("hours")
        .distinct()
    )
    clinicians.sort(key=lambda c: c.pk != plan.clinician_id)
    hours = {c.pk: [(h.weekday, h.starts, h.ends) for h in c.hours.all()] for c in clinicians}
    rooms = [room.pk for room in Room.objects.filter(is_active=True)]

    reach = timedelta(days=availability.OUTSIDE_DAYS)
    range_start = datetime.combine(session.earliest - reach, wall(0), tzinfo=tz)
    range_end = datetime.combine(session.latest + reach + timedelta(days=1), wall(0), tzinfo=tz)
    rows = (
        Appointment.objects.filter(
            status__in=Appointment.OCCUPYING,
            starts_at__lt=range_end,
            ends_at__gt=range_start - buffer,
        )
        .filter(
            Q(clinician_id__in=[c.pk for c in clinicians])
            | Q(room_id__in=rooms)
            | Q(patient_id=plan.patient_id)
        )
        .exclude(session_id=session.pk)
        .values_list("clinician_id", "room_id", "patient_id", "starts_at", "ends_at")
    )
    by_clinician, by_room, patient_busy = defaultdict(list), defaultdict(list), []
    for clinician_id, room_id, patient_id, starts_at, ends_at in rows:
        by_clinician[clinician_id].append((starts_at, ends_at))
        by_room[room_id].append((starts_at, ends_at))
        if patient_id == plan.patient_id:
            patient_busy.append((starts_at, ends_at))

    def free(busy, start, end):
        return not any(start < b_end + buffer and b_start < end for b_start, b_end in busy)

    def within(spans, day, start, end):
        return any(
            datetime.combine(day, a, tzinfo=tz) <= start
            and end <= datetime.combine(day, b, tzinfo=tz)
            for a, b in spans
        )

    days = [
        session.earliest + timedelta(days=n)
        for n in range((session.latest - session.earliest).days + 1)
    ]
    days.sort(key=lambda day: (abs((day - session.due).days), day))
    found = []
    for day in days:
        for minute in range(0, 24 * 60, clinic.slot_grid_minutes):
            start = datetime.combine(day, wall(minute // 60, minute % 60), tzinfo=tz)
            end = start + occupied
            if start < now or not within(open_hours[day.weekday()], day, start, end):
                continue
            if not free(patient_busy, start, end):
                continue
            slot = None
            for clinician in clinicians:
                works = [
                    (a, b) for weekday, a, b in hours[clinician.pk] if weekday == day.weekday()
                ]
                if not within(works, day, start, end):
                    continue
                if not free(by_clinician[clinician.pk], start, end):
                    continue
                for room in rooms:
                    if free(by_room[room], start, end):
                        slot = (start, start + length, clinician.pk, room)
                        break
                if slot:
                    break
            if slot:
                found.append(slot)
                if len(found) >= limit:
                    return found
    return found


# --- measuring ----------------------------------------------------------------------------


def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000, result


def figures(label: str, samples: list[float]) -> str:
    p90 = statistics.quantiles(samples, n=10)[-1]
    return (
        f"{label}: median {statistics.median(samples):.1f} ms, p90 {p90:.1f} ms, "
        f"min {min(samples):.1f} ms, max {max(samples):.1f} ms ({len(samples)} runs)"
    )


def fresh(session: Session) -> Session:
    return Session.objects.get(pk=session.pk)


def measure_searches(sessions: list[Session]) -> tuple[list[float], list[float], int]:
    """Times slot_search and plain_search on each session; counts their agreements."""
    searched, plain, agree = [], [], 0
    for round_ in range(SEARCH_ROUNDS):
        for session in sessions:
            loaded = fresh(session)  # as a view holds it: the search starts from the row
            ms, found = timed(lambda s=loaded: availability.slot_search(session=s, now=NOW))
            searched.append(ms)
            if round_ == 0:
                loaded = fresh(session)
                ms, slots = timed(lambda s=loaded: plain_search(s, now=NOW))
                plain.append(ms)
                ours = [(s.start, s.end, s.clinician_id, s.room_id) for s in found.slots]
                agree += found.reason is None and ours == slots
    return searched, plain, agree


def measure_plans(clinic: Clinic, count: int) -> tuple[list[float], int, int]:
    samples, placed, failed = [], 0, 0
    for n, patient in enumerate(clinic.new_patients(count)):
        plan = clinic.new_plan(patient, NOW.date() + timedelta(days=1 + n // 2), n)

        def book(plan=plan):
            proposal = availability.plan_propose(plan=plan, now=NOW)
            booked = booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
            return proposal, booked

        ms, (proposal, booked) = timed(book)
        samples.append(ms)
        placed += len(booked)
        failed += len(proposal.failures)
    return samples, placed, failed


def count_queries(clinic: Clinic, session: Session) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as search:
        availability.slot_search(session=fresh(session), now=NOW)
    plan = clinic.new_plan(clinic.new_patients(1)[0], NOW.date() + timedelta(days=30), 0)
    with CaptureQueriesContext(connection) as plan_queries:
        proposal = availability.plan_propose(plan=plan, now=NOW)
        booking.plan_book(plan=plan, placements=proposal.placements, now=NOW)
    return len(search), len(plan_queries)


def run() -> str:
    print(f"database: {database_label()}")
    seconds, clinic = timed(Clinic)
    done = Appointment.objects.filter(status=Appointment.Status.DONE).count()
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED).count()
    print(
        f"clinic: {CLINICIANS} clinicians, {ROOMS} rooms, open every day "
        f"{OPENS:%H:%M}-{CLOSES:%H:%M}, {SESSION_MINUTES}-minute sessions, "
        f"{BUFFER_MINUTES}-minute buffer, {GRID_MINUTES}-minute grid"
    )
    print(
        f"bookings: {done + booked} sessions of {PATIENTS} patients "
        f"from {FIRST_DAY} over {DAYS} days ({done} done, {booked} booked), "
        f"built in {seconds / 1000:.1f} s; now = {NOW:%Y-%m-%d %H:%M %Z}"
    )
    print(f"protocol: {PROTOCOL} ({SESSION_MINUTES} min)")

    sessions = clinic.search_sessions(SEARCHES + 1)
    warm_up, sessions = sessions[0], sessions[1:]
    availability.slot_search(session=fresh(warm_up), now=NOW)
    plain_search(fresh(warm_up), now=NOW)
    windows = {(s.latest - s.earliest).days + 1 for s in sessions}
    print(
        f"slot search: {len(sessions)} sessions due {sessions[0].due} .. {sessions[-1].due}, "
        f"windows of {'/'.join(map(str, sorted(windows)))} days, "
        f"slot_search {SEARCH_ROUNDS} rounds, plain search 1 round"
    )
    searched, plain, agree = measure_searches(sessions)
    print("  " + figures("slot_search", searched))
    print("  " + figures("plain search", plain))
    print(f"  plain search gives the same 10 slots as slot_search for {agree}/{len(sessions)}")

    plans, placed, failed = measure_plans(clinic, PLANS)
    print(f"whole plans: {PLANS} new 14-session plans, proposed and booked")
    print("  " + figures("plan_propose + plan_book", plans))
    print(f"  sessions placed: {placed}/{PLANS * 14}, not placed: {failed}")

    search_queries, plan_queries = count_queries(clinic, warm_up)
    print(f"queries: one slot search {search_queries}, one whole plan {plan_queries}")

    search_ms, plan_ms = statistics.median(searched), statistics.median(plans)
    plain_ms = statistics.median(plain)
    goals = [
        f"search {'met' if search_ms < 10 else 'MISSED'} (< 10 ms)",
        f"plan {'met' if plan_ms < 150 else 'MISSED'} (< 150 ms)",
    ]
    print("goals: " + ", ".join(goals))
    return (
        f"search: {search_ms:.1f} ms, plan: {plan_ms:.1f} ms, "
        f"plain search: {plain_ms:.1f} ms, ratio: {plain_ms / search_ms:.1f}"
    )


def main() -> None:
    # Queries are not logged as they would be with DEBUG on: time the code, not the log.
    settings.DEBUG = False
    old_name = create_database()
    try:
        last_line = run()
    finally:
        destroy_database(old_name)
    print(last_line)


if __name__ == "__main__":
    main()
