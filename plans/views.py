"""The schedule, the session actions, new plans and their booking, the recall board.

Every view reads as: fetch with an access helper, validate with a form, call a service,
redirect with a message. Actions on a schedule card answer htmx with the card alone, so
the day stays where the receptionist left it; without JavaScript they redirect back.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from clinic import access, clock, inputs
from clinic.forms import add_service_errors
from clinic.models import Clinician, InstructionRule, Room, Weekday
from plans import availability, booking, cards, engine, safety, selectors, services, submissions
from plans.calendar import clinic_calendar
from plans.forms import (
    CancelForm,
    DoneForm,
    OverrideForm,
    PlanForm,
    PreviewForm,
    SlotForm,
    TypedTimeForm,
)
from plans.instructions import When
from plans.models import Appointment, Protocol, Session
from plans.slots import Slot

# --- helpers ----------------------------------------------------------------------------


def _text(request: HttpRequest, error: ValidationError) -> str:
    """A service's refusal as this user may read it: why the screening forbids booking is
    for those who may read the screening (`safety.refusal_text`)."""
    return safety.refusal_text(error, sees_clinical=access.sees_clinical(request.user))


def _back(request: HttpRequest, default):
    """Where an action returns: the page it came from (`next`, if it is one of ours),
    else `default` (a day or a URL)."""
    target = inputs.next_path(request)
    if target:
        return HttpResponseRedirect(target)
    if isinstance(default, date):
        return redirect("schedule_day", day=default)
    return redirect(default)


def _day_of(appointment: Appointment) -> date:
    return timezone.localdate(appointment.starts_at)


def _card(request: HttpRequest, appointment: Appointment, error: str = "") -> HttpResponse:
    card = selectors.schedule_card(
        appointment.pk,
        timezone.get_current_timezone(),
        cream_minutes=request.clinic.anaesthetic_cream_minutes,
        by_room="by=room" in inputs.next_path(request),
        standing=clinic_calendar(request.clinic),
        error=error,
    )
    return HttpResponse(card.html)


def _act(request: HttpRequest, appointment: Appointment, action, done_message: str):
    """Run an appointment service and answer the card (htmx) or go back with a message."""
    back = _back(request, _day_of(appointment))  # read before acting, never fails after
    try:
        action()
    except ValidationError as error:
        if request.htmx:
            return _card(request, appointment, error=_text(request, error))
        messages.error(request, _text(request, error))
        return back
    if request.htmx:
        return _card(request, appointment)
    messages.success(request, done_message)
    return back


# --- the schedule -----------------------------------------------------------------------


@require_GET
def schedule_today(request: HttpRequest) -> HttpResponse:
    return schedule_day(request, request.clinic.today())


@require_GET
def schedule_day(request: HttpRequest, day: date) -> HttpResponse:
    access.require(request.user, access.VIEW_SCHEDULE)
    if "actions" in request.GET:
        return _schedule_actions(request, day, request.GET["actions"])
    picked = request.GET.get("day")
    if picked:
        if inputs.as_day(picked):
            return redirect("schedule_day", day=inputs.as_day(picked))
        messages.error(request, f"That date could not be read. {inputs.OUTSIDE_CALENDAR}")
    by = "room" if request.GET.get("by") == "room" else "clinician"
    hide_off = request.GET.get("off") == "hide"
    schedule = selectors.day_schedule(
        day,
        timezone.get_current_timezone(),
        by=by,
        cream_minutes=request.clinic.anaesthetic_cream_minutes,
        standing=clinic_calendar(request.clinic),
        hide_off=hide_off,
    )
    # The cards print no role-dependent markup: their action menus come from
    # _schedule_actions when opened.
    return render(
        request,
        "plans/schedule_day.html",
        {
            "schedule": schedule,
            "by_room": by == "room",
            "hide_off": hide_off,
            "nav": "day",
            "today": request.clinic.today(),
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _undoable(request: HttpRequest, appointment: Appointment) -> dict[str, bool]:
    """Which of an arrival or a no-show may be undone: on the appointment's day only."""
    today = _day_of(appointment) == request.clinic.today()
    return {
        "can_undo_arrival": today and appointment.status == Appointment.Status.ARRIVED,
        "can_undo_no_show": today and appointment.status == Appointment.Status.NO_SHOW,
    }


def _schedule_actions(request: HttpRequest, day: date, pk: str) -> HttpResponse:
    """A card's action menu, which htmx loads when the menu opens (`?actions=<pk>`, the
    appointment's).

    One form on demand rather than 160 forms and CSRF tokens in every page of the day.
    `next` is the page the menu was opened on (htmx says which), so an action without
    htmx returns there and the card answered to htmx keeps the page's columns.
    """
    if inputs.as_int(pk) is None:
        return HttpResponse("Which appointment?", status=400)
    appointment = access.appointment_for(request.user, inputs.as_int(pk), access.VIEW_SCHEDULE)
    here = request.htmx.current_url_abs_path if request.htmx else None
    here = here or reverse("schedule_day", args=[day])
    return render(
        request,
        "plans/_schedule_actions.html",
        {
            "appointment": appointment,
            "here": here,
            "can_record": access.records_treatment(request.user),
            "can_arrive": appointment.status == Appointment.Status.BOOKED,
            "can_move": appointment.status == Appointment.Status.BOOKED,
            "live": appointment.is_live,
            "local_start": timezone.localtime(appointment.starts_at),
            "grid_seconds": request.clinic.slot_grid_minutes * 60,
            "submission": submissions.new_key(),
            **_undoable(request, appointment),
        },
    )


@require_GET
def schedule_week(request: HttpRequest, clinician_id: int | None = None, day=None):
    access.require(request.user, access.VIEW_SCHEDULE)
    day = day or request.clinic.today()
    if clinician_id is None:
        # Your own week, else the first clinician of the week's picker.
        own = access.clinician_of(request.user)
        listed = clinic_calendar(request.clinic).clinicians
        first = own.pk if own else listed[0].pk if listed else None
        if first is None:
            messages.info(request, "No clinician works here yet: an admin adds them.")
            return redirect("schedule_today")
        return redirect("schedule_week", clinician_id=first, day=day)
    clinician = get_object_or_404(Clinician.objects.select_related("user"), pk=clinician_id)
    monday = day - timedelta(days=day.weekday())
    standing = clinic_calendar(request.clinic)
    week = selectors.week_schedule(
        clinician,
        monday,
        timezone.get_current_timezone(),
        cream_minutes=request.clinic.anaesthetic_cream_minutes,
        standing=standing,
        today=request.clinic.today(),
    )
    return render(
        request,
        "plans/schedule_week.html",
        {
            "week": week,
            "nav": "week",
            "clinicians": standing.clinicians,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "today": request.clinic.today(),
        },
    )


# --- one session and its appointments -------------------------------------------------


@dataclass(frozen=True)
class InstructionLine:
    sentence: str
    language: str
    reason: str  # what triggered it, for those who may read the screening; else ""


@dataclass(frozen=True)
class InstructionPart:
    heading: str
    lines: list[InstructionLine]


TRIGGER_LABELS = dict(InstructionRule.Trigger.choices)


def _instruction_parts(found, *, sees_clinical: bool) -> list[InstructionPart]:
    """An appointment's sentences before and after the session. Reception reads the
    patient's own words only: what in the screening triggered them is for clinicians."""
    parts = []
    for when, heading in ((When.BEFORE, "Before the session"), (When.AFTER, "After the session")):
        lines = [
            InstructionLine(
                i.sentence,
                i.language,
                TRIGGER_LABELS.get(i.trigger, "") if sees_clinical else "",
            )
            for i in found
            if i.when == when
        ]
        parts.append(InstructionPart(heading, lines))
    return parts if any(part.lines for part in parts) else []


def _roles(request: HttpRequest) -> dict:
    return {
        "can_record": access.records_treatment(request.user),
        "sees_clinical": access.sees_clinical(request.user),
    }


@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session of the course: its window, its live appointment and every earlier one."""
    session = access.session_for(request.user, pk, access.VIEW_SCHEDULE)
    history = list(
        session.appointments.select_related("clinician__user", "room", "changed_by")
        .prefetch_related("areas_treated")
        .order_by("created_at", "pk")
    )
    current = next((a for a in history if a.status in Appointment.OCCUPYING), None)
    roles = _roles(request)
    uses = ()
    if current and current.status == Appointment.Status.DONE and roles["sees_clinical"]:
        uses = current.product_uses.select_related("batch__product")
    instructions = []
    if current is not None and current.is_live:
        found = selectors.appointment_instructions([current], clinic=request.clinic)
        instructions = _instruction_parts(found[current.pk], sees_clinical=roles["sees_clinical"])
    return render(
        request,
        "plans/session_detail.html",
        {
            "session": session,
            "current": current,
            "history": history,
            "cancel_form": CancelForm(),
            "uses": uses,
            "instructions": instructions,
            "last": history[-1] if history else None,
            **(_undoable(request, history[-1]) if history else {}),
            **roles,
        },
    )


@require_POST
def appointment_arrived(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for(request.user, pk)
    return _act(
        request,
        appointment,
        lambda: services.appointment_mark_arrived(appointment=appointment, by=request.user),
        f"{appointment.patient.full_name} has arrived.",
    )


@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    """A no-show frees the time and sends the session back to be booked: asked for twice.
    The card's button asks in the browser (htmx) and posts `confirm`; a page without
    JavaScript asks here first."""
    appointment = access.appointment_for(request.user, pk)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "plans/confirm_no_show.html",
            {"appointment": appointment, "next": inputs.next_path(request)},
        )
    return _act(
        request,
        appointment,
        lambda: services.appointment_mark_no_show(appointment=appointment, by=request.user),
        f"{appointment.patient.full_name} marked as a no-show; session "
        f"{appointment.session.number} is to book again.",
    )


@require_POST
def appointment_undo_arrival(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for(request.user, pk)
    return _act(
        request,
        appointment,
        lambda: services.appointment_undo_arrival(appointment=appointment, by=request.user),
        f"{appointment.patient.full_name}'s arrival undone: booked again.",
    )


@require_POST
def appointment_undo_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for(request.user, pk)
    return _act(
        request,
        appointment,
        lambda: booking.appointment_undo_no_show(appointment=appointment, by=request.user),
        f"{appointment.patient.full_name}'s no-show undone: booked again at its time.",
    )


@require_POST
def appointment_act(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule card's one form: its buttons say which action to take."""
    action = {
        "arrived": appointment_arrived,
        "no_show": appointment_no_show,
        "cancel": appointment_cancel,
        "undo_arrival": appointment_undo_arrival,
        "undo_no_show": appointment_undo_no_show,
    }.get(request.POST.get("action", ""))
    if action is None:
        appointment = access.appointment_for(request.user, pk)
        messages.error(request, "Choose an action.")
        return redirect("session_detail", pk=appointment.session_id)
    return action(request, pk)


def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for(request.user, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _act(
            request,
            appointment,
            lambda: services.appointment_cancel(
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                by_clinic=form.cleaned_data["by_clinic"],
                by=request.user,
            ),
            f"Appointment of {appointment.patient.full_name} cancelled; session "
            f"{appointment.session.number} is to book again.",
        )
    if request.method == "POST" and request.htmx:
        return _card(request, appointment, error=" ".join(form.errors.get("reason", [])))
    return render(
        request,
        "plans/appointment_cancel.html",
        {"appointment": appointment, "form": form, "next": inputs.next_path(request)},
    )


def session_done(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk, access.RECORD_TREATMENT)
    access.clinician_required(request.user)  # the record names its author
    live = session.appointments.filter(status__in=Appointment.LIVE).first()
    held_at = timezone.localtime(live.starts_at if live else clock.now())
    form = DoneForm(
        request.POST or None,
        initial={"held_at": held_at},
        plan=session.plan,
        day=held_at.date(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = services.session_mark_done(session=session, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Session {session.number} of {session.patient.full_name} recorded as done; "
                "the rest of the course was re-planned from that day.",
            )
            if done.outside:
                numbers = ", ".join(str(a.session.number) for a in done.outside)
                messages.warning(
                    request,
                    f"Sessions {numbers} are now booked outside their new windows: here is "
                    "a proposal to move them.",
                )
                return redirect("plan_move_later", pk=session.plan_id)
            return redirect("plan_detail", pk=session.plan_id)
    return render(
        request, "plans/session_done.html", {"session": session, "form": form, "live": live}
    )


def _resources_of(found) -> tuple[dict, dict]:
    """The clinicians and rooms these slots name, by pk (two queries)."""
    clinicians = Clinician.objects.filter(pk__in={s.clinician_id for s in found})
    rooms = Room.objects.filter(pk__in={s.room_id for s in found})
    return {c.pk: c for c in clinicians.select_related("user")}, {r.pk: r for r in rooms}


def _refusal(request: HttpRequest, plan) -> str:
    """Why the plan cannot be booked now, as this user may read it; "" when it can.

    The remembered reviews and the consent answer first (three queries); only a plan held
    up is checked row by row, for its reason.
    """
    if (
        plan.status == plan.Status.ACTIVE
        and plan.pk not in safety.review_needed([plan.pk])
        and not safety.consent_due(plan)
    ):
        return ""
    try:
        safety.check_safe(plan)
    except ValidationError as error:
        return _text(request, error)
    return ""


def _slot_page(
    request: HttpRequest,
    session: Session,
    *,
    appointment: Appointment | None,
    typed: TypedTimeForm | None = None,
) -> HttpResponse:
    context = {
        "session": session,
        "appointment": appointment,
        "move": appointment is not None,
        "next": inputs.next_path(request),
    }
    refused = _refusal(request, session.plan)
    if refused:
        # No time to offer: every one would be refused for the same reason.
        return render(request, "plans/session_slots.html", {**context, "refused": refused})
    found = availability.slot_search(
        session=session, exclude_appointment=appointment.pk if appointment else None
    )
    if appointment is not None:
        # Its own time is no new time: never offered back, in whichever room or column
        # (another clinician at the same time is typed, not suggested).
        found = replace(
            found, slots=tuple(s for s in found.slots if s.start != appointment.starts_at)
        )
    clinicians, rooms = _resources_of(found.slots)
    tz = request.clinic.tz
    choices = []
    for slot in found.slots:
        outside = availability.window_label(session, slot.start, tz)
        initial = {
            "starts_at": slot.start.isoformat(),
            "clinician": slot.clinician_id,
            "room": slot.room_id,
            "confirm_outside": bool(outside),
        }
        choices.append(
            (
                slot,
                SlotForm(initial=initial),
                clinicians[slot.clinician_id],
                rooms[slot.room_id],
                outside,
            )
        )
    typed = typed or TypedTimeForm(plan=session.plan, tz=tz)
    return render(
        request,
        "plans/session_slots.html",
        {
            **context,
            "search": found,
            "choices": choices,
            "typed": typed,
            "submission": submissions.new_key(),
        },
    )


def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk)
    return _choose_time(request, session, None)


def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for(request.user, pk)
    return _choose_time(request, appointment.session, appointment)


def _warn_too_close(request: HttpRequest, done) -> None:
    """Tell of the later sessions a booking or move left too close to it."""
    for conflict in done.conflicts:
        messages.warning(
            request,
            f"Session {conflict.number} on {timezone.localtime(conflict.starts_at):%d %b} is "
            "now too close to this one: move it too.",
        )


def _choose_time(request: HttpRequest, session: Session, appointment: Appointment | None):
    """GET: the free times to choose from, and a date and time to type. POST: book the
    session there (or move its appointment); a refusal says why, and comes back to fresh
    suggestions with what was typed kept."""
    if request.method != "POST":
        return _slot_page(request, session, appointment=appointment)
    back = _back(request, reverse("plan_detail", args=[session.plan_id]))
    typed = None
    if "day" in request.POST:
        form = typed = TypedTimeForm(request.POST, plan=session.plan, tz=request.clinic.tz)
    else:
        form = SlotForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        chosen = {
            "starts_at": form.cleaned_data["starts_at"],
            "clinician": form.cleaned_data["clinician"],
            "room": form.cleaned_data["room"],
            "confirm_outside": form.cleaned_data["confirm_outside"],
            "follow_up_reason": form.cleaned_data.get("follow_up_reason", ""),
            "by": request.user,
        }
        with submissions.once(
            key=submissions.key_of(request.POST),
            user=request.user,
            plan=session.plan,
            action=submissions.Action.BOOK if appointment is None else submissions.Action.MOVE,
        ) as submission:
            if appointment is not None:
                done = booking.appointment_move(appointment=appointment, **chosen)
            else:
                done = booking.appointment_book(session=session, **chosen)
            when = timezone.localtime(done.appointment.starts_at)
            verb = "moved to" if appointment is not None else "booked for"
            submission.outcome = (
                f"Session {session.number} of {session.patient.full_name} {verb} "
                f"{when:%a %d %b %Y at %H:%M}"
                + (" (outside its window)." if done.appointment.outside_window else ".")
            )
    except submissions.AlreadyDone as already:
        messages.info(request, already.message)
        return back
    except ValidationError as error:
        if typed is not None and not isinstance(error, safety.Refusal):
            if getattr(error, "code", None) == "outside_window":
                typed.add_error("confirm_outside", _text(request, error))
            elif getattr(error, "code", None) == "follow_up":
                typed.ask_follow_up_reason(_text(request, error))
            else:
                add_service_errors(typed, error)
            return _slot_page(request, session, appointment=appointment, typed=typed)
        messages.error(request, _text(request, error))
        return redirect(request.get_full_path())
    messages.success(request, submission.outcome)
    _warn_too_close(request, done)
    return back


@require_POST
def appointment_drop(request: HttpRequest, pk: int) -> HttpResponse:
    """A card dropped on another time, column or day (`static/clinic/drag.js`): checked
    by the move's own service before anything is saved. Answers JSON: done, or the reason
    it was refused, and whether a confirmation would let it through (outside the window)."""
    appointment = access.appointment_for(request.user, pk)
    form = TypedTimeForm(request.POST, plan=appointment.session.plan, tz=request.clinic.tz)
    if not form.is_valid():
        errors = [m for messages_ in form.errors.values() for m in messages_]
        return JsonResponse({"ok": False, "message": " ".join(errors)})
    try:
        done = booking.appointment_move(
            appointment=appointment,
            starts_at=form.cleaned_data["starts_at"],
            clinician=form.cleaned_data["clinician"],
            room=form.cleaned_data["room"],
            confirm_outside=form.cleaned_data["confirm_outside"],
            by=request.user,
        )
    except ValidationError as error:
        code = getattr(error, "code", None)
        message = _text(request, error)
        if code == "follow_up":
            message += " Use Reschedule in the card's menu to give the reason."
        return JsonResponse({"ok": False, "message": message, "confirm": code == "outside_window"})
    when = timezone.localtime(done.appointment.starts_at)
    messages.success(
        request,
        f"Session {appointment.session.number} of {appointment.patient.full_name} moved to "
        f"{when:%a %d %b %Y at %H:%M}.",
    )
    _warn_too_close(request, done)
    return JsonResponse({"ok": True})


# --- plans ------------------------------------------------------------------------------


def plan_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.patient_for(request.user, patient_id, access.ADD_PLAN)
    own = access.clinician_of(request.user)
    form = PlanForm(
        request.POST or None,
        initial={"start_date": request.clinic.today(), "clinician": own},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                patient=patient, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Plan created with {plan.sessions.count()} sessions. Book them now: "
                "all at once or one by one.",
            )
            return redirect("plan_detail", pk=plan.pk)
    return render(request, "plans/plan_new.html", {"patient": patient, "form": form})


@require_GET
def plan_preview(request: HttpRequest) -> HttpResponse:
    """The sessions a protocol plans from a start date, before anything is saved."""
    access.require(request.user, access.ADD_PLAN)
    form = PreviewForm(request.GET)
    context = {"form": form, "windows": None, "protocol": None, "error": ""}
    if form.is_valid():
        protocol = form.cleaned_data["protocol"]
        context["protocol"] = protocol
        horizon = form.cleaned_data["horizon_months"] or engine.DEFAULT_HORIZON_MONTHS
        try:
            phases = engine.with_default_tolerance(
                protocol.phase_values(), request.clinic.default_tolerance_percent
            )
            context["windows"] = engine.expand(
                phases, form.cleaned_data["start_date"], horizon_months=horizon
            )
        except engine.ProtocolError as error:
            context["error"] = str(error)
    return render(request, "plans/plan_preview.html", context)


@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, access.plan_for(request.user, pk))


def _plan_page(request: HttpRequest, plan, override_form: OverrideForm | None = None):
    sessions = selectors.plan_sessions(plan)
    tz = request.clinic.tz
    for session in sessions:
        session.current = selectors.current_appointment(session)
        session.history = list(session.appointments.all())
        session.outside = ""
        if session.current is not None:
            session.outside = availability.window_label(session, session.current.starts_at, tz)
    safety_now = _safety(plan)
    roles = _roles(request)
    live = [s.current for s in sessions if s.current is not None and s.current.is_live]
    found = selectors.appointment_instructions(live, clinic=request.clinic)
    for session in sessions:
        session.instructions = []
        if session.current is not None and session.current.pk in found:
            session.instructions = _instruction_parts(
                found[session.current.pk], sees_clinical=roles["sees_clinical"]
            )
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "followed": engine.render_protocol(plan.phase_values()),
            "sessions": sessions,
            "today": request.clinic.today(),
            "areas": plan.areas.all(),
            "products": plan.products.all(),
            "preferences": _preferences(plan),
            "to_book": any(s.status == Session.Status.TO_BOOK and not s.optional for s in sessions),
            "outside": [
                s
                for s in sessions
                if s.outside and s.current.is_live and not s.current.outside_window
            ],
            "safety": safety_now,
            "needs_review": safety.NEEDS_REVIEW.format(clinician=plan.clinician),
            "override_form": override_form or OverrideForm(),
            "can_override": safety_now.blocked and access.may_sign(request.user, access.OVERRIDE),
            "can_screen": access.may_sign(request.user, access.ADD_SCREENING),
            "past_overrides": selectors.past_overrides(plan) if roles["sees_clinical"] else (),
            **roles,
        },
    )


@dataclass(frozen=True)
class Safety:
    """What the latest screening says about booking this plan (the rule is in `safety`)."""

    screened: bool
    findings: tuple[str, ...] = ()
    overridden: bool = False

    @property
    def blocked(self) -> bool:
        return not self.screened or (bool(self.findings) and not self.overridden)


def _safety(plan) -> Safety:
    screening = safety.latest_screening(plan.patient_id)
    if screening is None:
        return Safety(screened=False)
    findings = safety.contraindications(plan, screening)
    return Safety(True, tuple(findings), bool(findings) and plan.override_covers(screening))


def _preferences(plan) -> str:
    """ "Tuesday, Thursday · after 17:00", or "" when the patient can come any time."""
    parts = []
    if plan.preferred_weekdays:
        parts.append(", ".join(Weekday(day).label for day in sorted(plan.preferred_weekday_set)))
    if plan.preferred_after:
        parts.append(f"after {plan.preferred_after:%H:%M}")
    if plan.preferred_before:
        parts.append(f"finished by {plan.preferred_before:%H:%M}")
    if plan.other_clinicians_ok:
        parts.append("another clinician will do")
    return " · ".join(parts)


@require_POST
def plan_override(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician records why the plan may be booked despite the screening's findings."""
    plan = access.plan_for(request.user, pk, access.OVERRIDE)
    clinician = access.clinician_required(request.user)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.plan_record_override(
                plan=plan,
                clinician=clinician,
                reason=form.cleaned_data["contraindication_override"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Override recorded: the plan's sessions can be booked.")
            return redirect("plan_detail", pk=plan.pk)
    return _plan_page(request, plan, override_form=form)


def plan_book_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a time for every required session; booking them is all or nothing."""
    plan = access.plan_for(request.user, pk)
    access.require(request.user, access.CHANGE_SESSION)
    if request.method == "POST":
        try:
            with submissions.once(
                key=submissions.key_of(request.POST),
                user=request.user,
                plan=plan,
                action=submissions.Action.BOOK_ALL,
            ) as submission:
                placements = _placements(request, plan)
                if not placements:
                    raise ValidationError(booking.PROPOSAL_STALE)
                booked = booking.plan_book(
                    plan=plan,
                    placements=placements,
                    by=request.user,
                    confirm_outside=request.POST.get("confirm_outside") == "on",
                )
                outside = [a.session.number for a in booked if a.outside_window]
                text = f"{len(booked)} session{'s' if len(booked) != 1 else ''} booked"
                if outside:
                    text += f" ({', '.join(map(str, outside))} outside their windows, as confirmed)"
                submission.outcome = text + "."
        except submissions.AlreadyDone as already:
            messages.info(request, already.message)
            return redirect("plan_detail", pk=pk)
        except ValidationError as error:
            messages.error(request, _text(request, error))
            return redirect("plan_book_all", pk=pk)
        messages.success(request, submission.outcome)
        _name_the_rest(request, plan)
        return redirect("plan_detail", pk=pk)
    try:
        proposal = availability.plan_propose(plan=plan)
    except ValidationError as error:
        messages.error(request, _text(request, error))
        return redirect("plan_detail", pk=pk)
    return render(
        request,
        "plans/plan_book_all.html",
        {"plan": plan, "submission": submissions.new_key(), **_proposal_rows(request, proposal)},
    )


def plan_move_later(request: HttpRequest, pk: int) -> HttpResponse:
    """After a session held late or early: move the later appointments left outside their
    new windows, all by the same delay, all or nothing."""
    plan = access.plan_for(request.user, pk)
    access.require(request.user, access.CHANGE_SESSION)
    if request.method == "POST":
        try:
            with submissions.once(
                key=submissions.key_of(request.POST),
                user=request.user,
                plan=plan,
                action=submissions.Action.MOVE_LATER,
            ) as submission:
                moves = _moves(request, plan)
                if not moves:
                    raise ValidationError(booking.PROPOSAL_STALE)
                moved = booking.plan_move_all(
                    plan=plan,
                    moves=moves,
                    by=request.user,
                    confirm_outside=request.POST.get("confirm_outside") == "on",
                )
                numbers = ", ".join(str(n) for n in sorted(a.session.number for a in moved))
                submission.outcome = f"Sessions {numbers} moved."
        except submissions.AlreadyDone as already:
            messages.info(request, already.message)
            return redirect("plan_detail", pk=pk)
        except ValidationError as error:
            messages.error(request, _text(request, error))
            return redirect("plan_move_later", pk=pk)
        messages.success(request, submission.outcome)
        return redirect("plan_detail", pk=pk)
    try:
        cascade = availability.cascade_propose(plan=plan)
    except ValidationError as error:
        messages.error(request, _text(request, error))
        return redirect("plan_detail", pk=pk)
    clinicians, rooms = _resources_of([slot for _, slot in cascade.moves])
    tz = request.clinic.tz
    rows = [
        (
            appointment,
            slot,
            clinicians[slot.clinician_id],
            rooms[slot.room_id],
            availability.window_label(appointment.session, appointment.starts_at, tz),
            availability.window_label(appointment.session, slot.start, tz)
            or ("" if slot.in_window else "after its window, which has passed"),
        )
        for appointment, slot in cascade.moves
    ]
    return render(
        request,
        "plans/plan_move_later.html",
        {
            "plan": plan,
            "delay": cascade.delay_days,
            "days": abs(cascade.delay_days),
            "rows": rows,
            "failures": cascade.failures,
            "outside_count": sum(1 for row in rows if row[5]),
            "submission": submissions.new_key(),
        },
    )


def _moves(request: HttpRequest, plan) -> list | None:
    """The cascade the user confirmed, as posted back: one new time per appointment.

    None when a row does not parse (a stale or tampered page); whether the rows still fit
    the plan is `booking.plan_move_all`'s to check.
    """
    moves = []
    length = timedelta(minutes=plan.protocol.session_minutes)
    for pk, was, starts, clinician, room in zip(
        request.POST.getlist("appointment"),
        request.POST.getlist("was"),
        request.POST.getlist("starts_at"),
        request.POST.getlist("clinician"),
        request.POST.getlist("room"),
        strict=False,
    ):
        form = SlotForm({"starts_at": starts, "clinician": clinician, "room": room})
        before = SlotForm({"starts_at": was, "clinician": clinician, "room": room})
        if inputs.as_int(pk) is None or not form.is_valid() or not before.is_valid():
            return None
        start = form.cleaned_data["starts_at"]
        slot = Slot(start, start + length, *_resource_ids(form), in_window=True)
        moves.append((inputs.as_int(pk), before.cleaned_data["starts_at"], slot))
    return moves


def _proposal_rows(request: HttpRequest, proposal) -> dict:
    """Each placement with its clinician, room and how far outside its window it lies."""
    clinicians, rooms = _resources_of([slot for _, slot in proposal.placements])
    tz = request.clinic.tz
    rows = [
        (
            session,
            slot,
            clinicians[slot.clinician_id],
            rooms[slot.room_id],
            availability.window_label(session, slot.start, tz)
            or ("" if slot.in_window else "after its window, which has passed"),
        )
        for session, slot in proposal.placements
    ]
    return {
        "rows": rows,
        "failures": proposal.failures,
        "outside_count": sum(1 for row in rows if row[4]),
    }


def _name_the_rest(request: HttpRequest, plan) -> None:
    """After a whole-plan booking: the required sessions still to book, each with a link."""
    for session in plan.sessions.filter(status=Session.Status.TO_BOOK, optional=False):
        messages.warning(
            request,
            format_html(
                "Session {} (due {}) is not booked: no free time was found. "
                '<a href="{}">Book it…</a>',
                session.number,
                f"{session.due:%d %b %Y}",
                reverse("session_book", args=[session.pk]),
            ),
        )


def _placements(request: HttpRequest, plan) -> list | None:
    """The proposal the user confirmed, as posted back: one time per session.

    None when it does not fit the plan any more (a stale or tampered page).
    """
    sessions = {s.pk: s for s in plan.sessions.filter(status=Session.Status.TO_BOOK)}
    placements = []
    for pk, starts, clinician, room in zip(
        request.POST.getlist("session"),
        request.POST.getlist("starts_at"),
        request.POST.getlist("clinician"),
        request.POST.getlist("room"),
        strict=False,
    ):
        form = SlotForm({"starts_at": starts, "clinician": clinician, "room": room})
        session = sessions.get(inputs.as_int(pk))
        if session is None or not form.is_valid():
            return None
        start = form.cleaned_data["starts_at"]
        length = timedelta(minutes=plan.protocol.session_minutes)
        placements.append(
            (session, Slot(start, start + length, *_resource_ids(form), in_window=True))
        )
    return placements


# --- the recall board and the rebooking worklist ----------------------------------------


def _resource_ids(form: SlotForm) -> tuple[int, int]:
    return form.cleaned_data["clinician"].pk, form.cleaned_data["room"].pk


@require_GET
def recall_board(request: HttpRequest) -> HttpResponse:
    access.require(request.user, access.CHANGE_SESSION)
    today = request.clinic.today()
    state = request.GET.get("state", "")
    state = state if state in selectors.RECALL_STATES else ""
    protocol_id = inputs.as_int(request.GET.get("protocol"))
    clinician_id = inputs.as_int(request.GET.get("clinician"))
    board = selectors.recall_board(
        today,
        page=request.GET.get("page"),
        state=state,
        protocol_id=protocol_id,
        clinician_id=clinician_id,
    )
    filters = request.GET.copy()
    filters.pop("page", None)
    rows = cards.recall_rows(
        board.recalls,
        patient_url=reverse("patient_detail", args=[0]),
        plan_url=reverse("plan_detail", args=[0]),
        book_url=reverse("session_book", args=[0]),
        back=quote(request.get_full_path(), safe="/"),
        sees_clinical=access.sees_clinical(request.user),
    )
    return render(
        request,
        "plans/recall.html",
        {
            "board": board,
            "rows": rows,
            "today": today,
            "days": selectors.RECALL_DAYS,
            "states": selectors.RECALL_STATES,
            "state": state,
            "protocols": Protocol.objects.order_by("name").only("pk", "name"),
            "protocol_id": protocol_id,
            "clinicians": clinic_calendar(request.clinic).clinicians,
            "clinician_id": clinician_id,
            "filters": filters.urlencode(),
            "nav": "recall",
        },
    )


REBOOKING_PAGE = 20


@require_GET
def rebooking_worklist(request: HttpRequest) -> HttpResponse:
    """The appointments a closure or time off fell on, each with proposed new times.

    A page at a time (`REBOOKING_PAGE`): each row costs a slot search."""
    access.require(request.user, access.CHANGE_SESSION)
    page = Paginator(selectors.rebooking_worklist(), REBOOKING_PAGE).get_page(
        request.GET.get("page")
    )
    held = safety.review_needed([a.session.plan_id for a in page.object_list])
    rows = []
    for appointment in page.object_list:
        plan = appointment.session.plan
        if plan.pk in held:
            # It cannot be moved until a clinician reviews the plan: whom to ask instead.
            rows.append((appointment, (), safety.NEEDS_REVIEW.format(clinician=plan.clinician)))
            continue
        try:
            found = availability.slot_search(
                session=appointment.session, exclude_appointment=appointment.pk, limit=3
            )
        except ValidationError:
            found = None
        rows.append((appointment, found.slots if found else (), ""))
    return render(request, "plans/rebooking.html", {"rows": rows, "page": page, "nav": "rebooking"})
