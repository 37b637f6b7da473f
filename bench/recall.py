"""How fast the recall board opens in a big clinic, against the day schedule.

Builds, in a throwaway database of its own, the clinic of `bench/schedule.py` (a day of
160 appointments, a year of history) plus 5,000 patients with an active plan each whose
next session is to book: 4,600 of them overdue, the rest with a window open or opening.
Then opens, through Django's test client as the receptionist, the first page of the
recall board (50 rows) and the day schedule, `RUNS` times each, alternating.

The last line reads exactly `recall: X ms for N plans, schedule: Y ms, ratio: R`
(medians of the same run, R = recall / schedule). Goal: R ≤ 1.

    .venv/bin/python bench/recall.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/recall.py
"""

import os
import statistics
import sys
import time as clock
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django

django.setup()

import schedule  # noqa: E402  (bench/schedule.py: the day it measures)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

RECALL_PATIENTS = 5000
OVERDUE = 4600
RUNS = 30


def build_recalls(day: date) -> int:
    from clinic.models import Clinician
    from patients.models import Patient, Screening
    from plans.models import PlanPhase, Protocol, Session, TreatmentPlan

    protocol = Protocol.objects.get()
    phases = protocol.phase_values()
    clinicians = list(Clinician.objects.order_by("pk"))
    Patient.objects.bulk_create(
        Patient(
            first_name=f"R{i}",
            last_name=f"Recall{i}",
            date_of_birth=date(1975, 1, 1),
            sex="F",
            phone="+33 6 11 11 11 11",
        )
        for i in range(RECALL_PATIENTS)
    )
    patients = list(Patient.objects.filter(last_name__startswith="Recall").order_by("pk"))
    Screening.objects.bulk_create(
        Screening(patient=p, screened_on=day - timedelta(days=30), screened_by=clinicians[0])
        for p in patients
    )
    plans = TreatmentPlan.objects.bulk_create(
        TreatmentPlan(
            patient=p,
            protocol=protocol,
            start_date=day - timedelta(days=120),
            clinician=clinicians[i % len(clinicians)],
        )
        for i, p in enumerate(patients)
    )
    PlanPhase.objects.bulk_create(
        PlanPhase(plan=plan, position=position, **PlanPhase.fields_of(phase))
        for plan in plans
        for position, phase in enumerate(phases, start=1)
    )
    steps = []
    for i, plan in enumerate(plans):
        # Overdue by 1 to 60 days, or open, or opening within the week.
        due = day - timedelta(days=1 + i % 60) if i < OVERDUE else day + timedelta(days=i % 7)
        steps.append(
            Session(
                plan=plan,
                patient_id=plan.patient_id,
                number=1,
                phase=1,
                due=due,
                earliest=due - timedelta(days=2),
                latest=due + timedelta(days=2) if i >= OVERDUE else due,
            )
        )
    Session.objects.bulk_create(steps, batch_size=2000)
    return len(plans)


def median_ms(client: Client, url: str) -> float:
    timings = []
    for _ in range(RUNS):
        began = clock.perf_counter()
        response = client.get(url)
        timings.append((clock.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def main() -> None:
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from clinic.models import ClinicSettings

        day = ClinicSettings.load().today()
        schedule.build(day)
        plans = build_recalls(day)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        client = Client()
        client.force_login(get_user_model().objects.get(username="desk"))
        recall_url, day_url = "/recall/", f"/schedule/{day.isoformat()}/"
        page = client.get(recall_url).content.decode()  # warm the caches
        client.get(day_url)
        rows = page.count("<tr>") - 1
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            order = os.environ.get("BENCH_PROFILE_SORT", "tottime")
            cProfile.runctx("client.get(recall_url)", globals(), locals(), sort=order)
        recall_ms = median_ms(client, recall_url)
        schedule_ms = median_ms(client, day_url)
        print(f"database: {connection.vendor}; recall board: {rows} rows, {len(page)} bytes")
        print(
            f"recall: {recall_ms:.1f} ms for {plans} plans, schedule: {schedule_ms:.1f} ms, "
            f"ratio: {recall_ms / schedule_ms:.2f}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
