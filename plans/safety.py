"""Whether a plan may be booked at all: an active plan, a screening, no contraindication
without a clinician's recorded override, the patient's consent to the version in force of
its method's consent form, and a clinician and room fit for its method.

Checked by every booking service, inside its transaction; the pages ask the same
functions to say in advance what stands in the way.

Why a plan may not be booked is medical: a refusal for the screening (`Refusal`) carries
two messages, the clinical one (the findings) and the public one ("needs a clinician's
review before booking: ask Dr …"), and its ordinary text is the public one, so a page
that prints it as any other error tells reception nothing medical. Pages print it with
`refusal_text`, which gives the clinical one to whoever may read the screening.

Whether a plan needs a review (`review_needed`, asked for each row of the recall board)
is remembered by each process for the clinic's `safety_token`, which every change to
what it reads replaces in the same transaction (`safety_changed`, connected by
`plans.apps` to each of `WATCHED` and `WATCHED_M2M`). Only the pages read that memo: the
bookings check the rows themselves.
"""

import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import ValidationError

from clinic.models import (
    Clinician,
    ClinicSettings,
    ConsentFormVersion,
    Contraindication,
    Method,
    Product,
    Room,
)
from patients.models import Screening, SignedConsent
from plans.models import Protocol, TreatmentPlan

# What `review_needed` reads: a write to any of these, or to these many-to-many fields,
# renews the token. Writes that send no signals (`bulk_create`, `QuerySet.update`) on
# them must call `safety_changed()` themselves.
WATCHED = (Screening, TreatmentPlan, Protocol, Contraindication, Method, Product)
WATCHED_M2M = (
    TreatmentPlan.products,
    Screening.allergic_to,
    Contraindication.methods,
    Contraindication.products,
)
# Each process remembers at most this many plans before it starts again from empty.
MEMO_LIMIT = 50_000

REVIEW_NEEDED = "needs a clinician's review before booking"
NEEDS_REVIEW = "This plan " + REVIEW_NEEDED + ": ask {clinician}."
NOT_SCREENED = "The patient has no screening yet: a clinician must screen them before booking."
CONTRAINDICATED = (
    "Contraindicated ({findings}): a clinician must record an override on the plan, after "
    "the latest screening, before booking."
)
PLAN_NOT_ACTIVE = "This plan is {status}: its sessions can no longer be booked."
WRONG_CLINICIAN = "{clinician} does not perform {method}."
WRONG_ROOM = "{room} does not have the equipment for {method}."
INACTIVE = "{name} is not active any more."
CONSENT_DUE = "Consent for {method}, version {number}, to be signed."


class Refusal(ValidationError):
    """A booking refused for what the screening says (or does not say yet).

    `clinical` is why, for those who may read the screening; `public`, the message it
    shows as any other `ValidationError`, names only the clinician to ask.
    """

    def __init__(self, clinical: str, *, plan: TreatmentPlan):
        self.clinical = clinical
        self.public = NEEDS_REVIEW.format(clinician=plan.clinician)
        super().__init__(self.public, code="needs_review")


def refusal_text(error: ValidationError, *, sees_clinical: bool) -> str:
    """An error's text as this reader may see it: a `Refusal`'s reason only for those who
    may read the screening, everyone else the clinician to ask."""
    if isinstance(error, Refusal) and sees_clinical:
        return error.clinical
    return " ".join(error.messages)


def latest_screening(patient_id: int) -> Screening | None:
    """The screening that counts for a patient: the latest (by day, then as recorded)."""
    return (
        Screening.objects.filter(patient_id=patient_id)
        .select_related("screened_by__user")
        .prefetch_related("allergic_to")
        .order_by("-screened_on", "-id")
        .first()
    )


def contraindications(plan: TreatmentPlan, screening: Screening) -> list[str]:
    """The names of what this screening forbids for this plan ([] when nothing).

    A finding applies when its contraindication covers the plan's method (or every
    method), or when one of the plan's products lists it; an allergy to one of the
    plan's products always applies.
    """
    product_ids = {p.pk for p in plan.products.all()}
    return _forbidden(plan.protocol.method_id, product_ids, screening, _rules())


def _rules() -> dict[str, tuple[str, frozenset[int], frozenset[int]]]:
    """Each contraindication the admin described: code -> (name, methods, products)."""
    return {
        c.code: (
            c.name,
            frozenset(m.pk for m in c.methods.all()),
            frozenset(p.pk for p in c.products.all()),
        )
        for c in Contraindication.objects.prefetch_related("methods", "products")
    }


def _forbidden(method_id: int, product_ids: set[int], screening: Screening, rules) -> list[str]:
    findings = screening.findings()
    if {p.pk for p in screening.allergic_to.all()} & product_ids:
        findings.add(Contraindication.Code.PRODUCT_ALLERGY)
    names = set()
    for code in findings:
        if code not in rules:
            # A finding the admin has not described still forbids: better a code than a
            # silent miss.
            names.add(Contraindication.Code(code).label)
            continue
        name, methods, products = rules[code]
        if not methods or method_id in methods or products & product_ids:
            names.add(name)
    return sorted(names)


_lock = threading.Lock()
_memo: tuple[uuid.UUID | None, dict[int, bool]] = (None, {})


def safety_changed(*, action: str = "post_", **_) -> None:
    """Give the reviews a new token: every process works them out again on next use."""
    if action.startswith("post_"):
        ClinicSettings.objects.filter(pk=1).update(safety_token=uuid.uuid4())


def review_needed(plan_ids: Sequence[int]) -> set[int]:
    """The ids of the plans that cannot be booked until a clinician acts: no screening,
    or a contraindication without an override.

    One query (the settings row) when the process remembers them all for the current
    token; else seven more for those it does not (the plans, their products, their
    patients' screenings and allergies, the contraindications).
    """
    if not plan_ids:
        return set()
    global _memo
    token = ClinicSettings.load().safety_token  # read before the rows it vouches for
    with _lock:
        known, memo = _memo
        if known != token or len(memo) > MEMO_LIMIT:
            memo = {}
            _memo = (token, memo)
    missing = [pk for pk in plan_ids if pk not in memo]
    if missing:
        plans = list(TreatmentPlan.objects.filter(pk__in=missing).select_related("protocol"))
        blocked = _review_needed(plans)
        memo.update((pk, pk in blocked) for pk in missing)
    return {pk for pk in plan_ids if memo.get(pk, True)}


def _review_needed(plans: Sequence[TreatmentPlan]) -> set[int]:
    products: dict[int, set[int]] = defaultdict(set)
    through = TreatmentPlan.products.through.objects.filter(
        treatmentplan_id__in=[p.pk for p in plans]
    )
    for plan_id, product_id in through.values_list("treatmentplan_id", "product_id"):
        products[plan_id].add(product_id)
    latest: dict[int, Screening] = {}
    screenings = (
        Screening.objects.filter(patient_id__in={p.patient_id for p in plans})
        .prefetch_related("allergic_to")
        .order_by("patient_id", "-screened_on", "-id")
    )
    for screening in screenings:
        latest.setdefault(screening.patient_id, screening)
    rules = _rules()
    blocked = set()
    for plan in plans:
        screening = latest.get(plan.patient_id)
        if screening is None:
            blocked.add(plan.pk)
            continue
        found = _forbidden(plan.protocol.method_id, products[plan.pk], screening, rules)
        if found and not plan.override_covers(screening):
            blocked.add(plan.pk)
    return blocked


def check_safe(plan: TreatmentPlan) -> None:
    """Refuse (ValidationError) unless the plan may be booked now: a `Refusal` when the
    screening stands in the way."""
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError(PLAN_NOT_ACTIVE.format(status=plan.get_status_display().lower()))
    screening = latest_screening(plan.patient_id)
    if screening is None:
        raise Refusal(NOT_SCREENED, plan=plan)
    found = contraindications(plan, screening)
    if found and not plan.override_covers(screening):
        raise Refusal(CONTRAINDICATED.format(findings=", ".join(found)), plan=plan)
    due = consent_due(plan)
    if due:
        raise ValidationError(due, code="consent_due")


def _consents_in_force() -> dict[int, tuple[int, int, str]]:
    """method id -> (version id, number, method name) of each active consent form's
    version in force (its highest). One query."""
    versions = (
        ConsentFormVersion.objects.filter(form__is_active=True)
        .order_by("form_id", "number")
        .values_list("form__method_id", "pk", "number", "form__method__name")
    )
    return {method_id: (pk, number, name) for method_id, pk, number, name in versions}


def _due(version: tuple[int, int, str]) -> str:
    _, number, name = version
    return CONSENT_DUE.format(method=name.lower(), number=number)


def consent_due(plan: TreatmentPlan) -> str | None:
    """What the patient must sign before the plan may be booked ("Consent for
    electrodermoporation, version 3, to be signed."), or None: their signature of the
    version in force of the plan's method's form, an older version's not being enough.
    Two queries (one when no form is in force)."""
    version = _consents_in_force().get(plan.protocol.method_id)
    if version is None:
        return None
    signed = SignedConsent.objects.filter(patient_id=plan.patient_id, version_id=version[0])
    return None if signed.exists() else _due(version)


def consents_due(plan_ids: Sequence[int]) -> dict[int, str]:
    """`consent_due` for many plans at once: plan id -> what to sign, for those missing a
    consent. At most three queries whatever their number (one when no form is in force)."""
    in_force = _consents_in_force()
    if not plan_ids or not in_force:
        return {}
    plans = list(
        TreatmentPlan.objects.filter(pk__in=plan_ids, protocol__method_id__in=in_force).values_list(
            "pk", "patient_id", "protocol__method_id"
        )
    )
    if not plans:
        return {}
    signed = set(
        SignedConsent.objects.filter(
            patient_id__in={patient_id for _, patient_id, _ in plans},
            version_id__in=[version[0] for version in in_force.values()],
        ).values_list("patient_id", "version_id")
    )
    return {
        pk: _due(in_force[method_id])
        for pk, patient_id, method_id in plans
        if (patient_id, in_force[method_id][0]) not in signed
    }


def check_resources(plan: TreatmentPlan, clinician: Clinician, room: Room) -> None:
    """Refuse, naming the field, a clinician or room that cannot host the plan's method."""
    method = plan.protocol.method
    if not clinician.is_active:
        raise ValidationError({"clinician": INACTIVE.format(name=clinician)})
    if not room.is_active:
        raise ValidationError({"room": INACTIVE.format(name=room)})
    if not clinician.methods.filter(pk=method.pk).exists():
        raise ValidationError(
            {"clinician": WRONG_CLINICIAN.format(clinician=clinician, method=method)}
        )
    required = set(method.required_equipment.values_list("pk", flat=True))
    if not required <= set(room.equipment.values_list("pk", flat=True)):
        raise ValidationError({"room": WRONG_ROOM.format(room=room, method=method)})


def versions_to_sign(patient_id: int) -> list[ConsentFormVersion]:
    """The versions in force the patient must sign before their active plans may be
    booked, by form title. Three queries."""
    in_force = _consents_in_force()
    methods = set(
        TreatmentPlan.objects.filter(
            patient_id=patient_id,
            status=TreatmentPlan.Status.ACTIVE,
            protocol__method_id__in=in_force,
        ).values_list("protocol__method_id", flat=True)
    )
    wanted = [in_force[method_id][0] for method_id in methods]
    signed = SignedConsent.objects.filter(patient_id=patient_id, version_id__in=wanted)
    return list(
        ConsentFormVersion.objects.filter(pk__in=wanted)
        .exclude(pk__in=signed.values("version_id"))
        .select_related("form__method")
        .order_by("form__title")
    )
