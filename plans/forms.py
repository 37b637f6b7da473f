"""Forms of the plan and session pages; rules stay in the models and services."""

from datetime import date, datetime

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from clinic import inputs
from clinic.models import Clinician, Product, ProductBatch, Room, TreatmentArea, Weekday
from plans import engine, slots
from plans.models import BEFORE_BIRTH, Protocol, TreatmentPlan

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# What every patient may feel after a session (domain.md): not a complication to record.
EXPECTED_AFTER_EFFECTS = (
    "Expected, not to record: redness and small swelling for 1-2 days, a burning feeling "
    "for 15-20 minutes, slight inflammation for 1-5 days, small bruises fading in 12-36 "
    "hours. Record anything beyond these, such as an allergic reaction."
)
BAD_SLOT = "This slot could not be read; please choose one from the list again."


class ProtocolChoiceField(inputs.IdChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.method})"


class PlanForm(forms.Form):
    protocol = ProtocolChoiceField(
        queryset=Protocol.objects.filter(is_active=True).select_related("method"),
        help_text="Its phases and every session it plans are shown below.",
    )
    start_date = forms.DateField(
        widget=DATE_INPUT,
        help_text="The day of the first session.",
        validators=[inputs.validate_in_calendar],
    )
    clinician = inputs.IdChoiceField(
        queryset=Clinician.objects.filter(is_active=True).select_related("user")
    )
    areas = inputs.IdMultipleChoiceField(
        queryset=TreatmentArea.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    products = inputs.IdMultipleChoiceField(
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
    preferred_weekdays = forms.MultipleChoiceField(
        label="Days the patient can come",
        choices=[(str(day.value), day.label) for day in Weekday],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: any day.",
    )
    preferred_after = forms.TimeField(
        label="Not before", widget=TIME_INPUT, required=False, help_text="e.g. 17:00"
    )
    preferred_before = forms.TimeField(label="Finished by", widget=TIME_INPUT, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "protocol",
            "start_date",
            "clinician",
            "areas",
            "products",
            "horizon_months",
            Fieldset(
                "Patient preferences",
                InlineCheckboxes("preferred_weekdays"),
                Row(Column("preferred_after"), Column("preferred_before")),
                css_class="form-section",
            ),
            "notes",
        )

    def clean_preferred_weekdays(self) -> str:
        """Ticked days as the plan stores them: weekday digits, Monday = "0"."""
        return "".join(sorted(self.cleaned_data["preferred_weekdays"]))


class PreviewForm(forms.Form):
    """What the preview needs; an incomplete form just shows nothing yet."""

    protocol = inputs.IdChoiceField(queryset=Protocol.objects.prefetch_related("phases"))
    start_date = forms.DateField(validators=[inputs.validate_in_calendar])
    horizon_months = forms.IntegerField(
        min_value=1, max_value=120, required=False, initial=engine.DEFAULT_HORIZON_MONTHS
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling", max_length=200, help_text="e.g. “patient ill, will call”"
    )
    by_clinic = forms.BooleanField(
        label="Cancelled by the clinic", required=False, help_text="Otherwise by the patient."
    )


class BatchChoiceField(inputs.IdMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.product} — lot {obj.lot_number} (exp. {obj.expiry_date:%m/%Y})"


class DoneForm(forms.Form):
    """What was done in a session: when, where on the body, which batches, what was seen.

    `day` is the day the session is expected to have been held: only batches still
    usable then are offered (the service refuses an expired one whatever is posted).
    """

    held_at = forms.DateTimeField(
        label="Held at", widget=DATETIME_INPUT, validators=[inputs.validate_in_calendar]
    )
    ends_at = forms.DateTimeField(
        label="Ended at",
        widget=DATETIME_INPUT,
        required=False,
        help_text="Leave empty for the protocol's session length.",
        validators=[inputs.validate_in_calendar],
    )
    areas = inputs.IdMultipleChoiceField(
        label="Areas treated",
        queryset=TreatmentArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    batches = BatchChoiceField(
        label="Products used (batch)",
        queryset=ProductBatch.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only batches not expired on the day are listed.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    complications = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=EXPECTED_AFTER_EFFECTS,
    )

    def __init__(self, *args, plan: TreatmentPlan, day: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        usable = ProductBatch.objects.usable_on(day).select_related("product")
        self.fields["batches"].queryset = usable
        if not self.is_bound:
            self.initial.setdefault("areas", [area.pk for area in plan.areas.all()])
            self.initial.setdefault("batches", self._soonest_batches(plan, usable))

    @staticmethod
    def _soonest_batches(plan: TreatmentPlan, usable) -> list[int]:
        """For each of the plan's products, its usable batch that expires first."""
        soonest: dict[int, int] = {}
        products = plan.products.values_list("pk", flat=True)
        for batch in usable.filter(product__in=products).order_by("expiry_date", "pk"):
            soonest.setdefault(batch.product_id, batch.pk)
        return list(soonest.values())

    def clean(self):
        data = super().clean()
        held_at, ends_at = data.get("held_at"), data.get("ends_at")
        if held_at and ends_at and ends_at <= held_at:
            self.add_error("ends_at", "The session must end after it starts.")
        patient = self.plan.patient
        if held_at and patient.born_after(held_at):
            self.add_error("held_at", BEFORE_BIRTH.format(born=patient.date_of_birth))
        return data


class SlotForm(forms.Form):
    """One suggested slot, posted back by its button."""

    starts_at = forms.CharField(widget=forms.HiddenInput)
    clinician = inputs.IdChoiceField(queryset=Clinician.objects.all(), widget=forms.HiddenInput)
    room = inputs.IdChoiceField(queryset=Room.objects.all(), widget=forms.HiddenInput)
    confirm_outside = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_starts_at(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.cleaned_data["starts_at"])
        except ValueError:
            raise ValidationError(BAD_SLOT) from None
        if value.tzinfo is None or not inputs.in_calendar(value):
            raise ValidationError(BAD_SLOT)
        return value


class OverrideForm(forms.Form):
    """Named as the plan's field so the service's error lands next to it."""

    # Not required here: the service says what a missing reason means.
    contraindication_override = forms.CharField(
        label="Clinical reason to treat despite the findings",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class TypedTimeForm(forms.Form):
    """A date and time typed by reception, checked like a suggestion: hours, closures,
    clashes, equipment, spacing; outside the window only once confirmed."""

    day = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[inputs.validate_in_calendar],
    )
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}))
    clinician = inputs.IdChoiceField(queryset=Clinician.objects.none())
    room = inputs.IdChoiceField(queryset=Room.objects.none())
    confirm_outside = forms.BooleanField(
        label="Book it even if it is outside the session's window", required=False
    )
    # Hidden until a booking goes against an earlier session's instructions
    # (`ask_follow_up_reason`); then kept visible while it holds a reason.
    follow_up_reason = forms.CharField(
        label="Reason to book it despite the instructions",
        max_length=300,
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, plan: TreatmentPlan, tz, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data.get("follow_up_reason"):
            self.fields["follow_up_reason"].widget = forms.TextInput()
        self.tz = tz
        method = plan.protocol.method
        self.fields["clinician"].queryset = Clinician.objects.filter(
            is_active=True, methods=method
        ).select_related("user")
        self.fields["room"].queryset = Room.objects.filter(is_active=True)
        self.initial.setdefault("clinician", plan.clinician_id)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = slots.local_moment(data["day"], data["time"], self.tz)
        return data

    def ask_follow_up_reason(self, message: str) -> None:
        """Show the reason field, with why it is needed."""
        self.fields["follow_up_reason"].widget = forms.TextInput()
        self.add_error("follow_up_reason", message)


class LotSearchForm(forms.Form):
    """The lot number a product recall names, or part of it."""

    lot = forms.CharField(
        label="Lot number",
        min_length=2,
        max_length=60,
        strip=True,
        error_messages={
            "min_length": "Give at least 2 characters of the lot number.",
            "required": "Give the lot number the recall names.",
        },
    )
