"""A clinic day with bookings, for the page tests: sizes vary, the query counts must not."""

from datetime import date, datetime, time, timedelta

from clinic.models import ClinicSettings, OpeningHours
from tests import factories
from tests.factories import book


def clinic_day(day: date, *, clinicians: int = 1, per_clinician: int = 2, clinician=None):
    """`clinicians` columns of `per_clinician` bookings each on `day`, one patient each.

    Every other patient wants anaesthetic cream. Returns the appointments, in booking
    order (each the booked appointment of session 1 of its patient's plan).
    """
    tz = ClinicSettings.load().tz
    for weekday in range(7):
        OpeningHours.objects.get_or_create(weekday=weekday, opens=time(8), closes=time(20))
    protocol = factories.make_protocol()
    staff = [clinician] if clinician else []
    while len(staff) < clinicians:
        user = factories.make_user("Clinician", first_name="Doc", last_name=f"No{len(staff)}")
        staff.append(factories.make_clinician(user=user))
    rooms = [factories.make_room() for _ in staff]
    sessions = []
    for doctor, room in zip(staff, rooms, strict=True):
        for index in range(per_clinician):
            patient = factories.make_patient()
            factories.make_screening(
                patient, doctor, wants_anaesthetic_cream=index % 2 == 0, screened_on=day
            )
            plan = factories.make_plan(
                patient=patient, protocol=protocol, clinician=doctor, start_date=day
            )
            first = plan.sessions.get(number=1)
            starts_at = datetime.combine(day, time(8), tzinfo=tz) + timedelta(hours=index)
            sessions.append(book(first, starts_at, doctor, room))
    return sessions
