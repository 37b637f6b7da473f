"""Existing patients' phone numbers, as typed ("06 30 63 66 10", "+33 6 30 63 66 10"),
stored normalised in E.164 ("+33630636610"), a number without its country code read as
the clinic's country's; a number that cannot be read so is kept as typed, for staff to
correct. Each name gets its search form (no case, no accents). Going back keeps the
E.164 numbers, which are still phone numbers."""

import unicodedata

import phonenumbers
from django.conf import settings
from django.db import migrations


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _e164(typed: str, region: str) -> str:
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return typed
    if not phonenumbers.is_valid_number(number):
        return typed
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def forwards(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    region = settings.PHONENUMBER_DEFAULT_REGION
    changed = []
    for patient in Patient.objects.only("pk", "first_name", "last_name", "phone").iterator():
        patient.phone = _e164(str(patient.phone), region)
        patient.search_name = _fold(f"{patient.first_name} {patient.last_name}")
        changed.append(patient)
    Patient.objects.bulk_update(changed, ["phone", "search_name"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("patients", "0008_phone_numbers_and_name_search")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
