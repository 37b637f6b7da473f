"""Twenty receptionists click the same slot at the same moment: one booking, nineteen refusals."""

import threading
from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from clinic.models import ClinicSettings, OpeningHours
from plans import booking
from plans.models import Session
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
            booking.session_book(
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
