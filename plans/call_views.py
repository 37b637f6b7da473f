"""Reception's call list: the day's lines (`plans.calls`), and the tick that records what
came of a call. Reception and clinicians alike: every sentence is the patient's own."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic import access, inputs
from patients.models import Patient
from plans import calls, engine, selectors, services

STALE = "The list changed since the page was opened: here it is again, call from it."
NOT_TODAY = "Only today's list is ticked: this one is for reading."


@require_GET
def call_list(request: HttpRequest, day: date | None = None) -> HttpResponse:
    access.require(request.user, access.CHANGE_SESSION)
    today = request.clinic.today()
    day = day or today
    chosen = request.GET.get("day")
    if chosen is not None:
        picked = inputs.as_day(chosen)
        if picked is None:
            messages.error(request, "Give the day as a date, for example 2026-03-14.")
        else:
            return redirect("call_list_day", day=picked)
    lines = selectors.call_list(day, request.clinic)
    return render(
        request,
        "plans/call_list.html",
        {
            "day": day,
            "today": today,
            "previous": engine.add_interval(day, -1, engine.Unit.DAY),
            "next": engine.add_interval(day, 1, engine.Unit.DAY),
            "open": [line for line in lines if not line.done],
            "done": [line for line in lines if line.done],
            "may_tick": day == today,
            "outcomes": [(value, calls.LABELS[value]) for value in calls.Outcome],
            "nav": "calls",
        },
    )


@require_POST
def call_tick(request: HttpRequest, day: date) -> HttpResponse:
    access.require(request.user, access.CHANGE_SESSION)
    back = reverse("call_list_day", args=[day])
    if day != request.clinic.today():
        messages.error(request, NOT_TODAY)
        return redirect(back)
    patient = get_object_or_404(Patient, pk=inputs.as_int(request.POST.get("patient")) or 0)
    lines = selectors.call_list(day, request.clinic)
    line = next((line for line in lines if line.person.patient_id == patient.pk), None)
    if line is None or line.done or set(request.POST.getlist("key")) != set(line.keys):
        messages.warning(request, STALE)
        return redirect(back)
    outcome = request.POST.get("outcome", "")
    try:
        services.call_record(
            patient=patient, keys=line.keys, outcome=outcome, day=day, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{back}#call-{patient.pk}")
    messages.success(request, f"{calls.LABELS[calls.Outcome(outcome)]}: {patient}.")
    return redirect(f"{back}#call-{patient.pk}")
