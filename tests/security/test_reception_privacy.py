"""Medical data never reaches reception: every URL of the site, walked as each role.

Marker strings are planted in every clinical field (screening answers and free text,
allergies, medication, plan notes and products, session notes, complications, batches
used, override reasons, and the contraindications' names and guidance that a refused
booking would name). Then every URL the resolver knows (pages, htmx fragments, the admin)
is fetched as anonymous, receptionist, clinician and admin, with real ids, and the
refused bookings are posted as reception and followed to the messages they leave.

No marker may reach a receptionist or an anonymous visitor; each must reach a clinician
somewhere, or the walk would prove nothing. Every role is staff here, the strictest case:
what reception may open in the admin then rests on its role's permissions alone
(`clinic.roles`). A URL added later is walked without a change here, as long as its
parameters are named as the others are (`_values` says how each is filled).
"""

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from http import HTTPStatus
from itertools import product

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import (
    Clinician,
    ClinicSettings,
    Closure,
    ConsentFormVersion,
    Contraindication,
    OpeningHours,
    Product,
    ProductBatch,
    Room,
    TimeOff,
)
from patients.models import Patient, Screening, SignedConsent
from plans import reminding, safety, selectors, services, tasks
from plans.models import Appointment, Session, TreatmentPlan
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

MARKER = "MARKER-"
UNDESCRIBED = Contraindication.Code.EPILEPSY  # named by its code's label: no admin row
GUIDED = Contraindication.Code.PREGNANCY  # the one whose guidance holds a marker
SCREENING_TEXT = {
    "other_allergies": "MARKER-ALLERGY-7f3",
    "other_medication": "MARKER-MEDICATION-2c9",
    "clinical_notes": "MARKER-SCREENING-NOTES-5d1",
}
# Every finding a screening records (the patient is a woman: pregnancy too).
FINDINGS = tuple(
    c for c in Contraindication.Code.values if c != Contraindication.Code.PRODUCT_ALLERGY
)
OLD_SCREENING_NOTES = "MARKER-OLD-SCREENING-8e4"
ALLERGEN = "Allergen MARKER-ALLERGEN-PRODUCT-3b7"
PLAN_PRODUCT = "Lipolytic MARKER-PLAN-PRODUCT-6a2"
PLAN_NOTES = "MARKER-PLAN-NOTES-4f8"
OVERRIDE_REASON = "MARKER-OVERRIDE-REASON-1e5"
SESSION_NOTES = "MARKER-SESSION-NOTES-9c0"
COMPLICATIONS = "MARKER-COMPLICATIONS-7a1"
LOT = "MARKER-LOT-42d"
CONSENT_TITLE = "Consent MARKER-CONSENT-TITLE-3c8"
CONSENT_SCAN = "%PDF MARKER-CONSENT-SCAN-8b1"


def contraindication_name(code: str) -> str:
    return f"{Contraindication.Code(code).label} MARKER-CI-{code}"


def guidance(code: str) -> str:
    return f"MARKER-GUIDANCE-{code}"


# Reception must not read what the screening found in plain words either: the label an
# undescribed finding is refused with, and the screening's own field labels.
PLAIN_FINDINGS = (
    Contraindication.Code(UNDESCRIBED).label,
    *(str(Screening._meta.get_field(name).verbose_name) for name in FINDINGS),
    "aspirin or clopidogrel",
    "retinoid creams",
)


@dataclass
class Planted:
    today: date
    clinician: Clinician
    room: Room
    patient: Patient  # screened with every finding: plan `blocked` may not be booked
    blocked: TreatmentPlan
    waiting: Session  # to book, on the recall board
    held: Appointment  # booked before the findings, on the rebooking worklist
    overridden: TreatmentPlan  # a second patient's plan, booked despite warfarin
    done: Appointment  # its treatment record
    today_booked: Appointment  # on today's schedule
    cancelled: Appointment

    def objects(self, model, *, in_admin: bool = False) -> list:
        """The rows whose pages are walked: the planted ones, else the first of the model.
        The admin shows every field of a row whatever its state, so one of each kind of
        record will do there; the clinic's pages differ by state, so they get each."""
        planted = {
            Patient: [self.patient, self.overridden.patient],
            Screening: list(self.patient.screenings.all()),
            TreatmentPlan: [self.blocked, self.overridden],
            Session: [self.waiting, self.held.session, self.done.session, self.cancelled.session],
            Appointment: [self.held, self.done, self.today_booked, self.cancelled],
            Contraindication: [Contraindication.objects.get(code=GUIDED)],
            Clinician: [self.clinician],
        }
        if in_admin:
            planted |= {
                Patient: [self.patient],
                TreatmentPlan: [self.blocked],
                Session: [self.done.session],
                Appointment: [self.done],
            }
        if model in planted:
            return planted[model]
        return [row for row in [model._default_manager.first()] if row is not None]

    @property
    def own_words(self) -> tuple[str, ...]:
        """The patients' own instructions ("Stop aspirin or clopidogrel from ..."), which
        reception may read: the patient must do it. What in the screening triggered it,
        it may not."""
        live = [self.held, self.today_booked]
        found = selectors.appointment_instructions(live)
        return tuple({i.sentence for sentences in found.values() for i in sentences})

    @property
    def days(self) -> list[date]:
        return sorted({self.today, *(local_day(a) for a in (self.held, self.done))})


def local_day(appointment: Appointment) -> date:
    return appointment.starts_at.astimezone(ClinicSettings.load().tz).date()


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ClinicSettings.load().tz)


@pytest.fixture
def planted(clinician, receptionist, clinic_admin, settings, tmp_path) -> Planted:
    settings.MEDIA_ROOT = tmp_path
    today = ClinicSettings.load().today()
    for weekday in range(7):
        OpeningHours.objects.get_or_create(weekday=weekday, opens=time(8), closes=time(20))
    for code in Contraindication.Code.values:
        if code != UNDESCRIBED:
            Contraindication.objects.update_or_create(
                code=code,
                defaults={
                    "name": contraindication_name(code),
                    "guidance": guidance(code) if code == GUIDED else "Ask about it.",
                },
            )
    Contraindication.objects.filter(code=UNDESCRIBED).delete()
    allergen = factories.make_product(ALLERGEN)
    in_plan = factories.make_product(PLAN_PRODUCT, category=Product.Category.LIPOLYTIC)
    traced = factories.make_product("Vitamin cocktail", category=Product.Category.VITAMINS)
    batch = factories.make_batch(traced, LOT, today + timedelta(days=365))
    room = factories.make_room("Room 1", equipment=["Electroporation hand-piece"])
    protocol = factories.make_protocol(name="Face rejuvenation")

    patient = factories.make_patient(first_name="Sophie", notes="Prefers mornings")
    factories.make_screening(
        patient,
        clinician,
        screened_on=today - timedelta(days=60),
        clinical_notes=OLD_SCREENING_NOTES,
    )
    blocked = factories.make_plan(
        patient=patient,
        protocol=protocol,
        clinician=clinician,
        start_date=today - timedelta(days=3),
        products=[in_plan],
        notes=PLAN_NOTES,
    )
    held = book(blocked.sessions.get(number=2), at(today + timedelta(days=14), 10), clinician, room)
    Appointment.objects.filter(pk=held.pk).update(needs_rebooking=True)
    screening = factories.make_screening(
        patient,
        clinician,
        screened_on=today,
        **dict.fromkeys(FINDINGS, True),
        **SCREENING_TEXT,
        takes_aspirin_or_clopidogrel=True,
        uses_retinoid_creams=True,
        wants_anaesthetic_cream=True,
    )
    screening.allergic_to.set([allergen, in_plan])

    other = factories.make_patient(first_name="Jean", sex=Patient.Sex.MALE)
    factories.make_screening(other, clinician, screened_on=today, anticoagulants=True)
    overridden = factories.make_plan(
        patient=other,
        protocol=protocol,
        clinician=clinician,
        start_date=today - timedelta(days=14),
        products=[traced],
        notes=PLAN_NOTES.replace("4f8", "4f9"),
    )
    services.plan_record_override(plan=overridden, clinician=clinician, reason=OVERRIDE_REASON)
    first = overridden.sessions.get(number=1)
    book(first, at(today - timedelta(days=14), 10), clinician, room)
    done = services.session_mark_done(
        session=first,
        held_at=at(today - timedelta(days=14), 10),
        areas=[factories.make_area()],
        batches=[batch],
        notes=SESSION_NOTES,
        complications=COMPLICATIONS,
        by=clinician.user,
    ).appointment
    second = overridden.sessions.get(number=2)
    cancelled = book(second, at(today, 9), clinician, room)
    services.appointment_cancel(appointment=cancelled, reason="Car broke down", by=receptionist)
    today_booked = book(Session.objects.get(pk=second.pk), at(today, 11), clinician, room)

    Closure.objects.create(
        name="Staff training",
        first_day=today + timedelta(days=90),
        last_day=today + timedelta(days=90),
    )
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=at(today + timedelta(days=60), 9),
        ends_at=at(today + timedelta(days=60), 12),
        reason="Conference",
    )
    # The method's consent, after the bookings: signed by the second patient (a scanned
    # form, whose words the walk must find only as clinicians), still to sign for the first.
    form = factories.make_consent_form(protocol.method, title=CONSENT_TITLE)
    factories.sign_consent(
        overridden.patient,
        form.current(),
        clinician,
        scan=SimpleUploadedFile("consent.pdf", CONSENT_SCAN.encode()),
    )
    # What sign-in leaves for admins to look at: a failed attempt, a sign-in, a device.
    seen = {"ip_address": "127.0.0.1", "user_agent": "Firefox", "path_info": "/login/"}
    AccessAttempt.objects.create(
        username="rita.desk", get_data="", post_data="", failures_since_start=1, **seen
    )
    AccessFailureLog.objects.create(username="rita.desk", **seen)
    AccessLog.objects.create(username=receptionist.username, **seen)
    TOTPDevice.objects.create(user=receptionist, name="Phone", confirmed=False)
    # The held appointment's reminder: its task queued for the worker, and sent.
    tasks.send_reminder.enqueue(held.pk, held.starts_at.isoformat())
    reminding.send(held.pk, held.starts_at)
    # A call of the day's list tried (the held appointment, to rebook): it stays to call.
    [line] = [line for line in selectors.call_list(today) if line.person.patient_id == patient.pk]
    services.call_record(
        patient=patient, keys=line.keys, outcome="no_answer", day=today, by=receptionist
    )
    for user in (receptionist, clinician.user, clinic_admin):
        get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
    return Planted(
        today=today,
        clinician=clinician,
        room=room,
        patient=patient,
        blocked=blocked,
        waiting=blocked.sessions.get(number=1),
        held=held,
        overridden=overridden,
        done=done,
        today_booked=today_booked,
        cancelled=cancelled,
    )


# --- the URLs ---------------------------------------------------------------------------

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")
# The model an id stands for, by the address's first part ("sessions/<int:pk>/").
MODELS_BY_PREFIX = {
    "sessions": Session,
    "appointments": Appointment,
    "plans": TreatmentPlan,
    "patients": Patient,
    "consents": SignedConsent,
    "reports": ProductBatch,  # reports/lots/<pk>/: who received the batch
}
MODELS_BY_NAME = {
    "patient_id": Patient,
    "clinician_id": Clinician,
    "version_pk": ConsentFormVersion,
}
ADMIN_MODELS = {
    f"admin/{model._meta.app_label}/{model._meta.model_name}/": model
    for model in admin.site._registry
}


def routes(patterns=None, prefix="", name_prefix=""):
    """Every pattern the resolver knows: (its name or None, its route as one string)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            spaces = f"{name_prefix}{pattern.namespace}:" if pattern.namespace else name_prefix
            yield from routes(pattern.url_patterns, prefix + route, spaces)
        elif isinstance(pattern, URLPattern):
            yield (f"{name_prefix}{pattern.name}" if pattern.name else None), prefix + route


def _values(route: str, name: str, converter: str | None, planted: Planted) -> list[str]:
    """What to put in a URL's parameter: real ids of the planted rows."""
    model = next((m for p, m in ADMIN_MODELS.items() if route.startswith(p)), None)
    if name == "object_id" and route.startswith("admin/r/"):
        return [str(planted.patient.pk)]
    if name == "content_type_id":
        return [str(ContentType.objects.get_for_model(Patient).pk)]
    if name in ("object_id", "pk") and model is not None:
        return [str(row.pk) for row in planted.objects(model, in_admin=True)]
    if name == "id" and model is get_user_model():
        return [str(planted.clinician.user_id)]
    if name == "app_label":
        return sorted({m._meta.app_label for m in admin.site._registry})
    if name == "day":
        return [day.isoformat() for day in planted.days]
    if name == "which":
        return ["signature", "scan"]
    if name in MODELS_BY_NAME:
        return [str(row.pk) for row in planted.objects(MODELS_BY_NAME[name])]
    if name == "pk" and route.split("/")[0] in MODELS_BY_PREFIX:
        return [str(row.pk) for row in planted.objects(MODELS_BY_PREFIX[route.split("/")[0]])]
    if converter == "int":
        pytest.fail(f"{route}: which rows' ids go in <{name}>? Say so in _values.")
    return ["missing"]  # a string the view must read as it reads any other


def fill(route: str, values) -> str:
    """The route with its parameters replaced by these values, in order."""
    values = iter(values)
    path = PARAMETER.sub(lambda _: next(values), route)
    return "/" + path.replace("^", "").replace("$", "")


def urls(planted: Planted) -> list[tuple[str, bool]]:
    """Every address to fetch: (URL, with the htmx header). Each route once per
    combination of its parameters' values, and with each query it answers to."""
    found = []
    for name, route in routes():
        before = len(found)
        parameters = [m.group("name") or m.group("group") for m in PARAMETER.finditer(route)]
        converters = [m.group("converter") for m in PARAMETER.finditer(route)]
        choices = [
            _values(route, p, c, planted) for p, c in zip(parameters, converters, strict=True)
        ]
        for combination in product(*choices):
            path = fill(route, combination)
            found.extend((path + query, htmx) for query, htmx in queries(name, planted))
        assert len(found) > before, f"{route}: no rows to fill it with, so never walked"
    # Signing out comes last, so it cannot end the walk's session early.
    return sorted(set(found), key=lambda row: "logout" in row[0])


def queries(name: str | None, planted: Planted) -> list[tuple[str, bool]]:
    """The query strings a page answers to (none first), each with whether htmx sends it:
    the action menus are fragments htmx loads. (The views that answer htmx differently
    to a POST are posted to as htmx below.)"""
    appointments = [planted.held, planted.done, planted.today_booked, planted.cancelled]
    protocol = planted.blocked.protocol_id
    autocomplete = [
        f"?app_label={m._meta.app_label}&model_name={m._meta.model_name}&field_name={field}"
        for m, model_admin in admin.site._registry.items()
        for field in model_admin.autocomplete_fields
    ]
    actions = [(f"?actions={a.pk}", True) for a in appointments]
    plain = [
        "",
        *{
            "schedule_day": ["?by=room"],
            "recall_board": [
                f"?state={state}" for state in ("overdue", "closing", "open", "opening")
            ],
            "plan_preview": [f"?protocol={protocol}&start_date={planted.today}"],
            "patient_list": ["?q=Sophie", "?q=Bernard"],
            "admin:autocomplete": autocomplete,
            "admin:patients_patient_changelist": ["?q=Sophie"],
            "admin:plans_appointment_changelist": ["?q=Sophie"],
        }.get(name, []),
    ]
    return [(query, False) for query in plain] + (actions if name == "schedule_day" else [])


# --- the walk ---------------------------------------------------------------------------

ROLES = ("anonymous", "receptionist", "clinician", "clinic_admin")


def user_of(request, role: str):
    if role == "anonymous":
        return None
    user = request.getfixturevalue(role)
    return getattr(user, "user", user)  # the clinician fixture is a Clinician row


def leaks(text: str, own_words: tuple[str, ...] = ()) -> list[str]:
    """The medical data a page shows: markers, and findings in plain words, outside the
    patients' own instruction sentences (`own_words`)."""
    for sentence in own_words:
        text = text.replace(html.escape(sentence), "").replace(sentence, "")
    found = re.findall(rf"{MARKER}[\w-]+", text)
    lowered = text.lower()
    return found + [word for word in PLAIN_FINDINGS if word.lower() in lowered]


def walk(client, planted: Planted) -> dict[str, str]:
    """Fetch every URL; each one's text. A server error fails the test there (the test
    client raises it)."""
    pages = {}
    for url, htmx in urls(planted):
        headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/schedule/"}
        response = client.get(url, headers=headers if htmx else {})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[f"{url}{' (htmx)' if htmx else ''}"] = body.decode(errors="replace")
    return pages


def planted_markers() -> set[str]:
    names = {contraindication_name(c) for c in Contraindication.Code.values if c != UNDESCRIBED}
    texts = {
        *SCREENING_TEXT.values(),
        OLD_SCREENING_NOTES,
        ALLERGEN,
        PLAN_PRODUCT,
        PLAN_NOTES,
        OVERRIDE_REASON,
        SESSION_NOTES,
        COMPLICATIONS,
        LOT,
        CONSENT_TITLE,
        CONSENT_SCAN,
        *names,
        guidance(GUIDED),
    }
    return {re.search(rf"{MARKER}[\w-]+", text).group() for text in texts}


@pytest.mark.parametrize("role", ROLES)
def test_no_medical_data_reaches_reception_on_any_url(client, request, planted, role):
    user = user_of(request, role)
    if user is not None:
        client.force_login(user)

    pages = walk(client, planted)

    print(f"\n{len(pages)} URLs walked as {role}")
    if role in ("anonymous", "receptionist"):
        own = planted.own_words
        leaked = {url: found for url, text in pages.items() if (found := leaks(text, own))}
        assert leaked == {}
    if role == "clinician":
        seen = {marker for text in pages.values() for marker in leaks(text)}
        assert planted_markers() - seen == set()
    if user is not None:
        assert client.session.get("_auth_user_id") == str(user.pk), "signed out mid-walk"


# --- refused bookings, posted and followed to their messages ----------------------------


def attempts(planted: Planted) -> dict[str, tuple[str, dict | None]]:
    """Every way to try booking the blocked plan or moving its appointment: what to post
    where (None: a GET). Each is refused for the screening."""
    day = planted.today + timedelta(days=1)
    slot = {"starts_at": at(day, 10).isoformat(), "clinician": planted.clinician.pk}
    slot["room"] = planted.room.pk
    typed = {"day": day.isoformat(), "time": "10:00", **slot}
    del typed["starts_at"]
    waiting, held, plan = planted.waiting, planted.held, planted.blocked.pk
    book, move = (
        reverse("session_book", args=[waiting.pk]),
        reverse("appointment_move", args=[held.pk]),
    )
    return {
        "a slot": (book, slot),
        "a slot from the recall board": (book, {**slot, "next": reverse("recall_board")}),
        "a typed time": (book, typed),
        "a move to a slot": (move, slot),
        "a move to a typed time": (move, typed),
        "the whole plan": (
            reverse("plan_book_all", args=[plan]),
            {"session": [waiting.pk], **{key: [value] for key, value in slot.items()}},
        ),
        "the whole plan's page": (reverse("plan_book_all", args=[plan]), None),
        "the later sessions moved": (
            reverse("plan_move_later", args=[plan]),
            {"appointment": held.pk, "was": held.starts_at.isoformat(), **slot}
            | {"confirm_outside": "on"},
        ),
        "the move-later page": (reverse("plan_move_later", args=[plan]), None),
    }


def answers(client, planted: Planted) -> dict[str, str]:
    """What each attempt answers, redirects followed to the page showing its messages."""
    texts = {}
    for label, (url, data) in attempts(planted).items():
        response = (
            client.get(url, follow=True) if data is None else client.post(url, data, follow=True)
        )
        texts[label] = html.unescape(response.content.decode())
    return texts


def test_reception_is_told_whom_to_ask_never_why(client, receptionist, planted):
    client.force_login(receptionist)
    ask = safety.NEEDS_REVIEW.format(clinician=planted.clinician)

    told = answers(client, planted)

    own = planted.own_words
    assert {label: found for label, text in told.items() if (found := leaks(text, own))} == {}
    assert [label for label, text in told.items() if ask not in text] == []
    assert Appointment.objects.filter(session__plan=planted.blocked).count() == 1


def test_reception_forms_show_nothing_medical(client, receptionist, planted):
    """The other forms reception can reach, posted as reception: each answer followed."""
    client.force_login(receptionist)
    patient, booked = planted.patient, planted.today_booked
    posts = [
        (reverse("patient_edit", args=[patient.pk]), {"first_name": "", "phone": "x"}, {}),
        (reverse("appointment_act", args=[booked.pk]), {"action": "cancel"}, {"HX-Request": "1"}),
        (reverse("appointment_act", args=[booked.pk]), {"action": "arrived"}, {"HX-Request": "1"}),
        (reverse("appointment_act", args=[planted.held.pk]), {"action": "no_show"}, {}),
        (
            reverse("plan_override", args=[planted.blocked.pk]),
            {"contraindication_override": "x"},
            {},
        ),
        (reverse("screening_new", args=[patient.pk]), {"screened_on": "2026-01-01"}, {}),
        (reverse("session_done", args=[planted.waiting.pk]), {"held_at": "2026-01-01T10:00"}, {}),
        (reverse("plan_new", args=[patient.pk]), {}, {}),
    ]
    told = [client.post(url, data, headers=headers, follow=True) for url, data, headers in posts]

    own = planted.own_words
    assert [leaks(r.content.decode(), own) for r in told] == [[]] * len(posts)
    assert [response.status_code for response in told][-4:] == [HTTPStatus.FORBIDDEN] * 4
    planted.blocked.refresh_from_db()
    assert planted.blocked.override_at is None


def test_the_clinician_is_told_why(client, clinician, planted):
    client.force_login(clinician.user)
    findings = [
        Contraindication.Code(UNDESCRIBED).label,
        *(contraindication_name(code) for code in FINDINGS if code != UNDESCRIBED),
        contraindication_name(Contraindication.Code.PRODUCT_ALLERGY),
    ]
    why = safety.CONTRAINDICATED.format(findings=", ".join(sorted(findings)))

    told = answers(client, planted)

    assert [label for label, text in told.items() if why not in text] == []
    assert Appointment.objects.filter(session__plan=planted.blocked).count() == 1


def test_the_recall_board_marks_the_plan_for_reception_instead_of_booking(
    client, receptionist, clinician, planted
):
    book = reverse("session_book", args=[planted.waiting.pk])
    for user in (receptionist, clinician.user):
        client.force_login(user)
        board = html.unescape(client.get(reverse("recall_board")).content.decode())
        assert safety.REVIEW_NEEDED in board
        assert book not in board
    client.force_login(receptionist)
    assert f"ask {planted.clinician}" in client.get(reverse("recall_board")).content.decode()
    worklist = html.unescape(client.get(reverse("rebooking_worklist")).content.decode())
    assert safety.NEEDS_REVIEW.format(clinician=planted.clinician) in worklist
    assert reverse("appointment_move", args=[planted.held.pk]) not in worklist


def test_reception_reads_the_patients_instructions_not_what_triggered_them(
    client, receptionist, clinician, planted
):
    url = reverse("session_detail", args=[planted.held.session_id])
    own = planted.own_words
    held = [i.sentence for i in selectors.appointment_instructions([planted.held])[planted.held.pk]]
    assert any(sentence.startswith("Stop aspirin or clopidogrel from") for sentence in held)
    client.force_login(receptionist)
    page = client.get(url).content.decode()
    assert [s for s in held if html.escape(s) not in page] == []
    assert "Screening:" not in page and leaks(page, own) == []
    client.force_login(clinician.user)
    page = html.unescape(client.get(url).content.decode())
    assert "(Screening: takes aspirin or clopidogrel)" in page
