"""Protocols, plans and sessions guard their own rules."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from plans.models import (
    APPOINTMENT_KEPT,
    BOOKING_ENDS_BEFORE_START,
    BOOKING_INCOMPLETE,
    CANCEL_NEEDS_REASON,
    SESSION_KEPT,
    WINDOW_ORDER,
    Appointment,
    ProtocolPhase,
    Session,
)
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def phase(**fields):
    values = {
        "position": 1,
        "interval_min": 2,
        "interval_max": 2,
        "interval_unit": "week",
        "span_kind": "count",
        "span_min": 6,
        "span_max": 6,
    }
    values.update(fields)
    return ProtocolPhase(protocol=factories.make_protocol(), **values)


def test_zero_interval_is_refused_on_its_field():
    with pytest.raises(ValidationError) as error:
        phase(interval_min=0, interval_max=2).full_clean()
    assert "interval_min" in error.value.message_dict


def test_interval_min_above_max_is_refused():
    bad = phase(interval_min=4, interval_max=2)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "interval_max" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_span_min_above_max_is_refused():
    bad = phase(span_min=6, span_max=3)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "span_max" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_duration_span_needs_a_unit_in_the_database():
    bad = phase(span_kind="duration", span_min=1, span_max=2, span_unit="")
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_protocol_in_use_cannot_be_deleted():
    plan = factories.make_plan()
    with pytest.raises(ProtectedError):
        plan.protocol.delete()


def test_unused_protocol_can_be_deleted():
    protocol = factories.make_protocol()
    protocol.delete()
    assert not ProtocolPhase.objects.filter(protocol_id=protocol.pk).exists()


def _appointment(session, **fields):
    """An appointment of `session`, unsaved, at a valid time with a clinician and room."""
    values = {
        "session": session,
        "patient_id": session.patient_id,
        "starts_at": datetime(2026, 1, 5, 10, tzinfo=PARIS),
        "ends_at": datetime(2026, 1, 5, 10, 45, tzinfo=PARIS),
        "blocks_until": datetime(2026, 1, 5, 11, tzinfo=PARIS),
        "clinician": session.plan.clinician,
        "room": factories.make_room(),
    }
    values.update(fields)
    return Appointment(**values)


def test_a_treatment_record_names_its_author():
    session = factories.make_plan().sessions.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(session, status=Appointment.Status.DONE).save()


def test_cancelled_appointment_and_its_session_are_kept():
    plan = factories.make_plan()
    session = plan.sessions.get(number=1)
    appointment = _appointment(
        session, status=Appointment.Status.CANCELLED_BY_PATIENT, reason="Patient has a cold"
    )
    appointment.save()
    with pytest.raises(ValidationError) as error:
        appointment.delete()
    assert error.value.messages == [APPOINTMENT_KEPT]
    with pytest.raises(ValidationError):
        session.delete()
    with pytest.raises(ValidationError):
        plan.sessions.all().delete()
    assert plan.sessions.filter(number=1, status=Session.Status.TO_BOOK).exists()
    assert session.appointments.get().reason == "Patient has a cold"


def test_done_session_is_kept():
    plan = factories.make_plan()
    session = plan.sessions.get(number=1)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.DONE)
    session.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        session.delete()
    assert error.value.messages == [SESSION_KEPT.format(status="done")]
    with pytest.raises(ValidationError):
        plan.sessions.all().delete()
    assert plan.sessions.filter(number=1).exists()


def test_cancelling_needs_a_reason():
    session = factories.make_plan().sessions.get(number=1)
    for status in Appointment.CANCELLED:
        appointment = _appointment(session, status=status)
        with pytest.raises(ValidationError) as error:
            appointment.full_clean()
        assert error.value.message_dict["reason"] == [CANCEL_NEEDS_REASON]
        with pytest.raises(IntegrityError), transaction.atomic():
            appointment.save()


def test_booked_appointment_needs_its_room():
    session = factories.make_plan().sessions.get(number=1)
    appointment = _appointment(session, room=None)
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert error.value.message_dict["room"] == [BOOKING_INCOMPLETE]
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment.save()


def test_a_session_has_at_most_one_live_appointment():
    session = factories.make_plan().sessions.get(number=1)
    _appointment(session).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(
            session, status=Appointment.Status.DONE, recorded_by=session.plan.clinician
        ).save()
    # A cancelled one next to it is fine: it is kept on the record.
    _appointment(session, status=Appointment.Status.NO_SHOW).save()
    assert session.appointments.count() == 2


def test_window_must_hold_the_due_date():
    session = factories.make_plan().sessions.get(number=2)
    session.earliest = date(2026, 3, 1)
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["due"] == [WINDOW_ORDER]
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_booking_cannot_end_before_it_starts():
    session = factories.make_plan().sessions.get(number=1)
    appointment = _appointment(
        session,
        starts_at=datetime(2026, 1, 5, 10, tzinfo=PARIS),
        ends_at=datetime(2026, 1, 5, 9, tzinfo=PARIS),
        blocks_until=datetime(2026, 1, 5, 9, 15, tzinfo=PARIS),
    )
    with pytest.raises(ValidationError) as error:
        appointment.full_clean()
    assert error.value.message_dict["ends_at"] == [BOOKING_ENDS_BEFORE_START]
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment.save()


def test_session_numbers_are_unique_in_a_plan():
    plan = factories.make_plan()
    first = plan.sessions.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            plan=plan,
            number=1,
            phase=1,
            due=first.due,
            earliest=first.earliest,
            latest=first.latest,
        )


def test_session_knows_its_patient():
    plan = factories.make_plan()
    assert set(plan.sessions.values_list("patient_id", flat=True)) == {plan.patient_id}
