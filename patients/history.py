"""A patient's record as it changed: every version of the patient, their screenings,
plans, sessions, appointments and treatment records (batches used), from the audit trail
(`clinic.audit`), told as "who, when, what: field before → after".

Medical: only for clinicians (`access.VIEW_CLINICAL`). Read in a fixed number of queries
whatever the length of the record: one per kind of row, one for the names the rows point
at per kind of thing named.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain

from django.utils import formats, timezone

from clinic.models import Clinician, Product, ProductBatch, Room, TreatmentArea
from patients.models import Patient, Screening
from plans.models import Appointment, ProductUse, Protocol, Session, TreatmentPlan

# Bookkeeping the clinician does not need to read: stamps, derived fields, links.
HIDDEN = {
    "id",
    "patient",
    "created_at",
    "updated_at",
    "changed_at",
    "changed_by",
    "created_by",
    "recorded_at",
    "blocks_until",
    "protocol_version",
    "session",
    "plan",
    "appointment",
}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# What the foreign keys of these rows name, read once per kind.
NAMED = {
    "screened_by": Clinician,
    "clinician": Clinician,
    "override_by": Clinician,
    "recorded_by": Clinician,
    "room": Room,
    "protocol": Protocol,
    "batch": ProductBatch,
}
# Many-to-many fields: (field, accessor of its history rows, column, model named).
LINKS = {
    Screening: [("allergic_to", "historicalscreeningallergy_set", "product_id", Product)],
    TreatmentPlan: [
        ("areas", "historicalplanarea_set", "treatmentarea_id", TreatmentArea),
        ("products", "historicalplanproduct_set", "product_id", Product),
    ],
    Appointment: [
        ("areas_treated", "historicalappointmentarea_set", "treatmentarea_id", TreatmentArea)
    ],
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: nothing before (created), or not recorded
    after: str


@dataclass
class Entry:
    """One write: when, by whom, to what, and the fields it changed."""

    when: datetime
    who: str
    what: str
    action: str
    changes: list[Change] = field(default_factory=list)
    order: int = 0
    # The row's first version in the trail is a change: it was written before the audit
    # trail began, and its values before this change were not kept.
    first_known: bool = False


def _user_name(user) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.get_username()


def _show(value, model_field, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, date):
        return formats.date_format(value, "j M Y")
    return str(value)


def _rows(model, **where):
    historical = model.trail.model
    rows = historical.objects.filter(**where).select_related("history_user")
    links = [accessor for _, accessor, _, _ in LINKS.get(model, ())]
    return list(rows.prefetch_related(*links).order_by("history_date", "history_id"))


def _names(rows) -> dict:
    """(model, pk) -> its name, for every foreign key and link the rows hold."""
    wanted: dict[type, set] = defaultdict(set)
    for row in rows:
        for name, model in NAMED.items():
            pk = getattr(row, f"{name}_id", None)
            if pk is not None:
                wanted[model].add(pk)
        for _, accessor, column, model in LINKS.get(row.instance_type, ()):
            wanted[model].update(getattr(link, column) for link in getattr(row, accessor).all())
    names = {}
    for model, pks in wanted.items():
        query = model.objects.filter(pk__in=pks)
        if model is Clinician:
            query = query.select_related("user")
        if model is ProductBatch:
            query = query.select_related("product")
        names.update(((model, obj.pk), str(obj)) for obj in query)
    return names


def _values(row, model, names) -> dict[str, tuple[str, str]]:
    """Each shown field of a historical row: name -> (label, value in words)."""
    values = {}
    for model_field in model._meta.concrete_fields:
        if model_field.name in HIDDEN:
            continue
        value = getattr(row, model_field.attname, None)
        values[model_field.name] = (
            str(model_field.verbose_name),
            _show(value, model_field, names),
        )
    for name, accessor, column, linked in LINKS.get(model, ()):
        linked_names = sorted(
            names.get((linked, getattr(link, column)), "?") for link in getattr(row, accessor).all()
        )
        label = str(model._meta.get_field(name).verbose_name)
        values[name] = (label, ", ".join(linked_names) or "—")
    return values


def _what(model, row, names, sessions: dict) -> str:
    if model is Patient:
        return "Patient details"
    if model is Screening:
        return f"Screening of {formats.date_format(row.screened_on, 'j M Y')}"
    if model is TreatmentPlan:
        return f"Plan: {names.get((Protocol, row.protocol_id), 'treatment plan')}"
    if model is Session:
        return f"Session {row.number}"
    if model is Appointment:
        number = sessions.get(row.session_id)
        return f"Appointment of session {number}" if number else "Appointment"
    return "Treatment record (batch used)"


def patient_history(patient: Patient) -> list[Entry]:
    """Every change to the patient's record, newest first."""
    appointment_ids = Appointment.objects.filter(patient=patient).values("pk")
    by_model = {
        Patient: _rows(Patient, id=patient.pk),
        Screening: _rows(Screening, patient_id=patient.pk),
        TreatmentPlan: _rows(TreatmentPlan, patient_id=patient.pk),
        Session: _rows(Session, patient_id=patient.pk),
        Appointment: _rows(Appointment, patient_id=patient.pk),
        ProductUse: _rows(ProductUse, appointment_id__in=appointment_ids),
    }
    for model, rows in by_model.items():
        for row in rows:
            row.instance_type = model
    names = _names(chain.from_iterable(by_model.values()))
    sessions = {row.id: row.number for row in by_model[Session]}
    entries = []
    for model, rows in by_model.items():
        previous: dict[int, dict] = {}
        for row in rows:
            values = _values(row, model, names)
            before = previous.get(row.id)
            if row.history_type == "-":
                changes = []
            elif before is None:
                changes = [
                    Change(label, None, shown) for label, shown in values.values() if shown != "—"
                ]
            else:
                changes = [
                    Change(label, before[name][1], shown)
                    for name, (label, shown) in values.items()
                    if before.get(name, (label, "—"))[1] != shown
                ]
            previous[row.id] = values
            if row.history_type == "~" and not changes:
                continue  # a save that changed nothing the clinician reads
            entries.append(
                Entry(
                    when=row.history_date,
                    who=_user_name(row.history_user),
                    what=_what(model, row, names, sessions),
                    action=ACTIONS[row.history_type],
                    changes=changes,
                    order=row.history_id,
                    first_known=row.history_type == "~" and before is None,
                )
            )
    entries.sort(key=lambda entry: (entry.when, entry.order), reverse=True)
    return entries
