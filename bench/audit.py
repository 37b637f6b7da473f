"""What the audit trail costs per write: django-simple-history (the one the clinic uses)
against django-auditlog, and against no trail at all.

Builds, in a throwaway test database of its own (with django-auditlog's table added for
the comparison only), one clinic, one plan of 14 sessions and its appointments, then
measures, for each of "no trail", "simple-history" and "auditlog":

1. `save`: an appointment saved with a change of time and notes (what a move or a
   treatment record does), 400 times;
2. `m2m`: the areas treated of an appointment set to one of two sets, 200 times;
3. `bulk`: 14 appointments of a plan created at once (what whole-plan booking does),
   20 times: simple-history's `bulk_create_with_history` (through `clinic.audit`);
   auditlog records nothing for `bulk_create`, so its figure is the plain one, with no
   trail.

Each figure is the median time of one operation and the number of queries it runs
(savepoints included), measured inside one transaction so that the disk's time to
commit, the same with or without a trail, does not hide what the trail adds.
The last line reads `save: none X ms, simple-history Y ms, auditlog Z ms; m2m: ...;
bulk: ...` (medians).

Run from the repository root: `.venv/bin/python bench/audit.py` (SQLite), or with
`DATABASE_URL=postgres://...` set (PostgreSQL). Profile one configuration with
`python -m cProfile -s cumtime bench/audit.py`.
"""

import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

from django.conf import settings

# django-auditlog is installed for this comparison only: the clinic does not use it.
settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "auditlog"]

import django  # noqa: E402

django.setup()

import booking  # noqa: E402  (bench/booking.py: its throwaway database)
from auditlog.models import LogEntry  # noqa: E402
from auditlog.registry import auditlog  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from clinic import audit  # noqa: E402
from clinic.models import Clinician, Method, Room, TreatmentArea  # noqa: E402
from patients.models import Patient  # noqa: E402
from plans import engine, services  # noqa: E402
from plans.models import Appointment, Protocol, TreatmentPlan  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
SAVES, M2M_CHANGES, BULKS = int(os.environ.get("BENCH_SAVES", 400)), 200, 20
START = datetime(2027, 1, 4, 9, tzinfo=PARIS)
CONFIGURATIONS = ("none", "simple-history", "auditlog")


def use(configuration: str) -> None:
    """Switch the trail: simple-history by its setting, auditlog by registering."""
    settings.SIMPLE_HISTORY_ENABLED = configuration == "simple-history"
    if configuration == "auditlog":
        auditlog.register(Appointment, m2m_fields={"areas_treated"})
    else:
        auditlog.unregister(Appointment)


class Clinic:
    def __init__(self) -> None:
        method = Method.objects.create(name="Needle injection")
        user = get_user_model().objects.create(username="claire.martin", password="!")
        self.clinician = Clinician.objects.create(user=user)
        self.room = Room.objects.create(name="Room 1")
        self.areas = [TreatmentArea.objects.create(name=name) for name in ("Face", "Neck")]
        protocol = Protocol.objects.create(
            name="Bench", indication=Protocol.Indication.REJUVENATION, method=method
        )
        services.protocol_set_phases(
            protocol=protocol, phases=engine.parse_protocol("every 2 weeks, 14 sessions")
        )
        self.protocol = protocol

    def plan(self) -> TreatmentPlan:
        patient = Patient.objects.create(
            first_name="Sophie",
            last_name="Bernard",
            date_of_birth=date(1980, 5, 17),
            sex=Patient.Sex.FEMALE,
            phone="+33 6 12 34 56 78",
        )
        return services.plan_create(
            patient=patient,
            protocol=self.protocol,
            start_date=START.date(),
            clinician=self.clinician,
            areas=self.areas[:1],
        )

    def appointments(self, plan: TreatmentPlan) -> list[Appointment]:
        """A booking of every session, two hours after the previous plan's (PostgreSQL's
        exclusion constraints refuse any overlap for the one clinician and room)."""
        self.shift = getattr(self, "shift", -2) + 2
        first = START + timedelta(hours=self.shift)
        return [
            Appointment(
                session=session,
                patient_id=plan.patient_id,
                starts_at=first + timedelta(days=14 * n),
                ends_at=first + timedelta(days=14 * n, minutes=45),
                blocks_until=first + timedelta(days=14 * n, minutes=55),
                clinician=self.clinician,
                room=self.room,
            )
            for n, session in enumerate(plan.sessions.order_by("number"))
        ]


def measure(operation, rounds: int) -> tuple[float, float]:
    """Median milliseconds and mean queries of one `operation(n)`, each in a savepoint of
    one transaction: what the trail adds to a write, without the disk's time to commit
    (the same one commit with or without a trail)."""
    times, queries = [], []
    with transaction.atomic():
        return _measure(operation, rounds, times, queries)


def _measure(operation, rounds, times, queries) -> tuple[float, float]:
    for n in range(rounds):
        connection.queries_log.clear()  # it keeps the last 9,000 only
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            with transaction.atomic():
                operation(n)
            times.append((time.perf_counter() - began) * 1000)
        queries.append(len(captured.captured_queries))
    return statistics.median(times), statistics.mean(queries)


def run(clinic: Clinic, configuration: str) -> dict[str, tuple[float, float]]:
    use(configuration)
    plan = clinic.plan()
    appointment = clinic.appointments(plan)[0]
    appointment.save()

    first = appointment.starts_at

    def save(n):
        appointment.starts_at = first + timedelta(minutes=15 * (n % 2))
        appointment.ends_at = appointment.starts_at + timedelta(minutes=45)
        appointment.blocks_until = appointment.ends_at + timedelta(minutes=10)
        appointment.notes = f"Note {n}"
        appointment.save()

    def m2m(n):
        appointment.areas_treated.set(clinic.areas[: 1 + n % 2])

    plans = [clinic.plan() for _ in range(BULKS)]

    def bulk(n):
        rows = clinic.appointments(plans[n])
        if configuration == "simple-history":
            audit.bulk_create(Appointment, rows)
        else:
            Appointment.objects.bulk_create(rows)

    return {
        "save": measure(save, SAVES),
        "m2m": measure(m2m, M2M_CHANGES),
        "bulk": measure(bulk, BULKS),
    }


def main() -> None:
    old_name = booking.create_database("bench_audit")
    try:
        clinic = Clinic()
        print(f"{booking.database_name()}: {SAVES} saves, {M2M_CHANGES} m2m changes, {BULKS} bulks")
        results = {configuration: run(clinic, configuration) for configuration in CONFIGURATIONS}
        use("none")
        history = Appointment.trail.model.objects.count()
        entries = LogEntry.objects.count()
        print(f"rows written: {history} historical appointments, {entries} log entries")
        for configuration, figures in results.items():
            parts = [
                f"{name} {ms:.2f} ms ({queries:.1f} queries)"
                for name, (ms, queries) in figures.items()
            ]
            print(f"{configuration:>15}: " + ", ".join(parts))
        print(
            "; ".join(
                f"{name}: " + ", ".join(f"{c} {results[c][name][0]:.2f} ms" for c in CONFIGURATIONS)
                for name in ("save", "m2m", "bulk")
            )
        )
    finally:
        settings.SIMPLE_HISTORY_ENABLED = True
        booking.destroy_database(old_name)


if __name__ == "__main__":
    main()
