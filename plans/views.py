"""The schedule, the session actions, new plans and their booking, the recall board.

Every view reads as: fetch with an access helper, validate with a form, call a service,
redirect with a message. Actions on a schedule card answer htmx with the card alone, so
the day stays where the receptionist left it; without JavaScript they redirect back.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from clinic import access
from clinic.forms import add_service_errors
from clinic.models import Clinician, Room, Weekday
from plans import booking, engine, selectors, services
from plans.calendar import clinic_calendar
from plans.forms import CancelForm, DoneForm, OverrideForm, PlanForm, PreviewForm, SlotForm
from plans.models import Session
from plans.slots import Slot

CARD = "plans/schedule_day.html#booking"


# --- helpers ----------------------------------------------------------------------------


def _messages_of(error: ValidationError) -> list[str]:
    return list(error.messages)


def _day_of(session: Session) -> date:
    return timezone.localdate(session.starts_at) if session.starts_at else timezone.localdate()


def _back(request: HttpRequest, session: Session):
    """Where an action returns: the page it came from, else the session's day."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("schedule_day", day=_day_of(session))


def _card(request: HttpRequest, session: Session, error: str = "") -> HttpResponse:
    card = selectors.schedule_card(
        session.pk,
        timezone.get_current_timezone(),
        cream_minutes=request.clinic.anaesthetic_cream_minutes,
        by_room="by=room" in request.POST.get("next", ""),
        standing=clinic_calendar(request.clinic),
        error=error,
    )
    return render(request, CARD, {"b": card})


def _card_context(request: HttpRequest, here: str) -> dict:
    """What every schedule card shares, worked out once rather than 160 times."""
    token = get_token(request)
    return {
        "here": here,
        "here_quoted": quote(here),
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        ),
    }


def _roles(request: HttpRequest) -> dict:
    return {
        "can_record": access.records_treatment(request.user),
        "sees_clinical": access.sees_clinical(request.user),
    }


def _act(request: HttpRequest, session: Session, action, done_message: str) -> HttpResponse:
    """Run a session service and answer the card (htmx) or go back with a message."""
    try:
        action()
    except ValidationError as error:
        text = " ".join(_messages_of(error))
        if request.htmx:
            return _card(request, session, error=text)
        messages.error(request, text)
        return _back(request, session)
    if request.htmx:
        return _card(request, session)
    messages.success(request, done_message)
    return _back(request, session)


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
        try:
            return redirect("schedule_day", day=date.fromisoformat(picked))
        except ValueError:
            messages.error(request, "That date could not be read.")
    by = "room" if request.GET.get("by") == "room" else "clinician"
    schedule = selectors.day_schedule(
        day,
        timezone.get_current_timezone(),
        by=by,
        cream_minutes=request.clinic.anaesthetic_cream_minutes,
        standing=clinic_calendar(request.clinic),
    )
    # The cards print no role-dependent markup: their action menus come from
    # _schedule_actions when opened.
    return render(
        request,
        "plans/schedule_day.html",
        {
            "schedule": schedule,
            "by_room": by == "room",
            "nav": "day",
            "today": request.clinic.today(),
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _schedule_actions(request: HttpRequest, day: date, pk: str) -> HttpResponse:
    """A card's action menu, which htmx loads when the menu opens (`?actions=<pk>`).

    One form on demand rather than 160 forms and CSRF tokens in every page of the day.
    `next` is the page the menu was opened on (htmx says which), so an action without
    htmx returns there and the card answered to htmx keeps the page's columns.
    """
    if not pk.isdigit():
        return HttpResponse("Which session?", status=400)
    session = access.session_for(request.user, int(pk), access.VIEW_SCHEDULE)
    here = request.htmx.current_url_abs_path if request.htmx else None
    here = here or reverse("schedule_day", args=[day])
    return render(
        request,
        "plans/_schedule_actions.html",
        {
            "session": session,
            "here": here,
            "can_record": access.records_treatment(request.user),
            "can_arrive": session.status == Session.Status.BOOKED,
            "can_move": session.status == Session.Status.BOOKED,
            "live": session.status in selectors.LIVE,
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
            **_card_context(request, request.get_full_path()),
            "nav": "week",
            "clinicians": standing.clinicians,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "today": request.clinic.today(),
            **_roles(request),
        },
    )


# --- one session ------------------------------------------------------------------------


@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk, access.VIEW_SCHEDULE)
    roles = _roles(request)
    done = session.status == Session.Status.DONE
    return render(
        request,
        "plans/session_detail.html",
        {
            "session": session,
            "cancel_form": CancelForm(),
            "areas_treated": session.areas_treated.all() if done else (),
            "uses": (
                session.product_uses.select_related("batch__product")
                if done and roles["sees_clinical"]
                else ()
            ),
            **roles,
        },
    )


@require_POST
def session_arrived(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk)
    return _act(
        request,
        session,
        lambda: services.session_mark_arrived(session=session),
        f"{session.patient.full_name} has arrived.",
    )


@require_POST
def session_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk)
    return _act(
        request,
        session,
        lambda: services.session_mark_no_show(session=session),
        f"{session.patient.full_name} marked as a no-show; the plan was re-planned.",
    )


@require_POST
def session_act(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule card's one form: its buttons say which action to take."""
    action = {
        "arrived": session_arrived,
        "no_show": session_no_show,
        "cancel": session_cancel,
    }.get(request.POST.get("action", ""))
    if action is None:
        access.session_for(request.user, pk)
        messages.error(request, "Choose an action.")
        return redirect("session_detail", pk=pk)
    return action(request, pk)


def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _act(
            request,
            session,
            lambda: services.session_cancel(session=session, reason=form.cleaned_data["reason"]),
            f"Session of {session.patient.full_name} cancelled.",
        )
    if request.method == "POST" and request.htmx:
        return _card(request, session, error=" ".join(form.errors.get("reason", [])))
    back = request.POST.get("next") or request.GET.get("next", "")
    return render(
        request, "plans/session_cancel.html", {"session": session, "form": form, "next": back}
    )


def session_done(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for(request.user, pk, access.RECORD_TREATMENT)
    held_at = timezone.localtime(session.starts_at or timezone.now())
    form = DoneForm(
        request.POST or None,
        initial={"held_at": held_at},
        plan=session.plan,
        day=held_at.date(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_mark_done(session=session, **form.cleaned_data)
        except ValidationError as error:
            # The transaction was rolled back; the row in hand may not have been.
            session.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Session {session.number} of {session.patient.full_name} recorded as done; "
                "the rest of the plan was re-planned.",
            )
            return redirect("plan_detail", pk=session.plan_id)
    return render(request, "plans/session_done.html", {"session": session, "form": form})


def _slot_page(request: HttpRequest, session: Session, *, move: bool) -> HttpResponse:
    found = booking.slot_search(session=session)
    clinicians = {
        c.pk: c
        for c in Clinician.objects.filter(
            pk__in={s.clinician_id for s in found.slots}
        ).select_related("user")
    }
    rooms = {r.pk: r for r in Room.objects.filter(pk__in={s.room_id for s in found.slots})}
    choices = [
        (
            slot,
            SlotForm(initial=_slot_initial(slot)),
            clinicians[slot.clinician_id],
            rooms[slot.room_id],
        )
        for slot in found.slots
    ]
    return render(
        request,
        "plans/session_slots.html",
        {
            "session": session,
            "search": found,
            "choices": choices,
            "move": move,
            "next": request.GET.get("next", ""),
        },
    )


def _slot_initial(slot) -> dict:
    return {
        "starts_at": slot.start.isoformat(),
        "clinician": slot.clinician_id,
        "room": slot.room_id,
    }


def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    return _choose_slot(request, pk, move=False)


def session_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _choose_slot(request, pk, move=True)


def _choose_slot(request: HttpRequest, pk: int, *, move: bool) -> HttpResponse:
    """GET: the free slots to choose from. POST: book the session in the chosen one, or
    move it there; a refusal (a lost race included) comes back to fresh suggestions."""
    session = access.session_for(request.user, pk)
    if request.method != "POST":
        return _slot_page(request, session, move=move)
    form = SlotForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        if move:
            moved = booking.session_reschedule(session=session, **form.cleaned_data)
        else:
            booked = booking.session_book(session=session, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
        return redirect("session_reschedule" if move else "session_book", pk=pk)
    if not move:
        messages.success(
            request,
            f"Session {booked.number} of {session.patient.full_name} booked for "
            f"{timezone.localtime(booked.starts_at):%a %d %b %Y at %H:%M}.",
        )
        return _back(request, booked)
    messages.success(
        request,
        f"Session moved to {timezone.localtime(moved.session.starts_at):%a %d %b %Y at %H:%M}.",
    )
    for conflict in moved.conflicts:
        messages.warning(
            request,
            f"Session {conflict.number} on {timezone.localtime(conflict.starts_at):%d %b} is "
            "now too close to this one: reschedule it too.",
        )
    return _back(request, moved.session)


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
            context["windows"] = engine.expand(
                protocol.phase_values(), form.cleaned_data["start_date"], horizon_months=horizon
            )
        except engine.ProtocolError as error:
            context["error"] = str(error)
    return render(request, "plans/plan_preview.html", context)


@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, access.plan_for(request.user, pk))


def _plan_page(request: HttpRequest, plan, override_form: OverrideForm | None = None):
    sessions = plan.sessions.select_related("clinician__user", "room").order_by("number")
    safety = _safety(plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "followed": engine.render_protocol(plan.phase_values()),
            "sessions": sessions,
            "areas": plan.areas.all(),
            "products": plan.products.all(),
            "preferences": _preferences(plan),
            "to_book": any(s.status == Session.Status.PLANNED and not s.optional for s in sessions),
            "safety": safety,
            "override_form": override_form or OverrideForm(),
            "can_override": safety.blocked and access.may_sign(request.user, access.OVERRIDE),
            "can_screen": access.may_sign(request.user, access.ADD_SCREENING),
            **_roles(request),
        },
    )


@dataclass(frozen=True)
class Safety:
    """What the latest screening says about booking this plan (the rule is in `booking`)."""

    screened: bool
    findings: tuple[str, ...] = ()
    overridden: bool = False

    @property
    def blocked(self) -> bool:
        return not self.screened or (bool(self.findings) and not self.overridden)


def _safety(plan) -> Safety:
    try:
        screening = booking.latest_screening(plan)
    except ValidationError:
        return Safety(screened=False)
    findings = booking.contraindications(plan, screening)
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
    """Propose a slot for every required session; booking them is all or nothing."""
    plan = access.plan_for(request.user, pk)
    access.require(request.user, access.CHANGE_SESSION)
    if request.method == "POST":
        placements = _placements(request, plan)
        if not placements:
            messages.error(request, booking.PROPOSAL_STALE)
            return redirect("plan_book_all", pk=pk)
        try:
            booked = booking.plan_book(plan=plan, placements=placements)
        except ValidationError as error:
            messages.error(request, " ".join(_messages_of(error)))
            return redirect("plan_book_all", pk=pk)
        messages.success(request, f"{len(booked)} sessions booked.")
        return redirect("plan_detail", pk=pk)
    try:
        proposal = booking.plan_propose(plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
        return redirect("plan_detail", pk=pk)
    return render(request, "plans/plan_book_all.html", {"plan": plan, "proposal": proposal})


def _placements(request: HttpRequest, plan) -> list:
    """The proposal the user confirmed, as posted back: one slot per session.

    None when it does not fit the plan any more (a stale or tampered page).
    """
    sessions = {s.pk: s for s in plan.sessions.filter(status=Session.Status.PLANNED)}
    placements = []
    for pk, starts, clinician, room in zip(
        request.POST.getlist("session"),
        request.POST.getlist("starts_at"),
        request.POST.getlist("clinician"),
        request.POST.getlist("room"),
        strict=False,
    ):
        form = SlotForm({"starts_at": starts, "clinician": clinician, "room": room})
        session = sessions.get(int(pk)) if pk.isdigit() else None
        if session is None or not form.is_valid():
            return None
        start = form.cleaned_data["starts_at"]
        length = timedelta(minutes=plan.protocol.session_minutes)
        placements.append(
            (session, Slot(start, start + length, int(clinician), int(room), in_window=True))
        )
    return placements


# --- the recall board -------------------------------------------------------------------


@require_GET
def recall_board(request: HttpRequest) -> HttpResponse:
    access.require(request.user, access.CHANGE_SESSION)
    today = request.clinic.today()
    return render(
        request,
        "plans/recall.html",
        {
            "groups": selectors.recall_board(today),
            "today": today,
            "days": selectors.RECALL_DAYS,
            "nav": "recall",
        },
    )
