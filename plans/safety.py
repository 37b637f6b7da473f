"""Whether a plan may be booked at all: an active plan, a screening, no contraindication
without a clinician's recorded override, and a clinician and room fit for its method.

Checked by every booking service, inside its transaction; the pages ask the same
functions to say in advance what stands in the way.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import ValidationError

from clinic.models import Clinician, Contraindication, Room
from patients.models import Screening
from plans.models import TreatmentPlan

NOT_SCREENED = "The patient has no screening yet: a clinician must screen them before booking."
CONTRAINDICATED = (
    "Contraindicated ({findings}): a clinician must record an override on the plan, after "
    "the latest screening, before booking."
)
PLAN_NOT_ACTIVE = "This plan is {status}: its sessions can no longer be booked."
WRONG_CLINICIAN = "{clinician} does not perform {method}."
WRONG_ROOM = "{room} does not have the equipment for {method}."
INACTIVE = "{name} is not active any more."


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


def review_needed(plans: Sequence[TreatmentPlan]) -> set[int]:
    """The ids of the plans that cannot be booked until a clinician acts: no screening,
    or a contraindication without an override. Six queries for any number of plans
    (their products, their patients' screenings and allergies, the contraindications)."""
    if not plans:
        return set()
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
    """Refuse (ValidationError) unless the plan may be booked now."""
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError(PLAN_NOT_ACTIVE.format(status=plan.get_status_display().lower()))
    screening = latest_screening(plan.patient_id)
    if screening is None:
        raise ValidationError(NOT_SCREENED)
    found = contraindications(plan, screening)
    if found and not plan.override_covers(screening):
        raise ValidationError(CONTRAINDICATED.format(findings=", ".join(found)))


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
