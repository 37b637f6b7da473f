from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from simple_history.admin import SimpleHistoryAdmin

from clinic import access
from clinic.admin import LinkFieldsMixin
from clinic.admin_inputs import BoundedInputsAdmin
from clinic.models import ClinicSettings
from plans import engine, services
from plans.models import (
    PHASE_FIELDS,
    Appointment,
    CallOutcome,
    ProductUse,
    Protocol,
    ProtocolPhase,
    Reminder,
    Session,
    TreatmentPlan,
)

PREVIEW_MONTHS = 12


class PhaseFormSet(BaseInlineFormSet):
    """Checks the phases together: an open-ended phase may only come last."""

    def kept_forms(self) -> list:
        """The forms of the phases that stay, in their order."""
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return sorted(kept, key=lambda form: form.cleaned_data.get("position") or 0)

    @staticmethod
    def phase_of(form) -> engine.Phase:
        values = {name: form.cleaned_data.get(name) for name in PHASE_FIELDS}
        return ProtocolPhase(**values).as_phase()

    def phases(self) -> list[engine.Phase]:
        return [self.phase_of(form) for form in self.kept_forms()]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = self.kept_forms()
        for index, form in enumerate(kept):
            for field, message in engine.phase_problems(
                self.phase_of(form), is_last=index == len(kept) - 1
            ):
                form.add_error(field, message)


class ProtocolPhaseInline(BoundedInputsAdmin, admin.TabularInline):
    model = ProtocolPhase
    formset = PhaseFormSet
    extra = 0
    fields = ["position", *PHASE_FIELDS]
    ordering = ["position"]


class ProtocolAdminForm(forms.ModelForm):
    protocol_text = forms.CharField(
        label="Phases as text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=(
            "Paste a protocol such as “every 2 weeks for 1-2 months, then monthly for 3 "
            "months, then every 3-6 months” to replace the phases below."
        ),
    )

    class Meta:
        model = Protocol
        fields = ["name", "indication", "method", "session_minutes", "description", "is_active"]

    def clean_protocol_text(self):
        text = self.cleaned_data["protocol_text"].strip()
        if not text:
            return None
        try:
            return engine.parse_protocol(text)
        except engine.ProtocolError as error:
            raise ValidationError(str(error)) from error


@admin.register(Protocol)
class ProtocolAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    form = ProtocolAdminForm
    list_display = ["name", "indication", "method", "canonical_text", "version", "is_active"]
    list_filter = ["indication", "method", "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["version", "canonical_text", "preview"]
    inlines = [ProtocolPhaseInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "indication",
                    "method",
                    "session_minutes",
                    "description",
                    "is_active",
                    "version",
                ]
            },
        ),
        ("Phases", {"fields": ["canonical_text", "protocol_text"]}),
        ("Preview of the first year from today", {"fields": ["preview"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("method").prefetch_related("phases")

    @admin.display(description="protocol")
    def canonical_text(self, obj):
        return obj.text if obj.pk else "—"

    @admin.display(description="sessions")
    def preview(self, obj):
        if not obj.pk or not obj.phase_values():
            return "Save the protocol with its phases to see its sessions."
        clinic = ClinicSettings.load()
        today = clinic.today()
        phases = engine.with_default_tolerance(obj.phase_values(), clinic.default_tolerance_percent)
        try:
            windows = engine.expand(phases, today, horizon_months=PREVIEW_MONTHS)
        except engine.ProtocolError as error:
            return str(error)
        year_end = engine.add_interval(today, PREVIEW_MONTHS, engine.Unit.MONTH)
        return render_to_string(
            "plans/protocol_preview.html",
            {"windows": [w for w in windows if w.due <= year_end], "start": today},
        )

    def save_related(self, request, form, formsets, change):
        # Phases are written by the service, where versioning lives: the inline rows are
        # read (or replaced by the pasted text), never saved as they are.
        form.save_m2m()
        (phase_formset,) = formsets
        phase_formset.save(commit=False)  # for the change message only
        phases = form.cleaned_data.get("protocol_text") or phase_formset.phases()
        protocol = form.instance
        if not phases:
            protocol.phases.all().delete()  # a protocol may wait for its phases
            return
        version = protocol.version
        services.protocol_set_phases(protocol=protocol, phases=phases)
        if protocol.version != version:
            messages.info(
                request,
                f"Phases changed: new plans follow version {protocol.version}; "
                "existing plans keep the phases they were made with.",
            )


class ReadOnlyInline(BoundedInputsAdmin, admin.TabularInline):
    """Rows that only the services write (bookings, state changes): shown, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SessionInline(ReadOnlyInline):
    model = Session
    fields = ["number", "phase", "due", "earliest", "latest", "optional", "status"]


class TreatmentPlanAdminForm(forms.ModelForm):
    class Meta:
        model = TreatmentPlan
        fields = [
            "patient",
            "protocol",
            "start_date",
            "horizon_months",
            "areas",
            "products",
            "clinician",
            "status",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        plan = self.instance
        moved = any(
            name in self.changed_data for name in ("protocol", "start_date", "horizon_months")
        )
        if plan.pk and moved and not services.plan_can_change_dates(plan):
            raise ValidationError(services.PLAN_HAS_BOOKINGS)
        protocol = cleaned.get("protocol")
        if protocol and not protocol.phase_values():
            self.add_error("protocol", services.PROTOCOL_HAS_NO_PHASES)
        return cleaned


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(
    BoundedInputsAdmin, access.HidesClinicalFields, LinkFieldsMixin, SimpleHistoryAdmin
):
    form = TreatmentPlanAdminForm
    clinical_fields = ("products", "notes")
    list_display = ["patient", "protocol", "protocol_version", "start_date", "clinician", "status"]
    list_filter = ["status", "protocol", "clinician"]
    search_fields = ["patient__last_name", "patient__first_name", "protocol__name"]
    list_select_related = ["patient", "protocol", "clinician__user"]
    autocomplete_fields = ["patient"]
    link_fields = ("areas", "products")
    date_hierarchy = "start_date"
    readonly_fields = ["protocol_version", "followed_phases"]
    inlines = [SessionInline]

    @admin.display(description="phases followed")
    def followed_phases(self, obj):
        if not obj.pk:
            return "—"
        return f"{engine.render_protocol(obj.phase_values())} (version {obj.protocol_version})"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        moved = {"protocol", "start_date", "horizon_months"} & set(form.changed_data)
        if not change or moved:
            services.plan_write_sessions(
                plan=form.instance, copy_protocol=not change or "protocol" in moved
            )

    def has_delete_permission(self, request, obj=None):
        return False


class ChangesNothing:
    """An admin that shows and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ChangesNothing, BoundedInputsAdmin, SimpleHistoryAdmin):
    """Sessions and appointments change only through the services, which check hours,
    closures, clashes, spacing, safety and the order of a course: the schedule and the
    plan pages do that. Admin shows them, with their history, and changes nothing."""


class AppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ["starts_at", "ends_at", "clinician", "room", "status", "reason", "outside_window"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    inlines = [AppointmentInline]
    list_display = ["plan", "number", "due", "earliest", "latest", "optional", "status"]
    list_filter = ["status", "optional"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["plan__protocol", "plan__patient"]
    date_hierarchy = "due"


class ProductUseInline(ReadOnlyInline):
    model = ProductUse
    fields = ["batch", "quantity_ml"]
    show_change_link = False


@admin.register(Appointment)
class AppointmentAdmin(access.HidesClinicalFields, ReadOnlyAdmin):
    inlines = [ProductUseInline]
    clinical_fields = ("notes", "complications")
    list_display = [
        "session",
        "starts_at",
        "clinician",
        "room",
        "status",
        "needs_rebooking",
        "outside_window",
    ]
    list_filter = ["status", "needs_rebooking", "outside_window", "clinician", "room"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["session__plan__protocol", "patient", "clinician__user", "room"]
    date_hierarchy = "starts_at"


@admin.register(Reminder)
class ReminderAdmin(ChangesNothing, BoundedInputsAdmin, admin.ModelAdmin):
    """The reminders sent, as the workers recorded them."""

    list_display = ["sent_at", "appointment", "starts_at", "channel", "sent_to"]
    list_filter = ["channel", "kind"]
    search_fields = ["appointment__patient__last_name", "appointment__patient__first_name"]
    list_select_related = ["appointment__patient", "appointment__session__plan__protocol"]
    date_hierarchy = "sent_at"


@admin.register(CallOutcome)
class CallOutcomeAdmin(ChangesNothing, BoundedInputsAdmin, admin.ModelAdmin):
    """What came of reception's calls, as ticked on the call list: who, when, about what."""

    list_display = ["at", "patient", "outcome", "by", "key"]
    list_filter = ["outcome", "day"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "by"]
    date_hierarchy = "at"
