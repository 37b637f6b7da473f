from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import LinkFieldsMixin
from clinic.admin_inputs import BoundedInputsAdmin
from patients.models import Patient, Screening


class ScreeningInline(BoundedInputsAdmin, LinkFieldsMixin, admin.StackedInline):
    """A patient's screenings: a correction is a new screening, never an edit."""

    model = Screening
    extra = 0
    can_delete = False
    link_fields = ("allergic_to",)
    autocomplete_fields = ["screened_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(BoundedInputsAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "date_of_birth", "sex", "phone", "email", "preferred_language"]
    list_filter = ["sex", "preferred_language"]
    search_fields = ["last_name", "first_name", "phone", "email"]
    date_hierarchy = "created_at"
    inlines = [ScreeningInline]


@admin.register(Screening)
class ScreeningAdmin(BoundedInputsAdmin, LinkFieldsMixin, SimpleHistoryAdmin):
    """Screenings are medical records: added as new versions, never changed or deleted."""

    list_display = ["patient", "screened_on", "screened_by", "pregnant", "anticoagulants"]
    list_filter = ["screened_on", "pregnant", "anticoagulants", "pacemaker", "screened_by"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "screened_by__user"]
    autocomplete_fields = ["patient", "screened_by"]
    link_fields = ("allergic_to",)
    date_hierarchy = "screened_on"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
