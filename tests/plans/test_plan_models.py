"""Protocols, plans and sessions guard their own rules."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from plans.models import (
    BOOKING_INCOMPLETE,
    CANCEL_NEEDS_REASON,
    WINDOW_ORDER,
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


def test_cancelled_session_is_kept():
    plan = factories.make_plan()
    session = plan.sessions.get(number=1)
    session.status = Session.Status.CANCELLED
    session.cancel_reason = "Patient has a cold"
    session.save()
    with pytest.raises(ValidationError):
        session.delete()
    with pytest.raises(ValidationError):
        plan.sessions.all().delete()
    assert plan.sessions.filter(status=Session.Status.CANCELLED).count() == 1


def test_cancelling_needs_a_reason():
    session = factories.make_plan().sessions.get(number=1)
    session.status = Session.Status.CANCELLED
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["cancel_reason"] == [CANCEL_NEEDS_REASON]
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_booked_session_needs_its_slot():
    session = factories.make_plan().sessions.get(number=1)
    session.status = Session.Status.BOOKED
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["starts_at"] == [BOOKING_INCOMPLETE]
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


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
    session.starts_at = datetime(2026, 1, 5, 10, tzinfo=PARIS)
    session.ends_at = datetime(2026, 1, 5, 9, tzinfo=PARIS)
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


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
