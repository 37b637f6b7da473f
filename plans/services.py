"""Writes to protocols, plans and sessions: load rows, ask the engine, write in one transaction.

Every date a session carries comes from `plans.engine`; nothing here does calendar
arithmetic of its own.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.models import Clinician, ClinicSettings, Product, ProductBatch, TreatmentArea
from patients.models import Patient
from plans import engine
from plans.models import (
    CANCEL_NEEDS_REASON,
    PlanPhase,
    ProductUse,
    Protocol,
    ProtocolPhase,
    Session,
    TreatmentPlan,
)

PLAN_HAS_BOOKINGS = (
    "Sessions of this plan are already booked, done or cancelled; its start date and "
    "protocol can no longer change. Reschedule the sessions instead."
)
PROTOCOL_HAS_NO_PHASES = "This protocol has no phases yet; an admin must add them first."
SESSION_NOT_OPEN = "Only a planned, booked or arrived session can be recorded as done."
DONE_IN_FUTURE = "A session cannot be recorded as done in the future."
EARLIER_STILL_OPEN = (
    "Session {number} comes first: record it as done, or cancel it, before this one."
)
BATCH_EXPIRED = "Expired on the day of the session: {batches}. Choose an unexpired batch."
OPTIONAL_NOT_NEEDED = "Optional session not needed: a later session was held."
OPEN = (Session.Status.PLANNED, Session.Status.BOOKED, Session.Status.ARRIVED)
HELD_OUT_OF_ORDER = "A session cannot be recorded as held before the session that came before it."


def _protocol_error(error: engine.ProtocolError, field: str) -> ValidationError:
    return ValidationError({field: str(error)})


@transaction.atomic
def protocol_set_phases(*, protocol: Protocol, phases: Sequence[engine.Phase]) -> Protocol:
    """Replace a protocol's phases; a real change starts a new version of the protocol."""
    try:
        engine.check_protocol(phases)
    except engine.ProtocolError as error:
        raise _protocol_error(error, "phases") from error
    before = protocol.phase_values() if protocol.pk else ()
    if tuple(phases) == before:
        return protocol
    protocol.phases.all().delete()
    ProtocolPhase.objects.bulk_create(
        ProtocolPhase(protocol=protocol, position=position, **PlanPhase.fields_of(phase))
        for position, phase in enumerate(phases, start=1)
    )
    if before:
        protocol.version += 1
        protocol.save(update_fields=["version", "updated_at"])
    return protocol


def _session_rows(plan: TreatmentPlan, windows: Iterable[engine.SessionWindow]) -> list[Session]:
    return [
        Session(
            plan=plan,
            patient_id=plan.patient_id,
            number=window.number,
            phase=window.phase,
            due=window.due,
            earliest=window.earliest,
            latest=window.latest,
            optional=window.optional,
        )
        for window in windows
    ]


def _expand(phases: Sequence[engine.Phase], start: date, horizon_months: int, field: str):
    try:
        return engine.expand(phases, start, horizon_months=horizon_months)
    except engine.ProtocolError as error:
        raise _protocol_error(error, field) from error


def _copy_protocol(plan: TreatmentPlan) -> tuple[engine.Phase, ...]:
    phases = plan.protocol.phase_values()
    if not phases:
        raise ValidationError({"protocol": PROTOCOL_HAS_NO_PHASES})
    plan.phases.all().delete()
    PlanPhase.objects.bulk_create(
        PlanPhase(plan=plan, position=position, **PlanPhase.fields_of(phase))
        for position, phase in enumerate(phases, start=1)
    )
    plan.protocol_version = plan.protocol.version
    plan.save(update_fields=["protocol_version"])
    return phases


@transaction.atomic
def plan_create(
    *,
    patient: Patient,
    protocol: Protocol,
    start_date: date,
    clinician: Clinician,
    areas: Iterable[TreatmentArea],
    products: Iterable[Product] = (),
    horizon_months: int = engine.DEFAULT_HORIZON_MONTHS,
    notes: str = "",
    preferred_weekdays: str = "",
    preferred_after=None,
    preferred_before=None,
    created_by=None,
) -> TreatmentPlan:
    """Create a plan following the protocol as it is today, with all its sessions planned.

    The patient's preferences ("Tuesdays after 17:00") guide every slot search of the plan.
    """
    plan = TreatmentPlan(
        patient=patient,
        protocol=protocol,
        start_date=start_date,
        clinician=clinician,
        horizon_months=horizon_months,
        notes=notes,
        preferred_weekdays=preferred_weekdays,
        preferred_after=preferred_after,
        preferred_before=preferred_before,
        created_by=created_by,
    )
    plan.full_clean(exclude=["areas", "products"])
    plan.save()
    plan.areas.set(areas)
    plan.products.set(products)
    plan_write_sessions(plan=plan, copy_protocol=True)
    return plan


@transaction.atomic
def plan_write_sessions(*, plan: TreatmentPlan, copy_protocol: bool) -> TreatmentPlan:
    """(Re)write every session of a plan nothing of which is booked or done yet.

    `copy_protocol` takes the protocol's current phases (a new plan, or a plan moved to
    another protocol); otherwise the plan keeps the phases it was created with.
    """
    if not plan_can_change_dates(plan):
        raise ValidationError(PLAN_HAS_BOOKINGS)
    phases = _copy_protocol(plan) if copy_protocol else plan.phase_values()
    windows = _expand(phases, plan.start_date, plan.horizon_months, "start_date")
    plan.sessions.all().delete()
    Session.objects.bulk_create(_session_rows(plan, windows))
    return plan


def plan_can_change_dates(plan: TreatmentPlan) -> bool:
    return not plan.pk or not plan.sessions.exclude(status=Session.Status.PLANNED).exists()


def _outcomes(plan: TreatmentPlan) -> list[engine.Outcome]:
    """What happened so far: sessions done, and those skipped, up to the last done one."""
    tz = ClinicSettings.load().tz
    outcomes = []
    for session in plan.sessions.order_by("number"):
        if session.status == Session.Status.DONE:
            outcomes.append(
                engine.Outcome(session.number, timezone.localdate(session.starts_at, tz))
            )
        elif session.status in (Session.Status.CANCELLED, Session.Status.NO_SHOW):
            outcomes.append(engine.Outcome(session.number, None))
        else:
            break
    return outcomes


@transaction.atomic
def plan_replan(*, plan: TreatmentPlan) -> list[Session]:
    """Recompute the sessions still to come from what actually happened.

    Planned sessions take their new windows (extra ones are added, surplus planned ones
    removed); a booked session keeps its booking and is flagged `needs_rebooking` when its
    date now falls outside its new window. Returns the bookings so flagged.
    """
    outcomes = _outcomes(plan)
    if not outcomes:
        return []
    try:
        windows = engine.replan(
            plan.phase_values(), plan.start_date, outcomes, horizon_months=plan.horizon_months
        )
    except engine.ProtocolError as error:
        raise _protocol_error(error, "start_date") from error
    except ValueError as error:
        # The engine refuses a history it cannot follow, e.g. sessions held out of order.
        raise ValidationError({"held_at": HELD_OUT_OF_ORDER}) from error
    tz = ClinicSettings.load().tz
    last_recorded = outcomes[-1].number
    upcoming = {s.number: s for s in plan.sessions.filter(number__gt=last_recorded)}
    flagged, changed, created = [], [], []
    for window in windows:
        session = upcoming.pop(window.number, None)
        if session is None:
            created.append(_session_rows(plan, [window])[0])
            continue
        if session.status not in OPEN:
            # Cancelled ahead of time: it stays as it is on record, and the re-plan that
            # follows the sessions before it will count it as skipped.
            continue
        session.phase, session.optional = window.phase, window.optional
        session.due, session.earliest, session.latest = window.due, window.earliest, window.latest
        if session.starts_at is not None and session.status in Session.OCCUPYING:
            booked_on = timezone.localdate(session.starts_at, tz)
            session.needs_rebooking = not window.earliest <= booked_on <= window.latest
            if session.needs_rebooking:
                flagged.append(session)
        changed.append(session)
    for session in upcoming.values():
        if session.status in Session.OCCUPYING and session.starts_at is not None:
            # The plan now ends before this booking: reception must call and cancel it.
            session.needs_rebooking = True
            flagged.append(session)
            changed.append(session)
    Session.objects.bulk_update(
        changed, ["phase", "optional", "due", "earliest", "latest", "needs_rebooking"]
    )
    Session.objects.bulk_create(created)
    surplus = [s.pk for s in upcoming.values() if s.status == Session.Status.PLANNED]
    Session.objects.filter(pk__in=surplus).delete()
    return flagged


@transaction.atomic
def session_mark_done(
    *,
    session: Session,
    held_at,
    ends_at=None,
    areas: Iterable[TreatmentArea] = (),
    batches: Iterable[ProductBatch] = (),
    notes: str = "",
    complications: str = "",
    now: datetime | None = None,
) -> Session:
    """Record that a session took place at `held_at`, what was treated and injected (each
    product traced to its batch), then re-plan the rest of the plan."""
    if session.status not in (
        Session.Status.PLANNED,
        Session.Status.BOOKED,
        Session.Status.ARRIVED,
    ):
        raise ValidationError(SESSION_NOT_OPEN)
    if held_at > (now or timezone.now()):
        raise ValidationError({"held_at": DONE_IN_FUTURE})
    earlier = session.plan.sessions.filter(number__lt=session.number, status__in=OPEN)
    required = earlier.filter(Q(optional=False) | ~Q(status=Session.Status.PLANNED)).first()
    if required is not None:
        raise ValidationError(EARLIER_STILL_OPEN.format(number=required.number))
    clinic = ClinicSettings.load()
    held_on = timezone.localdate(held_at, clinic.tz)
    batches = list(batches)
    expired = [batch for batch in batches if batch.is_expired(held_on)]
    if expired:
        raise ValidationError(
            {"batches": BATCH_EXPIRED.format(batches=", ".join(str(b) for b in expired))}
        )
    # Optional sessions left behind were not needed: kept on record as cancelled.
    earlier.update(status=Session.Status.CANCELLED, cancel_reason=OPTIONAL_NOT_NEEDED)
    length = session.plan.protocol.session_minutes
    session.status = Session.Status.DONE
    session.starts_at = held_at
    session.ends_at = ends_at or held_at + timedelta(minutes=length)
    session.blocks_until = session.ends_at + timedelta(minutes=clinic.buffer_minutes)
    session.needs_rebooking = False
    session.notes, session.complications = notes.strip(), complications.strip()
    session.save(
        update_fields=[
            "status",
            "starts_at",
            "ends_at",
            "blocks_until",
            "needs_rebooking",
            "notes",
            "complications",
            "updated_at",
        ]
    )
    session.areas_treated.set(areas)
    ProductUse.objects.bulk_create(ProductUse(session=session, batch=batch) for batch in batches)
    plan_replan(plan=session.plan)
    return session


ARRIVAL_NOT_BOOKED = "Only a booked session can be marked as arrived."
NO_SHOW_NOT_BOOKED = "Only a booked session can be marked as a no-show."
CANCEL_NOT_OPEN = "Only a planned or booked session can be cancelled."


@transaction.atomic
def session_mark_arrived(*, session: Session, now: datetime | None = None) -> Session:
    """The patient is at the desk: the receptionist checks them in."""
    if session.status != Session.Status.BOOKED:
        raise ValidationError(ARRIVAL_NOT_BOOKED)
    session.status = Session.Status.ARRIVED
    session.arrived_at = now or timezone.now()
    session.save(update_fields=["status", "arrived_at", "updated_at"])
    return session


@transaction.atomic
def session_mark_no_show(*, session: Session) -> Session:
    """The patient did not come: the session is kept, its slot freed, the plan re-planned."""
    if session.status not in (Session.Status.BOOKED, Session.Status.ARRIVED):
        raise ValidationError(NO_SHOW_NOT_BOOKED)
    session.status = Session.Status.NO_SHOW
    session.save(update_fields=["status", "updated_at"])
    plan_replan(plan=session.plan)
    return session


@transaction.atomic
def session_cancel(*, session: Session, reason: str) -> Session:
    """Cancel with a reason: the session stays on record, its slot is freed."""
    if session.status not in (Session.Status.PLANNED, Session.Status.BOOKED):
        raise ValidationError(CANCEL_NOT_OPEN)
    if not reason.strip():
        raise ValidationError({"cancel_reason": CANCEL_NEEDS_REASON})
    session.status = Session.Status.CANCELLED
    session.cancel_reason = reason.strip()
    session.save(update_fields=["status", "cancel_reason", "updated_at"])
    plan_replan(plan=session.plan)
    return session


OVERRIDE_NEEDS_REASON = "Write the clinical reason for treating despite the contraindication."


@transaction.atomic
def plan_record_override(
    *, plan: TreatmentPlan, clinician: Clinician, reason: str
) -> TreatmentPlan:
    """A clinician's recorded decision to treat despite the latest screening's findings."""
    if not reason.strip():
        raise ValidationError({"contraindication_override": OVERRIDE_NEEDS_REASON})
    plan.contraindication_override = reason.strip()
    plan.override_by = clinician
    plan.override_at = timezone.now()
    plan.save(update_fields=["contraindication_override", "override_by", "override_at"])
    return plan
