from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from clinic.access import VIEW_CLINICAL
from clinic.admin_inputs import BoundedInputsAdmin, bound_admin_of
from clinic.models import (
    INSTRUCTION_FORBIDS_AFTER,
    Clinician,
    ClinicSettings,
    Closure,
    ConsentForm,
    ConsentFormVersion,
    Contraindication,
    Equipment,
    InstructionRule,
    InstructionTranslation,
    Method,
    OpeningHours,
    Product,
    ProductBatch,
    Room,
    TimeOff,
    TreatmentArea,
    WorkingHours,
)

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic administration"
admin.site.index_title = "Protocols, resources and records"


class LinkFieldsMixin:
    """Edits many-to-many fields whose links have a model of their own (to PROTECT what
    they name) with the two-box selector, as plain ones are: Django's admin leaves such
    fields out of its forms, for links that would need more than their two ends."""

    link_fields: tuple[str, ...] = ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name not in self.link_fields:
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs.setdefault("widget", widgets.FilteredSelectMultiple(db_field.verbose_name, False))
        queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is not None:
            kwargs.setdefault("queryset", queryset)
        return db_field.formfield(**kwargs)


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "time_zone",
        "default_session_minutes",
        "buffer_minutes",
        "slot_grid_minutes",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClinicSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpeningHours)
class OpeningHoursAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["weekday", "opens", "closes"]
    list_filter = ["weekday"]
    search_fields = ["weekday"]


@admin.register(Closure)
class ClosureAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "first_day", "last_day"]
    list_filter = ["first_day"]
    search_fields = ["name"]
    date_hierarchy = "first_day"


@admin.register(Equipment)
class EquipmentAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Method)
class MethodAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "needle_free"]
    list_filter = ["needle_free", "required_equipment"]
    search_fields = ["name", "description"]
    filter_horizontal = ["required_equipment"]


@admin.register(Room)
class RoomAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active", "equipment"]
    search_fields = ["name"]
    filter_horizontal = ["equipment"]


class WorkingHoursInline(BoundedInputsAdmin, admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(BoundedInputsAdmin, admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Clinician)
class ClinicianAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "specialty", "is_active"]
    list_filter = ["is_active", "methods"]
    search_fields = ["user__first_name", "user__last_name", "user__username", "specialty"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["methods"]
    inlines = [WorkingHoursInline, TimeOffInline]


@admin.register(WorkingHours)
class WorkingHoursAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["clinician", "weekday", "starts", "ends"]
    list_filter = ["weekday", "clinician"]
    search_fields = ["clinician__user__last_name"]
    list_select_related = ["clinician__user"]


@admin.register(TimeOff)
class TimeOffAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["clinician", "starts_at", "ends_at", "reason"]
    list_filter = ["clinician"]
    search_fields = ["clinician__user__last_name", "reason"]
    list_select_related = ["clinician__user"]
    date_hierarchy = "starts_at"


@admin.register(TreatmentArea)
class TreatmentAreaAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Contraindication)
class ContraindicationAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "code"]
    list_filter = ["methods"]
    search_fields = ["name", "guidance"]
    filter_horizontal = ["methods"]


class InstructionTranslationInline(BoundedInputsAdmin, admin.TabularInline):
    model = InstructionTranslation
    extra = 1


class InstructionRuleForm(forms.ModelForm):
    class Meta:
        model = InstructionRule
        fields = [
            "key",
            "position",
            "is_active",
            "trigger",
            "text",
            "when",
            "offset_unit",
            "offset_min",
            "offset_max",
            "methods",
            "forbids_methods",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("forbids_methods") and cleaned.get("when") != InstructionRule.When.AFTER:
            self.add_error("forbids_methods", INSTRUCTION_FORBIDS_AFTER)
        return cleaned


@admin.register(InstructionRule)
class InstructionRuleAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    form = InstructionRuleForm
    list_display = ["key", "text", "trigger", "when", "offset_min", "offset_max", "offset_unit"]
    list_display_links = ["key", "text"]
    list_filter = ["when", "trigger", "is_active"]
    search_fields = ["key", "text", "translations__text"]
    filter_horizontal = ["methods", "forbids_methods"]
    inlines = [InstructionTranslationInline]
    fieldsets = [
        (None, {"fields": ["key", "position", "is_active", "trigger", "text"]}),
        ("When", {"fields": ["when", "offset_unit", "offset_min", "offset_max"]}),
        ("Treatments", {"fields": ["methods", "forbids_methods"]}),
    ]


class ProductBatchInline(BoundedInputsAdmin, admin.TabularInline):
    model = ProductBatch
    extra = 0


@admin.register(Product)
class ProductAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "composition"]
    filter_horizontal = ["contraindications"]
    inlines = [ProductBatchInline]


@admin.register(ProductBatch)
class ProductBatchAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    """A batch links to the report of the patients who received it (for a recall), for
    whoever may read treatment records."""

    list_display = ["product", "lot_number", "expiry_date", "received_on", "recipients"]
    list_filter = ["product__category", "expiry_date"]
    search_fields = ["lot_number", "product__name"]
    list_select_related = ["product"]
    date_hierarchy = "expiry_date"
    readonly_fields = ["recipients"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_list_display(self, request):
        if request.user.has_perm(VIEW_CLINICAL):
            return self.list_display
        return [name for name in self.list_display if name != "recipients"]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "recipients"]
        if obj is not None and request.user.has_perm(VIEW_CLINICAL):
            fields.append("recipients")
        return fields

    @admin.display(description="who received it")
    def recipients(self, batch):
        return format_html(
            '<a href="{}">Patients who received this lot</a>',
            reverse("lot_report_batch", args=[batch.pk]),
        )


class ConsentFormVersionInline(BoundedInputsAdmin, admin.StackedInline):
    model = ConsentFormVersion
    extra = 0
    fields = ["number", "published_on", "text"]


@admin.register(ConsentForm)
class ConsentFormAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    """A new wording is a new version (the highest number is in force): patients who
    signed an older one sign again before their next booking. A signed version cannot
    be changed or deleted."""

    list_display = ["title", "method", "is_active", "asks_signature", "version_in_force"]
    list_filter = ["is_active"]
    list_select_related = ["method"]
    inlines = [ConsentFormVersionInline]

    @admin.display(description="version in force")
    def version_in_force(self, form):
        version = form.current()
        return version.number if version else "none: booking is not held"


# The apps before this one register these; their filters and forms get the same bounds.
for model in (AccessAttempt, AccessLog, AccessFailureLog, TOTPDevice, get_user_model(), Group):
    bound_admin_of(admin.site, model)
