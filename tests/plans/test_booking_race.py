"""People acting at the same moment: twenty receptionists click the same slot (one
booking, nineteen refusals); two people change one appointment at once (one wins, the
other is told why and changes nothing); a booking made while an admin closes its day
(refused, or on the rebooking worklist). Run on SQLite and on PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction

from clinic.models import ClinicSettings, Closure, OpeningHours, TimeOff
from plans import booking, services
from plans.calendar import clinic_calendar
from plans.models import Appointment, Session
from plans.slots import Slot
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2026, 1, 5)
CLERKS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_give_exactly_one():
    ClinicSettings.load()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    doctor = factories.make_clinician()
    room = factories.make_room("Room 1")
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    sessions = []
    for _ in range(CLERKS):
        patient = factories.make_patient()
        factories.make_screening(patient, doctor)
        plan = factories.make_plan(
            patient=patient, protocol=protocol, clinician=doctor, start_date=MONDAY
        )
        sessions.append(plan.sessions.get(number=1))
    slot_start = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
    barrier = threading.Barrier(CLERKS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(session: Session) -> None:
        try:
            barrier.wait()
            booking.appointment_book(
                session=session, starts_at=slot_start, clinician=doctor, room=room, now=NOW
            )
            result = "booked"
        except ValidationError as error:
            result = error.messages[0]
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=clerk, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"booked": 1, booking.SLOT_TAKEN: CLERKS - 1}
    assert Session.objects.filter(status=Session.Status.BOOKED).count() == 1
    assert Appointment.objects.count() == 1


# --- two state changes of one appointment at the same moment ---------------------------

MONDAY_TEN = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
NOTES = "Face treated, well tolerated."


def booked_appointment() -> Appointment:
    """A clinic, a screened patient and the first session of their plan booked Monday 10:00."""
    ClinicSettings.load()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    doctor = factories.make_clinician()
    room = factories.make_room("Room 1")
    patient = factories.make_patient()
    factories.make_screening(patient, doctor)
    plan = factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks"),
        clinician=doctor,
        start_date=MONDAY,
    )
    session = plan.sessions.get(number=1)
    return booking.appointment_book(
        session=session, starts_at=MONDAY_TEN, clinician=doctor, room=room, now=NOW
    ).appointment


def at_once(**actions: Callable[[], object]) -> dict[str, str]:
    """Run the actions in threads released together; each one's outcome: "ok" or the
    ValidationError's message. Anything else (a deadlock, an IntegrityError) fails."""
    barrier = threading.Barrier(len(actions))
    outcomes: dict[str, str] = {}
    lock = threading.Lock()

    def run(name: str, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
            result = "ok"
        except ValidationError as error:
            result = error.messages[0]
        except Exception as error:  # reported as unexpected, failing the test
            result = f"unexpected {type(error).__name__}: {error}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes[name] = result

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(actions), "a thread did not finish"
    return outcomes


def one_winner(outcomes: dict[str, str]) -> tuple[str, str]:
    winners = [name for name, result in outcomes.items() if result == "ok"]
    assert len(winners) == 1, outcomes
    (loser,) = set(outcomes) - set(winners)
    assert not outcomes[loser].startswith("unexpected"), outcomes
    return winners[0], outcomes[loser]


def mark_done(appointment: Appointment) -> Callable[[], object]:
    # What the session page posts: the session as it was read, booked.
    session = Session.objects.get(pk=appointment.session_id)
    return lambda: services.session_mark_done(session=session, held_at=MONDAY_TEN, notes=NOTES)


def cancel(appointment: Appointment) -> Callable[[], object]:
    seen = Appointment.objects.get(pk=appointment.pk)
    return lambda: services.appointment_cancel(appointment=seen, reason="Patient called")


def move(appointment: Appointment) -> Callable[[], object]:
    seen = Appointment.objects.get(pk=appointment.pk)
    return lambda: booking.appointment_move(
        appointment=seen,
        starts_at=MONDAY_TEN + timedelta(hours=2),
        clinician=seen.clinician,
        room=seen.room,
        now=NOW,
    )


@pytest.mark.django_db(transaction=True)
def test_done_and_cancel_at_once_one_wins_and_the_other_changes_nothing():
    appointment = booked_appointment()
    winner, refusal = one_winner(at_once(done=mark_done(appointment), cancel=cancel(appointment)))
    appointment.refresh_from_db()
    session = appointment.session
    assert Appointment.objects.count() == 1  # no second, done appointment made up
    if winner == "done":
        assert refusal == services.CANCEL_NOT_OPEN.format(
            status=Appointment.Status.DONE.label.lower()
        )
        assert appointment.status == Appointment.Status.DONE
        assert (appointment.notes, appointment.reason) == (NOTES, "")
        assert session.status == Session.Status.DONE
    else:
        assert refusal == services.APPOINTMENT_ENDED.format(number=1)
        assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
        assert (appointment.notes, appointment.reason) == ("", "Patient called")
        assert not appointment.areas_treated.exists()
        assert session.status == Session.Status.TO_BOOK


@pytest.mark.django_db(transaction=True)
def test_done_twice_at_once_records_it_once():
    appointment = booked_appointment()
    first, second = mark_done(appointment), mark_done(appointment)
    _, refusal = one_winner(at_once(first=first, second=second))
    assert refusal == services.SESSION_NOT_OPEN
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.DONE
    assert appointment.notes == NOTES
    assert Appointment.objects.count() == 1
    assert appointment.session.status == Session.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_move_and_cancel_at_once_one_wins():
    appointment = booked_appointment()
    winner, refusal = one_winner(at_once(move=move(appointment), cancel=cancel(appointment)))
    appointment.refresh_from_db()
    assert Appointment.objects.count() == 1
    if winner == "move":
        assert refusal == services.MOVED_MEANWHILE.format(
            when=(MONDAY_TEN + timedelta(hours=2)).astimezone(PARIS)
        )
        assert appointment.status == Appointment.Status.BOOKED
        assert appointment.starts_at == MONDAY_TEN + timedelta(hours=2)
        assert appointment.reason == ""
        assert appointment.session.status == Session.Status.BOOKED
    else:
        assert refusal == booking.NOT_BOOKED.format(
            status=Appointment.Status.CANCELLED_BY_PATIENT.label.lower()
        )
        assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
        assert appointment.starts_at == MONDAY_TEN
        assert appointment.session.status == Session.Status.TO_BOOK


# --- a booking and a closure or time off of the same day, at the same moment -----------

TRIES = 20


class Party:
    """One of two people acting at once, in a thread of its own (its own connection)."""

    def __init__(self, action: Callable[[], object]):
        self.action = action
        self.started = threading.Event()
        self.done = threading.Event()
        self.pid: int | None = None
        self.outcome = "did not run"

    def run(self, after: threading.Event | None = None) -> None:
        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
            if after is not None:
                after.wait()
            self.started.set()
            self.action()
            self.outcome = "ok"
        except ValidationError as error:
            self.outcome = error.messages[0]
        except Exception as error:  # reported as unexpected, failing the test
            self.outcome = f"unexpected {type(error).__name__}: {error}"
        finally:
            self.done.set()
            close_old_connections()
            connection.close()

    def waits_or_is_done(self) -> bool:
        """Whether this party has finished, or is waiting for a lock the caller holds."""
        if self.done.is_set():
            return True
        if not self.started.is_set():
            return False
        if not connection.in_atomic_block:
            return False  # the caller holds no lock: this party will finish
        if connection.vendor == "sqlite":
            # The caller is inside a write transaction, which holds SQLite's write lock:
            # this party's transaction cannot begin until the caller's ends.
            return True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [self.pid]
            )
            return cursor.fetchone()[0]


def in_turn(monkeypatch, first: Party, second: Party, *, pause_at: str) -> None:
    """`first` runs up to just after `booking.<pause_at>` inside its transaction; then
    `second` starts, and `first` goes on once `second` has finished or waits for it."""
    reached = threading.Event()
    original = getattr(booking, pause_at)

    def pause(*args, **kwargs):
        result = original(*args, **kwargs)
        reached.set()
        while not second.waits_or_is_done():
            second.done.wait(0.001)
        return result

    threads = [
        threading.Thread(target=first.run),
        threading.Thread(target=second.run, args=(reached,)),
    ]
    with monkeypatch.context() as patch:
        patch.setattr(booking, pause_at, pause)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert first.done.is_set() and second.done.is_set(), "a thread did not finish"


def close_the_day(day: date, doctor) -> Callable[[], object]:
    # As the admin saves it: the closure and its flagging in one transaction.
    def add() -> None:
        with transaction.atomic():
            Closure.objects.create(name="Staff training", first_day=day, last_day=day)

    return add


def close_the_day_from_a_script(day: date, doctor) -> Callable[[], object]:
    # Saved outside a transaction (a shell, a script): the closure commits on its own,
    # then renews the calendar, then flags.
    return lambda: Closure.objects.create(name="Staff training", first_day=day, last_day=day)


def doctor_away_that_day(day: date, doctor) -> Callable[[], object]:
    def add() -> None:
        with transaction.atomic():
            TimeOff.objects.create(
                clinician=doctor,
                starts_at=datetime.combine(day, time(8), PARIS),
                ends_at=datetime.combine(day, time(19), PARIS),
                reason="Hospital",
            )

    return add


def book_one(session: Session, ten: datetime, doctor, room) -> Callable[[], object]:
    return lambda: booking.appointment_book(
        session=session, starts_at=ten, clinician=doctor, room=room, now=NOW
    )


def book_whole_plan(session: Session, ten: datetime, doctor, room) -> Callable[[], object]:
    length = timedelta(minutes=session.plan.protocol.session_minutes)
    slot = Slot(ten, ten + length, doctor.pk, room.pk, in_window=True)
    return lambda: booking.plan_book(plan=session.plan, placements=[(session, slot)], now=NOW)


def move_there(session: Session, ten: datetime, doctor, room) -> Callable[[], object]:
    # Booked the next day, moved onto the day being taken off.
    appointment = factories.book(session, ten + timedelta(days=1), doctor, room)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.BOOKED)
    return lambda: booking.appointment_move(
        appointment=appointment, starts_at=ten, clinician=doctor, room=room, now=NOW
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change", [close_the_day, close_the_day_from_a_script, doctor_away_that_day]
)
@pytest.mark.parametrize("write", [book_one, move_there, book_whole_plan])
def test_a_booking_made_while_its_day_is_taken_off_is_refused_or_on_the_worklist(
    write, change, monkeypatch
):
    """Each try books (or moves) a session to 10:00 on a new day while an admin takes that
    day off, in turn: the booking has checked the calendar and not yet written when the
    admin saves, or the admin's change has flagged and is not yet committed when the
    booking starts. The booking is then made and on the rebooking worklist, or refused
    for the closure or time off; never made and missed."""
    ClinicSettings.load()
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    doctor = factories.make_clinician()
    room = factories.make_room("Room 1")
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    hold = timedelta(minutes=protocol.session_minutes + ClinicSettings.load().buffer_minutes)
    for attempt in range(TRIES):
        day = MONDAY + timedelta(weeks=attempt)
        patient = factories.make_patient()
        factories.make_screening(patient, doctor)
        plan = factories.make_plan(
            patient=patient, protocol=protocol, clinician=doctor, start_date=day
        )
        session = plan.sessions.get(number=1)
        ten = datetime.combine(day, time(10), PARIS)
        clinic_calendar(ClinicSettings.load())  # kept by the process, as every page keeps it
        clerk = Party(write(session, ten, doctor, room))
        admin = Party(change(day, doctor))
        booking_first = attempt % 2 == 0
        if booking_first:
            in_turn(monkeypatch, clerk, admin, pause_at="_check_no_overlap")
        else:
            in_turn(monkeypatch, admin, clerk, pause_at="flag_bookings_between")
        assert admin.outcome == "ok", (attempt, admin.outcome)
        appointment = Appointment.objects.filter(session=session).first()
        if booking_first:
            assert clerk.outcome == "ok", (attempt, clerk.outcome)
            assert appointment.starts_at == ten
            assert appointment.needs_rebooking, f"try {attempt}: booked, not on the worklist"
        else:
            refused = {
                close_the_day: booking.CLOSED.format(day=ten, name="Staff training"),
                close_the_day_from_a_script: booking.CLOSED.format(day=ten, name="Staff training"),
                doctor_away_that_day: booking.NOT_WORKING.format(
                    clinician=doctor, start=ten, end=ten + hold
                ),
            }[change]
            assert clerk.outcome == refused, (attempt, clerk.outcome)
            if write is move_there:
                assert appointment.starts_at == ten + timedelta(days=1)
                assert not appointment.needs_rebooking
            else:
                assert appointment is None
