"""Appointment reminders: due N days before from 9:00 on the clinic's clock, with the
time, the arrival time and the dated instructions; never the same reminder twice (the
enqueuer run twice, two workers at once), a moved appointment reminded of its new time,
a cancelled one or a patient who opted out never."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_rq
import pytest
import redis
from django.core import mail
from django.core.management import call_command
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker
from django_tasks_rq.backend import Job

from clinic import sms
from clinic.models import ClinicSettings, OpeningHours
from plans import booking, reminders, reminding, services, tasks
from plans.models import Reminder
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2027, 3, 1)  # its reminder goes two days before: in February
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


# --- when a reminder is due (pure) -------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "days", "due"),
    [
        (at(date(2027, 3, 1), 10), 2, at(date(2027, 2, 27), 9)),  # across a month end
        (at(date(2028, 3, 2), 10), 2, at(date(2028, 2, 29), 9)),  # onto a leap day
        (at(date(2027, 3, 30), 10), 2, at(date(2027, 3, 28), 9)),  # the clocks go forward
        (at(date(2027, 11, 2), 10), 3, at(date(2027, 10, 30), 9)),  # before they go back
        (at(date(2027, 3, 1), 17), 0, at(date(2027, 3, 1), 9)),  # the morning of the day
    ],
)
def test_a_reminder_is_due_from_nine_on_its_day_on_the_clinics_clock(starts, days, due):
    assert reminders.due_from(starts, days, PARIS) == due
    assert (
        due.utcoffset() == starts.replace(year=due.year, month=due.month, day=due.day).utcoffset()
    )
    assert not reminders.is_due(starts, days, PARIS, due - timedelta(minutes=1))
    assert reminders.is_due(starts, days, PARIS, due)
    assert not reminders.is_due(starts, days, PARIS, starts)  # too late once it started


def test_the_email_tells_the_time_the_arrival_and_the_dated_instructions():
    visit = reminders.Visit(
        first_name="Chloé",
        starts=at(MONDAY, 10),
        tz=PARIS,
        clinician="Dr Claire Martin",
        clinic_name="Mesotherapy Clinic",
        clinic_phone="+33 1 23 45 67 89",
        arrive=at(MONDAY, 9, 30),
        sentences=["Stop aspirin or clopidogrel from Friday 26 February (3 days before)."],
    )
    body = reminders.body(visit)
    assert "with Dr Claire Martin on Monday 1 March at 10:00." in body
    assert "Please arrive at 09:30 for the anaesthetic cream." in body
    assert "- Stop aspirin or clopidogrel from Friday 26 February" in body
    assert "call +33 1 23 45 67 89" in body
    assert reminders.subject(visit) == "Your appointment on Monday 1 March: Mesotherapy Clinic"
    assert reminders.sms(visit) == (
        "Mesotherapy Clinic: appointment Monday 1 March at 10:00, arrive 09:30. "
        "To change it, call +33 1 23 45 67 89."
    )


# --- sending them ----------------------------------------------------------------------------


@pytest.fixture
def appointment(clinician, clock):
    clock.set(at(MONDAY - timedelta(days=10), 10))
    clinic = ClinicSettings.load()
    clinic.time_zone = "Europe/Paris"
    clinic.phone = "+33 1 23 45 67 89"
    clinic.save()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    room = factories.make_room("Room 1")
    patient = factories.make_patient(first_name="Chloé", email="chloe@example.org")
    factories.make_screening(patient, clinician, takes_aspirin_or_clopidogrel=True)
    plan = factories.make_plan(patient=patient, clinician=clinician, start_date=MONDAY)
    return booking.appointment_book(
        session=plan.sessions.get(number=1),
        starts_at=at(MONDAY, 10),
        clinician=clinician,
        room=room,
    ).appointment


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def texts(settings):
    settings.CLINIC_SMS_BACKEND = "memory"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_the_enqueuer_run_twice_sends_one_email_with_the_dated_instructions(
    db, appointment, immediate, clock
):
    clock.set(at(MONDAY - timedelta(days=3), 18))
    assert reminding.enqueue_due() == 0  # three days before: not yet
    clock.set(at(MONDAY - timedelta(days=2), 9))  # Saturday 27 February, 9:00
    assert reminding.enqueue_due() == 1
    assert reminding.enqueue_due() == 0
    call_command("enqueue_reminders", stdout=None)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["chloe@example.org"]
    assert "Monday 1 March at 10:00" in email.body
    assert "aspirin" in email.body and "February" in email.body
    reminder = appointment.reminders.get()
    assert (reminder.channel, reminder.starts_at) == (Reminder.Channel.EMAIL, at(MONDAY, 10))


def test_a_task_run_twice_sends_once(db, appointment, clock):
    clock.set(at(MONDAY - timedelta(days=1), 12))
    assert reminding.send(appointment.pk, appointment.starts_at) is not None
    assert reminding.send(appointment.pk, appointment.starts_at) is None
    assert len(mail.outbox) == 1


def test_a_moved_appointment_is_reminded_of_its_new_time_once_more(
    db, appointment, immediate, clock
):
    clock.set(at(MONDAY - timedelta(days=2), 10))
    reminding.enqueue_due()
    booking.appointment_move(
        appointment=appointment,
        starts_at=at(MONDAY, 15),
        clinician=appointment.clinician,
        room=appointment.room,
    )
    assert reminding.enqueue_due() == 1
    assert reminding.enqueue_due() == 0
    assert [m.body.count("at 15:00") for m in mail.outbox] == [0, 1]
    assert sorted(r.starts_at for r in Reminder.objects.all()) == [at(MONDAY, 10), at(MONDAY, 15)]


def test_an_old_task_for_the_appointments_former_time_sends_nothing(db, appointment, clock):
    clock.set(at(MONDAY - timedelta(days=2), 10))
    old = appointment.starts_at
    booking.appointment_move(
        appointment=appointment,
        starts_at=at(MONDAY, 15),
        clinician=appointment.clinician,
        room=appointment.room,
    )
    assert tasks.send_reminder.call(appointment.pk, old.isoformat()) is False
    assert not mail.outbox


def test_a_cancelled_appointment_and_a_patient_who_opted_out_get_none(
    db, appointment, immediate, clock
):
    clock.set(at(MONDAY - timedelta(days=2), 10))
    patient = appointment.patient
    patient.reminders_opt_out = True
    patient.save()
    assert reminding.enqueue_due() == 0
    assert reminding.send(appointment.pk, appointment.starts_at) is None  # enqueued before
    patient.reminders_opt_out = False
    patient.save()
    services.appointment_cancel(appointment=appointment, reason="Ill")
    assert reminding.enqueue_due() == 0
    assert not mail.outbox and not Reminder.objects.exists()


def test_a_patient_who_chose_text_messages_or_gave_no_email_gets_one(
    db, appointment, immediate, clock, texts
):
    patient = appointment.patient
    patient.email = ""
    patient.save()
    clock.set(at(MONDAY - timedelta(days=2), 10))
    reminding.enqueue_due()
    assert texts == [(patient.phone, texts[0][1])]
    assert texts[0][1].startswith("Mesotherapy Clinic: appointment Monday 1 March at 10:00")
    assert appointment.reminders.get().channel == Reminder.Channel.SMS


def test_the_database_backend_holds_the_reminder_until_its_worker_runs(
    db, appointment, clock, monkeypatch
):
    # The worker closes its connection between tasks, which would end the test's
    # transaction: here it keeps it.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    clock.set(at(MONDAY - timedelta(days=2), 10))
    assert reminding.enqueue_due() == 1
    assert not mail.outbox  # enqueued, not sent
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert len(mail.outbox) == 1
    assert reminding.enqueue_due() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reminder(appointment, clock):
    """On PostgreSQL the second worker waits on the first's lock, then finds the key."""
    clock.set(at(MONDAY - timedelta(days=2), 10))
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(reminding.send(appointment.pk, appointment.starts_at) is not None)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [False, True]
    assert len(mail.outbox) == 1 and Reminder.objects.count() == 1


REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own, emptied by the test
# CI runs the suite on several databases and days at once against one Redis server: the
# runs take turns with this lock, kept in another database so that emptying 7 keeps it.
REDIS_LOCK_URL = "redis://127.0.0.1:6379/6"


@pytest.fixture
def redis_queue(settings):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    connection_ = redis.Redis.from_url(REDIS_URL)
    lock = redis.Redis.from_url(REDIS_LOCK_URL).lock(
        "clinic-tests:redis-queue", timeout=120, blocking_timeout=120
    )
    assert lock.acquire(), "another test run held the Redis queue for two minutes"
    try:
        connection_.flushdb()
        yield
        connection_.flushdb()
    finally:
        lock.release()


def test_on_redis_a_worker_sends_what_the_enqueuer_queued(db, appointment, clock, redis_queue):
    clock.set(at(MONDAY - timedelta(days=2), 10))
    assert reminding.enqueue_due() == 1
    queue = django_rq.get_queue("default")
    assert queue.count == 1 and not mail.outbox
    worker = django_rq.get_worker("default", worker_class="rq.SimpleWorker", job_class=Job)
    worker.work(burst=True)
    assert len(mail.outbox) == 1
    assert appointment.reminders.count() == 1
