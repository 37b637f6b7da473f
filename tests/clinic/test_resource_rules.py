"""The clinic's resources refuse impossible values, in the form and in the database."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.models import (
    HOURS_END_BEFORE_START,
    RANGE_END_BEFORE_START,
    TIME_OFF_END_BEFORE_START,
    UNKNOWN_TIME_ZONE,
    ClinicSettings,
    Closure,
    OpeningHours,
    Product,
    ProductBatch,
    TimeOff,
    WorkingHours,
)

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def test_clinic_settings_is_a_single_row():
    first = ClinicSettings.load()
    ClinicSettings(name="Another clinic").save()
    assert ClinicSettings.objects.count() == 1
    first.refresh_from_db()
    assert first.name == "Another clinic"


def test_unknown_time_zone_is_refused_on_the_field():
    settings = ClinicSettings.load()
    settings.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert error.value.message_dict["time_zone"] == [UNKNOWN_TIME_ZONE]


def test_opening_hours_must_close_after_they_open():
    hours = OpeningHours(weekday=0, opens=time(14), closes=time(9))
    with pytest.raises(ValidationError) as error:
        hours.full_clean()
    assert error.value.message_dict["closes"] == [HOURS_END_BEFORE_START]
    with pytest.raises(IntegrityError), transaction.atomic():
        hours.save()


def test_closure_cannot_end_before_it_starts():
    closure = Closure(name="Holiday", first_day=date(2026, 8, 20), last_day=date(2026, 8, 1))
    with pytest.raises(ValidationError) as error:
        closure.full_clean()
    assert error.value.message_dict["last_day"] == [RANGE_END_BEFORE_START]
    with pytest.raises(IntegrityError), transaction.atomic():
        closure.save()


def test_working_hours_and_time_off_are_ordered(clinician):
    hours = WorkingHours(clinician=clinician, weekday=1, starts=time(18), ends=time(9))
    with pytest.raises(ValidationError) as error:
        hours.full_clean()
    assert error.value.message_dict["ends"] == [HOURS_END_BEFORE_START]
    with pytest.raises(IntegrityError), transaction.atomic():
        hours.save()

    off = TimeOff(
        clinician=clinician,
        starts_at=datetime(2026, 3, 2, 12, tzinfo=PARIS),
        ends_at=datetime(2026, 3, 2, 9, tzinfo=PARIS),
    )
    with pytest.raises(ValidationError) as error:
        off.full_clean()
    assert error.value.message_dict["ends_at"] == [TIME_OFF_END_BEFORE_START]
    with pytest.raises(IntegrityError), transaction.atomic():
        off.save()


def test_a_lot_number_is_unique_per_product():
    product = Product.objects.create(name="HA 1.35%", category=Product.Category.HYALURONIC_ACID)
    ProductBatch.objects.create(product=product, lot_number="L1", expiry_date=date(2027, 1, 1))
    duplicate = ProductBatch(product=product, lot_number="L1", expiry_date=date(2028, 1, 1))
    with pytest.raises(ValidationError):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_expired_batches_are_not_usable():
    product = Product.objects.create(name="Vitamins", category=Product.Category.VITAMINS)
    old = ProductBatch.objects.create(
        product=product, lot_number="OLD", expiry_date=date(2026, 1, 31)
    )
    fresh = ProductBatch.objects.create(
        product=product, lot_number="NEW", expiry_date=date(2026, 2, 1)
    )
    assert list(ProductBatch.objects.usable_on(date(2026, 2, 1))) == [fresh]
    assert old.is_expired(date(2026, 2, 1))


def test_a_batch_expires_after_it_was_received():
    product = Product.objects.create(name="Peel", category=Product.Category.PEEL)
    batch = ProductBatch(
        product=product, lot_number="P1", expiry_date=date(2026, 1, 1), received_on=date(2026, 2, 1)
    )
    with pytest.raises(ValidationError) as error:
        batch.full_clean()
    assert "expiry_date" in error.value.message_dict
