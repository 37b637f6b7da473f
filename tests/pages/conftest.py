"""Fixtures shared by the booking pages' tests."""

from datetime import time, timedelta

import pytest

from clinic.models import ClinicSettings, OpeningHours
from tests import factories


@pytest.fixture
def monday():
    today = ClinicSettings.load().today()
    return today + timedelta(days=7 - today.weekday() + 7)  # Monday after next


@pytest.fixture
def plan(clinician, patient, monday):
    """A screened patient's plan of six sessions every two weeks from `monday`, in a clinic
    open 9:00-18:00 on weekdays with one room."""
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(18))
    factories.make_room("Room 1")
    factories.make_screening(patient, clinician)
    return factories.make_plan(
        patient=patient,
        protocol=factories.make_protocol("6 sessions every 2 weeks ±2 days"),
        clinician=clinician,
        start_date=monday,
    )
