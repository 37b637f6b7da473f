"""Everything the standing calendar reads renews its token when it changes, so a model
the calendar starts reading cannot go stale silently.

The models are found in the SQL the loader runs, not listed here: one read without being
in `WATCHED` or `WATCHED_M2M` fails the first test. Once it is there, `plans.apps`
connects its signals, and the tests below save, delete and change a row of each for real
and watch the token (a new model needs a row in the `clinic` fixture).
"""

import uuid
from datetime import UTC, date, datetime, time

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from clinic.models import Clinician, ClinicSettings, Closure, OpeningHours, TimeOff
from plans import calendar
from plans.calendar import WATCHED, WATCHED_M2M
from tests import factories

pytestmark = pytest.mark.django_db


def token() -> uuid.UUID:
    return ClinicSettings.objects.values_list("calendar_token", flat=True).get(pk=1)


def models_read() -> set:
    """Every model, many-to-many tables included, whose table the calendar's loader reads."""
    with CaptureQueriesContext(connection) as queries:
        calendar._read(uuid.uuid4())
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    return {
        model
        for model in apps.get_models(include_auto_created=True)
        if connection.ops.quote_name(model._meta.db_table) in sql
    }


@pytest.fixture
def clinic(db):
    """A row of everything the calendar is made of."""
    ClinicSettings.load()
    OpeningHours.objects.create(weekday=0, opens=time(9), closes=time(19))
    Closure.objects.create(
        name="Staff training", first_day=date(2026, 1, 5), last_day=date(2026, 1, 5)
    )
    method = factories.make_method("Electrodermoporation", equipment=["EDP device"])
    clinician = factories.make_clinician(methods=[method])
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=datetime(2026, 1, 6, 8, tzinfo=UTC),
        ends_at=datetime(2026, 1, 6, 12, tzinfo=UTC),
    )
    factories.make_room("Room 1", equipment=["EDP device"])


def test_the_calendar_reads_only_what_it_watches():
    read = models_read()
    watched = {*WATCHED, *(field.through for field in WATCHED_M2M), get_user_model()}
    assert read - watched == set(), "add each to WATCHED (a model) or WATCHED_M2M (a field)"
    ends = {
        model for field in WATCHED_M2M for model in (field.field.model, field.field.related_model)
    }
    # Deleting a row at either end of a field deletes its rows there with no m2m signal.
    assert ends <= set(WATCHED)
    assert set(WATCHED) <= read | ends, "WATCHED holds a model the calendar does not read"


def row_of(model):
    row = model._default_manager.first()
    assert row is not None, f"add a {model.__name__} to the clinic fixture"
    return row


@pytest.mark.parametrize("model", WATCHED, ids=lambda model: model.__name__)
def test_saving_a_row_renews_the_calendar(clinic, model):
    row = row_of(model)
    before = token()
    row.save()
    assert token() != before


@pytest.mark.parametrize("model", WATCHED, ids=lambda model: model.__name__)
def test_deleting_a_row_renews_the_calendar(clinic, model):
    row = row_of(model)
    before = token()
    row.delete()
    assert token() != before


@pytest.mark.parametrize("field", WATCHED_M2M, ids=lambda field: field.field.name)
def test_changing_a_many_to_many_field_renews_the_calendar(clinic, field):
    related = getattr(row_of(field.field.model), field.field.name)
    linked = related.get()
    for change in (lambda: related.remove(linked), lambda: related.add(linked), related.clear):
        before = token()
        change()
        assert token() != before


def test_renaming_a_clinicians_user_renews_the_calendar_and_deleting_them_is_refused(clinic):
    user = Clinician.objects.get().user
    before = token()
    user.last_name = "Durand"
    user.save()
    assert token() != before
    with pytest.raises(ProtectedError):
        user.delete()
