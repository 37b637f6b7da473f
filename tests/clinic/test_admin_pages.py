"""An admin can open every model's list and add form; phases are checked as a whole."""

from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.urls import reverse

from plans import engine
from plans.models import Appointment, Protocol, ProtocolPhase, Session
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"clinic", "patients", "plans"}
)


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_opens_every_list(client, clinic_admin, app, model):
    factories.make_plan()
    client.force_login(clinic_admin)
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_add_form_opens_where_adding_is_allowed(client, clinic_admin, app, model):
    client.force_login(clinic_admin)
    response = client.get(reverse(f"admin:{app}_{model}_add"))
    model_class = next(m for m in admin.site._registry if m._meta.model_name == model)
    can_add = admin.site._registry[model_class].has_add_permission(
        type("R", (), {"user": clinic_admin})()
    )
    assert response.status_code == (HTTPStatus.OK if can_add else HTTPStatus.FORBIDDEN)


def test_receptionist_cannot_open_admin(client, receptionist):
    client.force_login(receptionist)
    response = client.get(reverse("admin:plans_protocol_changelist"))
    assert response.status_code == HTTPStatus.FOUND


def phase_form(prefix, index, **values):
    row = {
        "position": index + 1,
        "interval_min": 2,
        "interval_max": 2,
        "interval_unit": "week",
        "tolerance_days": "",  # the clinic's default; an explicit 0 means ±0 days
        "span_kind": "count",
        "span_min": 3,
        "span_max": 3,
        "span_unit": "",
    }
    row.update(values)
    return {f"{prefix}-{index}-{key}": value for key, value in row.items()}


def protocol_post(protocol_id=None, phases=(), text=""):
    method = factories.make_method()
    data = {
        "name": "Hair loss course",
        "indication": "hair_loss",
        "method": method.pk,
        "session_minutes": 40,
        "description": "",
        "is_active": "on",
        "protocol_text": text,
        "phases-TOTAL_FORMS": len(phases),
        "phases-INITIAL_FORMS": 0,
        "phases-MIN_NUM_FORMS": 0,
        "phases-MAX_NUM_FORMS": 1000,
    }
    for index, values in enumerate(phases):
        data.update(phase_form("phases", index, **values))
    return data


def test_open_ended_phase_that_is_not_last_is_refused_on_its_field(client, clinic_admin):
    client.force_login(clinic_admin)
    data = protocol_post(phases=[{"span_kind": "open", "span_min": "", "span_max": ""}, {}])
    response = client.post(reverse("admin:plans_protocol_add"), data)
    assert response.status_code == HTTPStatus.OK
    inline = response.context["inline_admin_formsets"][0].formset
    assert engine.OPEN_PHASE_NOT_LAST in inline.forms[0].errors["span_kind"]
    assert not Protocol.objects.exists()


def test_zero_interval_is_refused_in_admin(client, clinic_admin):
    client.force_login(clinic_admin)
    data = protocol_post(phases=[{"interval_min": 0}])
    response = client.post(reverse("admin:plans_protocol_add"), data)
    inline = response.context["inline_admin_formsets"][0].formset
    assert "interval_min" in inline.forms[0].errors
    assert not Protocol.objects.exists()


def test_pasted_text_becomes_the_phases(client, clinic_admin):
    client.force_login(clinic_admin)
    data = protocol_post(text="every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months")
    response = client.post(reverse("admin:plans_protocol_add"), data)
    assert response.status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get()
    assert protocol.text == engine.render_protocol(
        engine.parse_protocol("every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months")
    )
    assert ProtocolPhase.objects.filter(protocol=protocol).count() == 2


def test_unparseable_text_is_refused_on_the_text_field(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(
        reverse("admin:plans_protocol_add"), protocol_post(text="every now and then")
    )
    assert response.status_code == HTTPStatus.OK
    assert "protocol_text" in response.context["adminform"].form.errors
    assert not Protocol.objects.exists()


def test_protocol_page_shows_its_text_and_a_preview(client, clinic_admin):
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    client.force_login(clinic_admin)
    response = client.get(reverse("admin:plans_protocol_change", args=[protocol.pk]))
    content = response.content.decode()
    assert protocol.text in content
    assert content.count("<tr>") >= 7  # header + six sessions in the first year


def test_editing_phases_in_admin_starts_a_new_version(client, clinic_admin):
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    client.force_login(clinic_admin)
    data = protocol_post(text="4 sessions monthly")
    data.update({"name": protocol.name, "method": protocol.method_id})
    phase = protocol.phases.get()
    data.update({"phases-TOTAL_FORMS": 1, "phases-INITIAL_FORMS": 1})
    data.update(phase_form("phases", 0, id=phase.pk, protocol=protocol.pk, span_min=6, span_max=6))
    response = client.post(reverse("admin:plans_protocol_change", args=[protocol.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    protocol.refresh_from_db()
    assert protocol.version == 2
    assert "4 sessions" in protocol.text


def test_editing_a_phase_row_in_admin_starts_a_new_version(client, clinic_admin):
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    client.force_login(clinic_admin)
    data = protocol_post()
    data.update({"name": protocol.name, "method": protocol.method_id})
    phase = protocol.phases.get()
    data.update({"phases-TOTAL_FORMS": 1, "phases-INITIAL_FORMS": 1})
    data.update(phase_form("phases", 0, id=phase.pk, protocol=protocol.pk, span_min=4, span_max=4))
    response = client.post(reverse("admin:plans_protocol_change", args=[protocol.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get()
    assert protocol.text == "every 2 weeks, 4 sessions"
    assert protocol.version == 2


def test_an_explicit_zero_tolerance_in_admin_means_none(client, clinic_admin):
    protocol = factories.make_protocol("6 sessions every 2 weeks")
    client.force_login(clinic_admin)
    data = protocol_post()
    data.update({"name": protocol.name, "method": protocol.method_id})
    phase = protocol.phases.get()
    data.update({"phases-TOTAL_FORMS": 1, "phases-INITIAL_FORMS": 1})
    data.update(phase_form("phases", 0, id=phase.pk, protocol=protocol.pk, tolerance_days=0))
    response = client.post(reverse("admin:plans_protocol_change", args=[protocol.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assert Protocol.objects.get().text == "every 2 weeks ±0 days, 3 sessions"


@pytest.fixture
def booked(clinician):
    plan = factories.make_plan(clinician=clinician)
    session = plan.sessions.get(number=1)
    starts_at = datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Europe/Paris"))
    return factories.book(session, starts_at, clinician, factories.make_room())


def _unchanged(appointment):
    appointment.refresh_from_db()
    appointment.session.refresh_from_db()
    return (
        appointment.starts_at,
        appointment.ends_at,
        appointment.status,
        appointment.room_id,
        appointment.session.status,
        appointment.session.due,
    )


@pytest.mark.parametrize("model", ["session", "appointment"])
def test_admin_shows_sessions_and_appointments_read_only(client, clinic_admin, booked, model):
    obj = booked.session if model == "session" else booked
    client.force_login(clinic_admin)
    response = client.get(reverse(f"admin:plans_{model}_change", args=[obj.pk]))
    assert response.status_code == HTTPStatus.OK
    assert not response.context["has_change_permission"]
    page = response.content.decode()
    assert 'name="_save"' not in page
    for field in ("starts_at", "status", "due", "earliest", "latest"):
        assert f'name="{field}"' not in page


@pytest.mark.parametrize("model", ["session", "appointment"])
def test_admin_cannot_change_a_sessions_or_appointments_times_or_status(
    client, clinic_admin, booked, model
):
    obj = booked.session if model == "session" else booked
    before = _unchanged(booked)
    client.force_login(clinic_admin)
    response = client.post(
        reverse(f"admin:plans_{model}_change", args=[obj.pk]),
        {
            "starts_at_0": "2026-01-06",
            "starts_at_1": "11:00:00",
            "ends_at_0": "2026-01-06",
            "ends_at_1": "11:45:00",
            "due": "2026-01-06",
            "earliest": "2026-01-06",
            "latest": "2026-01-06",
            "status": "done" if model == "session" else "cancelled_clinic",
            "reason": "admin",
            "_save": "Save",
        },
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _unchanged(booked) == before
    assert before[2] == Appointment.Status.BOOKED
    assert before[4] == Session.Status.BOOKED
    response = client.post(reverse(f"admin:plans_{model}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Appointment.objects.filter(pk=booked.pk).exists()


@pytest.mark.parametrize(
    "text", ["every 40000 days", "every 2 weeks for " + "9" * 4301 + " months"]
)
def test_a_number_too_long_in_the_text_is_refused_on_the_text_field(client, clinic_admin, text):
    client.force_login(clinic_admin)
    response = client.post(reverse("admin:plans_protocol_add"), protocol_post(text=text))
    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors["protocol_text"]
    assert "a number of at most 4 digits" in errors[0]
    assert not Protocol.objects.exists()


def test_a_phase_number_above_9999_is_refused_on_its_field(client, clinic_admin):
    client.force_login(clinic_admin)
    data = protocol_post(phases=[{"interval_min": 40000, "interval_max": 40000}])
    response = client.post(reverse("admin:plans_protocol_add"), data)
    assert response.status_code == HTTPStatus.OK
    inline = response.context["inline_admin_formsets"][0].formset
    assert engine.NUMBER_TOO_LARGE in inline.forms[0].errors["interval_min"]
    assert not Protocol.objects.exists()


@pytest.mark.parametrize(
    ("address", "query"),
    [
        ("/admin/axes/accesslog/", {"attempt_time__year": str(2**63 - 1)}),
        ("/admin/otp_totp/totpdevice/", {"created_at__lt": "0001-01-01T00:00"}),
        ("/admin/otp_totp/totpdevice/", {"last_used_at__gte": "9999-12-31"}),
        ("/admin/plans/appointment/", {"starts_at__gte": "0001-01-01"}),
    ],
)
def test_sign_in_records_and_lists_refuse_filters_outside_the_calendar(
    client, clinic_admin, address, query
):
    """A filter the admin cannot read sends back to the unfiltered list, never a 500."""
    client.force_login(clinic_admin)
    response = client.get(address, query)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
