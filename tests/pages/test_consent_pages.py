"""Taking a patient's consent, and seeing where one is missing: the patient's page (for
clinicians only), the consent page with its drawn signature or scanned form, the booking
page's refusal, the recall board and the day's cards."""

import base64
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.models import ClinicSettings
from patients import forms as patient_forms
from patients import models as patient_models
from patients.models import SignedConsent
from plans import safety
from tests import factories
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db

# A 1x1 PNG, as the canvas writes it (smaller).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
DRAWN = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def needle_form(plan):
    return factories.make_consent_form(plan.protocol.method, versions=2)


def sign_url(plan, version):
    return reverse("consent_new", args=[plan.patient_id, version.pk])


def test_the_clinician_sees_the_consent_to_sign_and_a_way_to_take_it(
    client, clinician, plan, needle_form
):
    client.force_login(clinician.user)
    page = client.get(reverse("patient_detail", args=[plan.patient_id])).text
    assert "Consent for needle injection, version 2, to be signed before booking." in page
    assert sign_url(plan, needle_form.current()) in page


def test_reception_sees_no_consent_on_the_patients_page_and_cannot_take_one(
    client, receptionist, clinician, plan, needle_form
):
    consent = factories.sign_consent(
        plan.patient, needle_form.current(), clinician, scan=SimpleUploadedFile("s.pdf", b"%PDF")
    )
    client.force_login(receptionist)
    page = client.get(reverse("patient_detail", args=[plan.patient_id])).text
    assert "Consent to needle injection" not in page
    assert 'id="consents"' not in page
    assert client.get(sign_url(plan, needle_form.current())).status_code == HTTPStatus.FORBIDDEN
    file_url = reverse("consent_file", args=[consent.pk, "scan"])
    assert client.get(file_url).status_code == HTTPStatus.FORBIDDEN


def test_taking_the_consent_records_who_and_when_and_lets_the_booking_through(
    client, clinician, plan, needle_form
):
    version = needle_form.current()
    client.force_login(clinician.user)
    page = client.get(sign_url(plan, version)).text
    assert "Version 2: I consent to needle injection." in page
    today = ClinicSettings.load().today()
    response = client.post(sign_url(plan, version), {"signed_on": today, "agreed": "on"})
    assert response.status_code == HTTPStatus.FOUND
    consent = SignedConsent.objects.get()
    assert (consent.version, consent.taken_by, consent.signed_on) == (version, clinician, today)
    assert safety.consent_due(plan) is None
    page = client.get(response.url).text
    assert "version 2: signed" in page and "taken by Dr" in page


def test_the_agreement_must_be_ticked_and_the_day_not_in_the_future(
    client, clinician, plan, needle_form
):
    client.force_login(clinician.user)
    tomorrow = ClinicSettings.load().today() + timedelta(days=1)
    response = client.post(sign_url(plan, needle_form.current()), {"signed_on": tomorrow})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["agreed"] == [patient_forms.NOT_AGREED]
    response = client.post(
        sign_url(plan, needle_form.current()), {"signed_on": tomorrow, "agreed": "on"}
    )
    assert response.context["form"].errors["signed_on"] == [patient_models.CONSENT_IN_FUTURE]
    assert not SignedConsent.objects.exists()


def test_a_form_that_keeps_signatures_refuses_a_consent_without_one(
    client, clinician, plan, needle_form
):
    needle_form.asks_signature = True
    needle_form.save()
    client.force_login(clinician.user)
    today = ClinicSettings.load().today()
    url = sign_url(plan, needle_form.current())
    response = client.post(url, {"signed_on": today, "agreed": "on"})
    assert response.context["form"].errors["scan"] == [patient_models.CONSENT_NEEDS_SIGNATURE]
    assert 'class="signature-pad' in response.text
    assert not SignedConsent.objects.exists()


def test_the_drawn_signature_is_kept_and_served_to_clinicians_only(
    client, clinician, plan, needle_form
):
    needle_form.asks_signature = True
    needle_form.save()
    client.force_login(clinician.user)
    today = ClinicSettings.load().today()
    url = sign_url(plan, needle_form.current())
    response = client.post(url, {"signed_on": today, "agreed": "on", "signature": DRAWN})
    assert response.status_code == HTTPStatus.FOUND
    consent = SignedConsent.objects.get()
    served = client.get(reverse("consent_file", args=[consent.pk, "signature"]))
    assert b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png"


def test_an_unreadable_signature_or_a_scan_of_the_wrong_kind_is_refused_at_its_field(
    client, clinician, plan, needle_form
):
    client.force_login(clinician.user)
    today = ClinicSettings.load().today()
    url = sign_url(plan, needle_form.current())
    forged = "data:image/png;base64," + base64.b64encode(b"<script>").decode()
    response = client.post(url, {"signed_on": today, "agreed": "on", "signature": forged})
    assert response.context["form"].errors["signature"] == [patient_forms.SIGNATURE_UNREADABLE]
    exe = SimpleUploadedFile("form.exe", b"MZ")
    response = client.post(url, {"signed_on": today, "agreed": "on", "scan": exe})
    assert response.context["form"].errors["scan"] == [patient_forms.SCAN_WRONG_TYPE]
    assert not SignedConsent.objects.exists()


def test_a_scan_over_the_clinics_limit_is_refused_with_the_limit(
    client, clinician, plan, needle_form, settings
):
    settings.CLINIC_UPLOAD_LIMIT = 1024 * 1024
    client.force_login(clinician.user)
    today = ClinicSettings.load().today()
    scan = SimpleUploadedFile("signed.pdf", b"%PDF-1.4" + b"0" * 1024 * 1024)
    response = client.post(
        sign_url(plan, needle_form.current()), {"signed_on": today, "agreed": "on", "scan": scan}
    )
    assert response.context["form"].errors["scan"] == [
        patient_forms.SCAN_TOO_LARGE.format(megabytes=1)
    ]
    assert not SignedConsent.objects.exists()


def test_a_scanned_form_is_kept(client, clinician, plan, needle_form):
    client.force_login(clinician.user)
    today = ClinicSettings.load().today()
    scan = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 scanned", content_type="application/pdf")
    response = client.post(
        sign_url(plan, needle_form.current()), {"signed_on": today, "agreed": "on", "scan": scan}
    )
    assert response.status_code == HTTPStatus.FOUND
    consent = SignedConsent.objects.get()
    served = client.get(reverse("consent_file", args=[consent.pk, "scan"]))
    assert b"".join(served.streaming_content) == b"%PDF-1.4 scanned"
    assert "attachment" in served["Content-Disposition"]


def test_the_booking_page_says_which_consent_is_missing(client, receptionist, plan, needle_form):
    client.force_login(receptionist)
    session = plan.sessions.get(number=1)
    page = client.get(reverse("session_book", args=[session.pk])).text
    assert "Consent for needle injection, version 2, to be signed." in page


def test_the_recall_board_shows_the_consent_to_sign_instead_of_a_booking(
    client, receptionist, clinician, plan, needle_form
):
    plan.sessions.all().delete()
    plan.delete()
    plan = factories.make_plan(
        patient=plan.patient,
        protocol=plan.protocol,
        clinician=clinician,
        start_date=ClinicSettings.load().today(),
    )
    client.force_login(receptionist)
    page = client.get(reverse("recall_board")).text
    assert "consent to sign" in page
    assert "Consent for needle injection, version 2, to be signed." in page
    assert "Book…" not in page
    factories.sign_consent(plan.patient, needle_form.current(), clinician)
    page = client.get(reverse("recall_board")).text
    assert "consent to sign" not in page
    assert "Book…" in page


def test_the_days_cards_show_a_consent_to_sign(client, receptionist, clinician):
    today = ClinicSettings.load().today()
    first, second = clinic_day(today, clinician=clinician, per_clinician=2)
    form = factories.make_consent_form(first.session.plan.protocol.method)
    factories.sign_consent(second.patient, form.current(), clinician)
    client.force_login(receptionist)
    page = client.get(reverse("schedule_day", args=[today])).text
    assert page.count("Consent to sign") == 1
    card = page[page.index(f'id="booking-{first.pk}"') :]
    assert card.index("Consent to sign") < card.index('id="booking-', 10)


def test_the_day_with_a_form_in_force_still_costs_the_same_queries_whatever_its_size(
    client, receptionist, django_assert_max_num_queries
):
    today = ClinicSettings.load().today()
    first = clinic_day(today, per_clinician=1)[0]
    factories.make_consent_form(first.session.plan.protocol.method)
    url = reverse("schedule_day", args=[today])
    client.force_login(receptionist)
    client.get(url)
    # 9: the day's 7, and the plans and signatures of the consents to sign.
    with django_assert_max_num_queries(9) as small:
        client.get(url)
    queries = len(small.captured_queries)
    clinic_day(today, clinicians=3, per_clinician=5)
    client.get(url)
    with django_assert_max_num_queries(queries):
        client.get(url)
