"""How fast the receptionist's day opens: a day of 160 bookings (10 clinicians) in a clinic
with a year of history, rendered 50 times through Django's test client.

Sets up its own throwaway database (a SQLite file in a temporary folder, or the database
DATABASE_URL names, whose test copy is created and dropped). Goal: median under 15 ms.
The last line reads exactly `schedule: X ms for N bookings, Q queries`.

    .venv/bin/python bench/schedule.py
    BENCH_PROFILE=1 BENCH_PROFILE_SORT=cumulative .venv/bin/python bench/schedule.py

BENCH_PROFILE prints a profile of one opening of the day first (sorted by own time
unless BENCH_PROFILE_SORT names another cProfile order).
"""

import os
import statistics
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
folder = tempfile.mkdtemp(prefix="bench-schedule-")
os.environ.setdefault("SQLITE_TEST_NAME", os.path.join(folder, "bench.sqlite3"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

CLINICIANS = 10
PER_CLINICIAN = 16  # 35-minute sessions every 45 minutes from 08:00 to 20:00
HISTORY_DAYS = 365
PATIENTS = 4000
RUNS = 50


def build(day: date) -> int:
    from django.contrib.auth import get_user_model

    from clinic import roles
    from clinic.models import (
        Clinician,
        ClinicSettings,
        Method,
        OpeningHours,
        Room,
        TreatmentArea,
    )
    from patients.models import Patient, Screening
    from plans import engine, services
    from plans.models import Appointment, PlanPhase, Protocol, Session, TreatmentPlan

    roles.sync_roles()
    User = get_user_model()
    clinic = ClinicSettings.load()
    tz = clinic.tz
    for weekday in range(7):
        OpeningHours.objects.create(weekday=weekday, opens=time(8), closes=time(20))
    method = Method.objects.create(name="Needle injection")
    protocol = Protocol.objects.create(
        name="Skin rejuvenation", indication="rejuvenation", method=method, session_minutes=35
    )
    phases = engine.parse_protocol("every 2 weeks for 1-2 months, then monthly")
    services.protocol_set_phases(protocol=protocol, phases=phases)
    areas = [TreatmentArea.objects.create(name=n) for n in ("Face", "Neck", "Décolleté")]
    clinicians, rooms = [], []
    group = Group.objects.get(name=roles.CLINICIAN)
    for index in range(CLINICIANS):
        user = User.objects.create_user(f"dr{index}", first_name="Doc", last_name=f"No{index}")
        user.groups.add(group)
        clinician = Clinician.objects.create(user=user)
        clinician.methods.add(method)
        clinicians.append(clinician)
        rooms.append(Room.objects.create(name=f"Room {index + 1}"))
    desk = User.objects.create_user("desk", password="bench")
    desk.groups.add(Group.objects.get(name=roles.RECEPTIONIST))

    born = date(1980, 1, 1)
    Patient.objects.bulk_create(
        Patient(
            first_name=f"P{i}",
            last_name=f"Patient{i}",
            date_of_birth=born,
            sex="F",
            phone="+33 6 00 00 00 00",
        )
        for i in range(PATIENTS)
    )
    patients = list(Patient.objects.order_by("pk"))
    Screening.objects.bulk_create(
        Screening(
            patient=p,
            screened_on=day - timedelta(days=400),
            screened_by=clinicians[0],
            wants_anaesthetic_cream=i % 2 == 0,
        )
        for i, p in enumerate(patients)
    )
    start = day - timedelta(days=HISTORY_DAYS)
    TreatmentPlan.objects.bulk_create(
        TreatmentPlan(patient=p, protocol=protocol, start_date=start, clinician=clinicians[0])
        for p in patients
    )
    plans = list(TreatmentPlan.objects.order_by("pk"))
    PlanPhase.objects.bulk_create(
        PlanPhase(plan=plan, position=position, **PlanPhase.fields_of(phase))
        for plan in plans
        for position, phase in enumerate(phases, start=1)
    )
    Through = TreatmentPlan.areas.through
    Through.objects.bulk_create(
        Through(treatmentplan_id=plan.pk, treatmentarea_id=areas[i % 3].pk)
        for i, plan in enumerate(plans)
    )

    buffer = timedelta(minutes=clinic.buffer_minutes)
    numbers = [0] * PATIENTS
    steps, times = [], []
    for offset in range(HISTORY_DAYS + 1):
        when = start + timedelta(days=offset)
        status = Session.Status.BOOKED if when == day else Session.Status.DONE
        for c in range(CLINICIANS):
            for k in range(PER_CLINICIAN):
                slot = (offset * CLINICIANS + c) * PER_CLINICIAN + k
                index = slot % PATIENTS
                numbers[index] += 1
                starts = datetime.combine(when, time(8), tzinfo=tz) + timedelta(minutes=45 * k)
                steps.append(
                    Session(
                        plan=plans[index],
                        patient=patients[index],
                        number=numbers[index],
                        phase=1,
                        due=when,
                        earliest=when,
                        latest=when,
                        status=status,
                    )
                )
                times.append((starts, c))
    steps = Session.objects.bulk_create(steps, batch_size=2000)
    rows = [
        Appointment(
            session=step,
            patient_id=step.patient_id,
            status=Appointment.Status.BOOKED
            if step.status == Session.Status.BOOKED
            else Appointment.Status.DONE,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=35),
            blocks_until=starts + timedelta(minutes=35) + buffer,
            clinician=clinicians[c],
            room=rooms[c],
            recorded_by=None if step.status == Session.Status.BOOKED else clinicians[c],
        )
        for step, (starts, c) in zip(steps, times, strict=True)
    ]
    Appointment.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def main() -> None:
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from clinic.models import ClinicSettings

        day = ClinicSettings.load().today()
        total = build(day)
        client = Client()
        client.force_login(get_user_model().objects.get(username="desk"))
        url = f"/schedule/{day.isoformat()}/"
        response = client.get(url)  # warm the template and URL caches
        assert response.status_code == 200, response.status_code
        bookings = response.content.decode().count('class="booking ')
        # Counted by a wrapper: the test client resets connection.queries per request.
        queries = []
        with connection.execute_wrapper(
            lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
        ):
            client.get(url)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            order = os.environ.get("BENCH_PROFILE_SORT", "tottime")
            cProfile.runctx("client.get(url)", globals(), locals(), sort=order)
        timings = []
        for _ in range(RUNS):
            began = clock.perf_counter()
            client.get(url)
            timings.append((clock.perf_counter() - began) * 1000)
        print(f"history: {total} appointments; runs: {RUNS}; best {min(timings):.1f} ms")
        print(
            f"schedule: {statistics.median(timings):.1f} ms for {bookings} bookings, "
            f"{len(queries)} queries"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
