"""The clinic's settings, read by primary key on every request, come back as the ORM's
`get` gives them."""

import uuid

import pytest
from django.forms.models import model_to_dict

from clinic.models import ClinicSettings
from clinic.rows import by_pk

pytestmark = pytest.mark.django_db


def test_the_settings_read_by_primary_key_match_the_orms():
    ClinicSettings.load()
    loaded = by_pk(ClinicSettings, 1)
    expected = ClinicSettings.objects.get(pk=1)
    assert isinstance(loaded.calendar_token, uuid.UUID)  # SQLite keeps it as text
    assert loaded.calendar_token == expected.calendar_token
    assert model_to_dict(loaded) == model_to_dict(expected)


def test_missing_settings_are_none_then_created_with_defaults():
    ClinicSettings.objects.all().delete()
    assert by_pk(ClinicSettings, 1) is None
    assert ClinicSettings.load().pk == 1
