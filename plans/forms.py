"""Forms of the plan and session pages; rules stay in the models and services."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError

from clinic.models import Clinician, Product, Room, TreatmentArea
from plans import engine
from plans.models import Protocol

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
BAD_SLOT = "This slot could not be read; please choose one from the list again."


class ProtocolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.method})"


class PlanForm(forms.Form):
    protocol = ProtocolChoiceField(
        queryset=Protocol.objects.filter(is_active=True).select_related("method"),
        help_text="Its phases and every session it plans are shown below.",
    )
    start_date = forms.DateField(widget=DATE_INPUT, help_text="The day of the first session.")
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.filter(is_active=True).select_related("user")
    )
    areas = forms.ModelMultipleChoiceField(
        queryset=TreatmentArea.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    horizon_months = forms.IntegerField(
        label="Plan maintenance for (months)",
        min_value=1,
        max_value=120,
        initial=engine.DEFAULT_HORIZON_MONTHS,
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PreviewForm(forms.Form):
    """What the preview needs; an incomplete form just shows nothing yet."""

    protocol = forms.ModelChoiceField(queryset=Protocol.objects.prefetch_related("phases"))
    start_date = forms.DateField()
    horizon_months = forms.IntegerField(
        min_value=1, max_value=120, required=False, initial=engine.DEFAULT_HORIZON_MONTHS
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling", max_length=200, help_text="e.g. “patient ill, will call”"
    )


class DoneForm(forms.Form):
    held_at = forms.DateTimeField(label="Held at", widget=DATETIME_INPUT)
    ends_at = forms.DateTimeField(
        label="Ended at",
        widget=DATETIME_INPUT,
        required=False,
        help_text="Leave empty for the protocol's session length.",
    )

    def clean(self):
        data = super().clean()
        held_at, ends_at = data.get("held_at"), data.get("ends_at")
        if held_at and ends_at and ends_at <= held_at:
            self.add_error("ends_at", "The session must end after it starts.")
        return data


class SlotForm(forms.Form):
    """One suggested slot, posted back by its button."""

    starts_at = forms.CharField(widget=forms.HiddenInput)
    clinician = forms.ModelChoiceField(queryset=Clinician.objects.all(), widget=forms.HiddenInput)
    room = forms.ModelChoiceField(queryset=Room.objects.all(), widget=forms.HiddenInput)

    def clean_starts_at(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.cleaned_data["starts_at"])
        except ValueError:
            raise ValidationError(BAD_SLOT) from None
        if value.tzinfo is None:
            raise ValidationError(BAD_SLOT)
        return value
