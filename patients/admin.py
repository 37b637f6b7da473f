from django.contrib import admin

from clinic.admin_inputs import BoundedInputsAdmin
from patients.models import Patient, Screening


class ScreeningInline(BoundedInputsAdmin, admin.StackedInline):
    model = Screening
    extra = 0
    filter_horizontal = ["allergic_to"]
    autocomplete_fields = ["screened_by"]


@admin.register(Patient)
class PatientAdmin(BoundedInputsAdmin, admin.ModelAdmin):
    list_display = ["__str__", "date_of_birth", "sex", "phone", "email", "preferred_language"]
    list_filter = ["sex", "preferred_language"]
    search_fields = ["last_name", "first_name", "phone", "email"]
    date_hierarchy = "created_at"
    inlines = [ScreeningInline]


@admin.register(Screening)
class ScreeningAdmin(BoundedInputsAdmin, admin.ModelAdmin):
    list_display = ["patient", "screened_on", "screened_by", "pregnant", "anticoagulants"]
    list_filter = ["screened_on", "pregnant", "anticoagulants", "pacemaker", "screened_by"]
    search_fields = ["patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "screened_by__user"]
    autocomplete_fields = ["patient", "screened_by"]
    filter_horizontal = ["allergic_to"]
    date_hierarchy = "screened_on"
