"""Writes to protocols, plans and sessions: load rows, ask the engine, write in one transaction.

Every date a session carries comes from `plans.engine`; nothing here does calendar
arithmetic of its own.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic import audit, clock
from clinic.models import Clinician, ClinicSettings, Product, ProductBatch, TreatmentArea
from patients.models import Patient
from plans import booking, engine
from plans.models import (
    CANCEL_NEEDS_REASON,
    Appointment,
    CallOutcome,
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
SESSION_NOT_OPEN = "Only a session to book or booked can be recorded as done."
DONE_IN_FUTURE = "A session cannot be recorded as done in the future."
EARLIER_STILL_OPEN = "Session {number} comes first: record it as done before this one."
BATCH_EXPIRED = "Expired on the day of the session: {batches}. Choose an unexpired batch."
OPTIONAL_NOT_NEEDED = "Optional session not needed: a later session was held."
APPOINTMENT_ENDED = (
    "The appointment of session {number} was just cancelled or marked as a no-show: look "
    "at the session again before recording it as done."
)
PLAN_ENDS_BEFORE = "The course, re-planned, ends before this session."
HELD_OUT_OF_ORDER = "A session cannot be recorded as held before the session that came before it."
ONLY_CLINICIANS_RECORD = "Only a clinician can record a treatment as done."


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
    audit.bulk_create(
        ProtocolPhase,
        (
            ProtocolPhase(protocol=protocol, position=position, **PlanPhase.fields_of(phase))
            for position, phase in enumerate(phases, start=1)
        ),
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
    """The plan's own copy of its protocol's phases, each tolerance left to the clinic
    written out: a later change of the clinic's default leaves the plan's windows alone."""
    phases = plan.protocol.phase_values()
    if not phases:
        raise ValidationError({"protocol": PROTOCOL_HAS_NO_PHASES})
    percent = ClinicSettings.load().default_tolerance_percent
    phases = engine.with_default_tolerance(phases, percent)
    plan.phases.all().delete()
    audit.bulk_create(
        PlanPhase,
        (
            PlanPhase(plan=plan, position=position, **PlanPhase.fields_of(phase))
            for position, phase in enumerate(phases, start=1)
        ),
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
    audit.bulk_create(Session, _session_rows(plan, windows))
    return plan


def plan_can_change_dates(plan: TreatmentPlan) -> bool:
    """Whether nothing of the plan was booked yet (a cancelled appointment counts)."""
    return not plan.pk or not Appointment.objects.filter(session__plan=plan).exists()


def _outcomes(plan: TreatmentPlan, sessions: Sequence[Session], tz) -> list[engine.Outcome]:
    """What happened so far, up to the last session done: sessions done on their day,
    and those the course no longer asks for (skipped, no longer needed)."""
    done = dict(
        Appointment.objects.filter(session__plan=plan, status=Appointment.Status.DONE).values_list(
            "session_id", "starts_at"
        )
    )
    outcomes = []
    for session in sessions:
        if session.status == Session.Status.DONE:
            outcomes.append(
                engine.Outcome(session.number, timezone.localdate(done[session.pk], tz))
            )
        elif session.status in (Session.Status.SKIPPED, Session.Status.NOT_NEEDED):
            outcomes.append(engine.Outcome(session.number, None))
        else:
            break
    while outcomes and outcomes[-1].held_on is None:
        outcomes.pop()  # nothing after the last session done moves the course
    return outcomes


@dataclass(frozen=True)
class Replanned:
    """The windows of the sessions still to come, recomputed; `outside`: the booked
    appointments that now fall outside their session's new window."""

    outside: list[Appointment]


@transaction.atomic
def plan_replan(*, plan: TreatmentPlan) -> Replanned:
    """Recompute the sessions still to come from the sessions actually done.

    Sessions keep their numbers. Those still to book or booked take their new windows
    (extra ones are added, surplus ones still to book removed); a booked appointment
    keeps its time and is listed when it now falls outside its window. An appointment of
    a session the plan no longer has goes on the rebooking worklist, to be cancelled.
    Cancellations and no-shows do not move the course, so they never come here.
    """
    tz = ClinicSettings.load().tz
    sessions = list(plan.sessions.select_for_update().order_by("number"))
    outcomes = _outcomes(plan, sessions, tz)
    if not outcomes:
        return Replanned([])
    try:
        windows = engine.replan(
            plan.phase_values(), plan.start_date, outcomes, horizon_months=plan.horizon_months
        )
    except engine.ProtocolError as error:
        raise _protocol_error(error, "start_date") from error
    except ValueError as error:
        # The engine refuses a history it cannot follow, e.g. sessions held out of order.
        raise ValidationError({"held_at": HELD_OUT_OF_ORDER}) from error
    last_recorded = outcomes[-1].number
    upcoming = {s.number: s for s in sessions if s.number > last_recorded}
    live = {
        a.session_id: a
        for a in Appointment.objects.filter(
            session__plan=plan, session__number__gt=last_recorded, status__in=Appointment.LIVE
        )
    }
    changed, created, outside = [], [], []
    for window in windows:
        session = upcoming.pop(window.number, None)
        if session is None:
            created.append(_session_rows(plan, [window])[0])
            continue
        if session.status in Session.CLOSED:
            continue
        session.phase, session.optional = window.phase, window.optional
        session.due, session.earliest, session.latest = window.due, window.earliest, window.latest
        changed.append(session)
        appointment = live.get(session.pk)
        if appointment is not None and not session.holds(
            timezone.localdate(appointment.starts_at, tz)
        ):
            appointment.session = session
            outside.append(appointment)
    audit.bulk_update(Session, changed, ["phase", "optional", "due", "earliest", "latest"])
    audit.bulk_create(Session, created)
    ended = [s.pk for s in upcoming.values() if s.status not in Session.CLOSED]
    # A step past the new end that was ever booked stays on the record, no longer needed;
    # the others go.
    booked = set(
        Appointment.objects.filter(session_id__in=ended).values_list("session_id", flat=True)
    )
    Session.objects.filter(pk__in=[pk for pk in ended if pk not in booked]).delete()
    audit.update(
        Session.objects.filter(pk__in=booked),
        status=Session.Status.NOT_NEEDED,
        closed_reason=PLAN_ENDS_BEFORE,
        updated_at=clock.now(),
    )
    # The plan now ends before these live appointments: reception calls and cancels them.
    audit.update(
        Appointment.objects.filter(pk__in=[live[pk].pk for pk in ended if pk in live]),
        needs_rebooking=True,
    )
    return Replanned(outside)


def _locked_appointment(appointment: Appointment) -> Appointment:
    """The appointment as it is now, locked until the transaction ends: a state change
    checks the state it reads here, never the one its caller read earlier."""
    return (
        Appointment.objects.select_for_update()
        .select_related("session__plan__protocol", "patient")
        .get(pk=appointment.pk)
    )


def _live_appointment(session: Session) -> Appointment | None:
    return (
        Appointment.objects.select_for_update()
        .filter(session=session, status__in=Appointment.LIVE)
        .first()
    )


@dataclass(frozen=True)
class Done:
    appointment: Appointment
    outside: list[Appointment]  # later appointments now outside their new windows


def _at_its_time_later_today(live: Appointment | None, held_at: datetime, now: datetime) -> bool:
    """Whether a record ahead of the clock is the session at its booked time later today:
    a patient seen early, or a record written before the booked time comes, keeps the
    time the day's schedule shows. Any other time ahead is refused."""
    if live is None or held_at != live.starts_at:
        return False
    tz = ClinicSettings.load().tz
    return held_at.astimezone(tz).date() == now.astimezone(tz).date()


@transaction.atomic
def session_mark_done(
    *,
    session: Session,
    held_at: datetime,
    ends_at: datetime | None = None,
    areas: Iterable[TreatmentArea] = (),
    batches: Iterable[ProductBatch] = (),
    notes: str = "",
    complications: str = "",
    now: datetime | None = None,
    by=None,
) -> Done:
    """Record that a session took place at `held_at`, what was treated and injected (each
    product traced to its batch), then re-plan the rest of the course from that day.

    The session's live appointment becomes the done one; a session held without one (a
    visit recorded afterwards) gets a done appointment with the plan's clinician.
    `by`, when given, must be a clinician (`ONLY_CLINICIANS_RECORD`): the record names them.
    """
    recorder = None
    if by is not None:
        recorder = Clinician.objects.filter(user=by).first()
        if recorder is None:
            raise PermissionDenied(ONLY_CLINICIANS_RECORD)
    # The appointment first, then its session: the order a cancel or no-show locks them
    # in, so two people acting on one appointment at once wait for each other instead of
    # deadlocking.
    live = _live_appointment(session)
    seen = session.status
    session = (
        Session.objects.select_for_update().select_related("plan__protocol").get(pk=session.pk)
    )
    if session.status not in (Session.Status.TO_BOOK, Session.Status.BOOKED):
        raise ValidationError(SESSION_NOT_OPEN)
    if seen == Session.Status.BOOKED and live is None:
        # Its appointment was cancelled (or a no-show) meanwhile: not silently a new one.
        raise ValidationError(APPOINTMENT_ENDED.format(number=session.number))
    now = now or clock.now()
    if held_at > now and not _at_its_time_later_today(live, held_at, now):
        raise ValidationError({"held_at": DONE_IN_FUTURE})
    plan = session.plan
    earlier = plan.sessions.filter(
        number__lt=session.number, status__in=(Session.Status.TO_BOOK, Session.Status.BOOKED)
    )
    required = earlier.filter(Q(optional=False) | Q(status=Session.Status.BOOKED)).first()
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
    # Optional sessions left behind were not needed.
    audit.update(
        earlier,
        status=Session.Status.SKIPPED,
        closed_reason=OPTIONAL_NOT_NEEDED,
        updated_at=clock.now(),
    )
    appointment = live or Appointment(
        session=session,
        patient_id=session.patient_id,
        clinician_id=plan.clinician_id,
        created_by=by,
    )
    appointment.status = Appointment.Status.DONE
    appointment.starts_at = held_at
    appointment.ends_at = ends_at or held_at + timedelta(minutes=plan.protocol.session_minutes)
    appointment.blocks_until = appointment.ends_at + timedelta(minutes=clinic.buffer_minutes)
    appointment.needs_rebooking = False
    appointment.notes, appointment.complications = notes.strip(), complications.strip()
    appointment.changed_by = by
    # The record names its author: the clinician recording it, or, written by the system
    # (a visit imported, the demo clinic), the clinician who held the appointment.
    appointment.recorded_by_id = recorder.pk if recorder else appointment.clinician_id
    appointment.full_clean(
        exclude=[
            "session",
            "patient",
            "clinician",
            "room",
            "created_by",
            "changed_by",
            "recorded_by",
        ]
    )
    appointment.save()
    appointment.areas_treated.set(areas)
    audit.bulk_create(
        ProductUse, (ProductUse(appointment=appointment, batch=batch) for batch in batches)
    )
    session.status = Session.Status.DONE
    session.save(update_fields=["status", "updated_at"])
    replanned = plan_replan(plan=plan)
    return Done(appointment, replanned.outside)


ARRIVAL_NOT_BOOKED = "Only a booked appointment can be marked as arrived; this one is {status}."
NO_SHOW_NOT_BOOKED = "Only a booked appointment can be marked as a no-show; this one is {status}."
CANCEL_NOT_OPEN = "Only a booked appointment can be cancelled; this one is {status}."
MOVED_MEANWHILE = (
    "This appointment was just moved to {when:%a %d %b %H:%M}: look at it again before "
    "cancelling it."
)


def _refuse_unless(appointment: Appointment, allowed, message: str) -> None:
    if appointment.status not in allowed:
        raise ValidationError(message.format(status=appointment.get_status_display().lower()))


@transaction.atomic
def appointment_mark_arrived(
    *, appointment: Appointment, now: datetime | None = None, by=None
) -> Appointment:
    """The patient is at the desk: the receptionist checks them in."""
    appointment = _locked_appointment(appointment)
    _refuse_unless(appointment, (Appointment.Status.BOOKED,), ARRIVAL_NOT_BOOKED)
    appointment.status = Appointment.Status.ARRIVED
    appointment.arrived_at = now or clock.now()
    appointment.changed_by = by
    appointment.save(update_fields=["status", "arrived_at", "changed_by", "changed_at"])
    return appointment


UNDO_NOT_ARRIVED = "Only an arrival can be undone; this appointment is {status}."


@transaction.atomic
def appointment_undo_arrival(
    *, appointment: Appointment, now: datetime | None = None, by=None
) -> Appointment:
    """An arrival checked by mistake, the same day: the appointment is booked again, the
    arrival time cleared; the trail keeps both changes, with who made them."""
    appointment = _locked_appointment(appointment)
    _refuse_unless(appointment, (Appointment.Status.ARRIVED,), UNDO_NOT_ARRIVED)
    booking.check_undo_today(appointment, now or clock.now())
    appointment.status = Appointment.Status.BOOKED
    appointment.arrived_at = None
    appointment.changed_by = by
    appointment.save(update_fields=["status", "arrived_at", "changed_by", "changed_at"])
    return appointment


def _end_appointment(appointment: Appointment, status: str, reason: str, by) -> Appointment:
    """The appointment ends without treatment and stays on the record with its reason;
    its session goes back to "to book" with the same number and window."""
    appointment.status, appointment.reason = status, reason
    appointment.needs_rebooking = False
    appointment.changed_by = by
    appointment.save(
        update_fields=["status", "reason", "needs_rebooking", "changed_by", "changed_at"]
    )
    audit.update(
        Session.objects.filter(pk=appointment.session_id),
        status=Session.Status.TO_BOOK,
        updated_at=clock.now(),
    )
    return appointment


@transaction.atomic
def appointment_mark_no_show(*, appointment: Appointment, by=None) -> Appointment:
    """The patient did not come: kept on the record and counted; the session is to book
    again, the rest of the course unchanged."""
    appointment = _locked_appointment(appointment)
    _refuse_unless(appointment, Appointment.LIVE, NO_SHOW_NOT_BOOKED)
    return _end_appointment(appointment, Appointment.Status.NO_SHOW, "", by)


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, by_clinic: bool = False, by=None
) -> Appointment:
    """Cancel with a reason, by the patient or by the clinic: kept on the record, its
    time freed, the session to book again with the same window."""
    if not reason.strip():
        raise ValidationError({"reason": CANCEL_NEEDS_REASON})
    seen_start = appointment.starts_at
    appointment = _locked_appointment(appointment)
    _refuse_unless(appointment, (Appointment.Status.BOOKED,), CANCEL_NOT_OPEN)
    if seen_start is not None and appointment.starts_at != seen_start:
        when = timezone.localtime(appointment.starts_at, ClinicSettings.load().tz)
        raise ValidationError(MOVED_MEANWHILE.format(when=when))
    status = (
        Appointment.Status.CANCELLED_BY_CLINIC
        if by_clinic
        else Appointment.Status.CANCELLED_BY_PATIENT
    )
    return _end_appointment(appointment, status, reason.strip(), by)


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
    plan.override_at = clock.now()
    plan.save(update_fields=["contraindication_override", "override_by", "override_at"])
    return plan


def call_record(
    *, patient: Patient, keys: Sequence[str], outcome: str, day: date, by
) -> list[CallOutcome]:
    """Record what came of a call on the day's list: one row per reason of the line, all
    or none."""
    if outcome not in CallOutcome.Outcome.values:
        raise ValidationError({"outcome": "Choose what came of the call."})
    if not keys:
        raise ValidationError("This line has nothing left to call about.")
    now = clock.now()
    with transaction.atomic():
        return CallOutcome.objects.bulk_create(
            CallOutcome(key=key, patient=patient, day=day, outcome=outcome, by=by, at=now)
            for key in dict.fromkeys(keys)
        )
