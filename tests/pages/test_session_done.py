"""A clinician records what was done in a session: when, the areas, each product traced to
an unexpired batch, notes and complications; the session page shows it to clinicians only."""

from datetime import datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from clinic.models import ClinicSettings
from plans import services
from plans.forms import EXPECTED_AFTER_EFFECTS
from plans.models import Appointment, Session
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return ClinicSettings.load().today()


@pytest.fixture
def hyaluronic():
    return factories.make_product("Hyaluronic acid 1.5%")


@pytest.fixture
def held_last_week(clinician, patient, hyaluronic, today):
    """The appointment of session 1 of a plan with one product, a week ago at 10:00."""
    day = today - timedelta(days=7)
    plan = factories.make_plan(
        patient=patient, clinician=clinician, start_date=day, products=[hyaluronic]
    )
    starts_at = datetime.combine(day, time(10), tzinfo=ClinicSettings.load().tz)
    return book(plan.sessions.get(number=1), starts_at, clinician, factories.make_room())


def form_url(appointment):
    return reverse("session_done", args=[appointment.session_id])


def test_the_form_offers_batches_usable_on_the_day_and_ticks_the_soonest(
    client, clinician, held_last_week, hyaluronic, today
):
    factories.make_batch(hyaluronic, "OLD1", today - timedelta(days=30))
    soonest = factories.make_batch(hyaluronic, "A100", today + timedelta(days=60))
    later = factories.make_batch(hyaluronic, "B200", today + timedelta(days=400))
    client.force_login(clinician.user)

    form = client.get(form_url(held_last_week)).context["form"]

    choices = {int(str(value)): label for value, label in form.fields["batches"].choices}
    assert set(choices) == {soonest.pk, later.pk}
    assert choices[soonest.pk] == (
        f"Hyaluronic acid 1.5% — lot A100 (exp. {soonest.expiry_date:%m/%Y})"
    )
    assert form.initial["batches"] == [soonest.pk]
    assert form.initial["areas"] == [area.pk for area in held_last_week.session.plan.areas.all()]
    assert form.initial["held_at"] == held_last_week.starts_at
    assert form.fields["complications"].help_text == EXPECTED_AFTER_EFFECTS
    assert "small bruises" in EXPECTED_AFTER_EFFECTS


def test_recording_keeps_areas_batches_notes_and_complications(
    client, clinician, held_last_week, hyaluronic, today
):
    batch = factories.make_batch(hyaluronic, "A100", today + timedelta(days=60))
    area = held_last_week.session.plan.areas.get()
    held_at = held_last_week.starts_at.astimezone(ClinicSettings.load().tz)
    client.force_login(clinician.user)

    response = client.post(
        form_url(held_last_week),
        {
            "held_at": f"{held_at:%Y-%m-%dT%H:%M}",
            "areas": [area.pk],
            "batches": [batch.pk],
            "notes": "Good tolerance.",
            "complications": "Allergic reaction on the left cheek.",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("plan_detail", args=[held_last_week.session.plan_id])
    held_last_week.refresh_from_db()
    assert held_last_week.status == Appointment.Status.DONE  # the booked one, now done
    assert held_last_week.session.status == Session.Status.DONE
    assert held_last_week.session.appointments.count() == 1
    assert list(held_last_week.areas_treated.all()) == [area]
    assert [use.batch for use in held_last_week.product_uses.all()] == [batch]
    assert held_last_week.notes == "Good tolerance."
    assert held_last_week.complications == "Allergic reaction on the left cheek."


def test_a_batch_expired_on_the_day_held_is_refused_next_to_the_batches(
    client, clinician, held_last_week, hyaluronic, today
):
    # Usable on the booked day, expired by the day the session was actually held.
    batch = factories.make_batch(hyaluronic, "A100", today - timedelta(days=5))
    client.force_login(clinician.user)

    response = client.post(
        form_url(held_last_week),
        {"held_at": f"{today - timedelta(days=1):%Y-%m-%d}T10:00", "batches": [batch.pk]},
    )

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors["batches"]
    assert errors == [services.BATCH_EXPIRED.format(batches=batch)]
    assert "is-invalid" in response.content.decode()
    held_last_week.refresh_from_db()
    assert held_last_week.status == Appointment.Status.BOOKED
    assert held_last_week.session.status == Session.Status.BOOKED
    assert not held_last_week.product_uses.exists()


def test_the_session_page_shows_the_record_to_clinicians_only(
    client, clinician, receptionist, held_last_week, hyaluronic, today
):
    batch = factories.make_batch(hyaluronic, "A100", today + timedelta(days=60))
    services.session_mark_done(
        session=held_last_week.session,
        held_at=held_last_week.starts_at,
        areas=held_last_week.session.plan.areas.all(),
        batches=[batch],
        notes="Good tolerance.",
        complications="Bruise under the eye.",
    )
    url = reverse("session_detail", args=[held_last_week.session_id])

    client.force_login(clinician.user)
    page = client.get(url).content.decode()
    assert "Treatment record" in page
    assert "Face" in page
    assert "lot A100" in page
    assert "Good tolerance." in page
    assert "Bruise under the eye." in page

    client.force_login(receptionist)
    page = client.get(url).content.decode()
    assert "Face" in page
    for medical in ("lot A100", "Good tolerance.", "Bruise under the eye.", "Complications"):
        assert medical not in page


def test_only_a_clinician_records_a_treatment_and_the_record_names_them(
    client, clinician, clinic_admin, held_last_week, today
):
    held_at = held_last_week.starts_at.astimezone(ClinicSettings.load().tz)
    data = {"held_at": held_at.strftime("%Y-%m-%dT%H:%M")}
    client.force_login(clinic_admin)  # holds every permission, treats no one
    assert client.get(form_url(held_last_week)).status_code == HTTPStatus.FORBIDDEN
    assert client.post(form_url(held_last_week), data).status_code == HTTPStatus.FORBIDDEN
    with pytest.raises(PermissionDenied):
        services.session_mark_done(session=held_last_week.session, held_at=held_at, by=clinic_admin)
    held_last_week.refresh_from_db()
    assert held_last_week.status == Appointment.Status.BOOKED

    client.force_login(clinician.user)
    client.post(form_url(held_last_week), data)

    held_last_week.refresh_from_db()
    assert held_last_week.status == Appointment.Status.DONE
    assert held_last_week.recorded_by == clinician


def test_a_session_booked_later_today_is_recorded_at_its_booked_time(
    client, clinician, patient, clock
):
    tz = ClinicSettings.load().tz
    today = clock.now.astimezone(tz).date()
    later = datetime.combine(today, time(23, 30), tzinfo=tz)  # after the suite's "now"
    assert later > clock.now
    plan = factories.make_plan(patient=patient, clinician=clinician, start_date=today)
    appointment = book(plan.sessions.get(number=1), later, clinician, factories.make_room())
    client.force_login(clinician.user)

    form = client.get(form_url(appointment)).context["form"]
    assert form.initial["held_at"] == later  # the form offers its booked time
    response = client.post(form_url(appointment), {"held_at": f"{later:%Y-%m-%dT%H:%M}"})

    assert response.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at) == (Appointment.Status.DONE, later)
