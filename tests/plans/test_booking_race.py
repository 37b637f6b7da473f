"""People acting at the same moment: twenty receptionists click the same slot (one
booking, nineteen refusals); two people change one appointment at once (one wins, the
other is told why and changes nothing). Run on SQLite and on PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from clinic.models import ClinicSettings, OpeningHours
from plans import booking, services
from plans.models import Appointment, Session
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
