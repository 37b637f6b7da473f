"""Patient forms: the contact record reception keeps, the search box, the screening, the
consent."""

import base64
import binascii
from datetime import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.forms.models import model_to_dict

from clinic import inputs
from clinic.models import Product
from patients import search
from patients.models import Patient, Screening

DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y")


DUPLICATE = (
    "{count} already registered with the same {what}: open them below to avoid a second "
    "record, or save again to register this patient anyway."
)


class PatientForm(forms.ModelForm):
    """A patient's contact record. A new patient with the name and date of birth, or the
    phone number, of one already registered is held back once, with links to them
    (`duplicates`); saving again (`confirm_duplicate`, naming them) registers it anyway."""

    duplicates: list[Patient] = []

    def confirm_value(self) -> str:
        return ",".join(str(patient.pk) for patient in self.duplicates)

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None:
            return data
        first, last, born = (data.get(k) for k in ("first_name", "last_name", "date_of_birth"))
        phone = data.get("phone")
        name = search.name_key(first, last) if first and last and born else None
        same = Q(pk__in=[])
        if name:
            same |= Q(search_name=name, date_of_birth=born)
        if phone:
            same |= Q(phone=phone)
        found = list(Patient.objects.filter(same)[:5])
        # Saving again confirms these very patients: a change that finds others asks anew.
        confirmed = set(self.data.get("confirm_duplicate", "").split(","))
        self.duplicates = [] if {str(p.pk) for p in found} <= confirmed else found
        if self.duplicates:
            what = []
            if any(p.search_name == name and p.date_of_birth == born for p in found):
                what.append("name and date of birth")
            if any(phone and p.phone == phone for p in found):
                what.append("phone number")
            count = len(self.duplicates)
            raise forms.ValidationError(
                DUPLICATE.format(
                    count="A patient is" if count == 1 else f"{count} patients are",
                    what=" or the same ".join(what),
                ),
                code="duplicate",
            )
        return data

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "address",
            "preferred_language",
            "reminder_channel",
            "reminders_opt_out",
            "notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


def _as_date(text: str):
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Name, phone or date of birth",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )

    def results(self):
        """Patients matching the words typed: a date of birth, a phone number or a name."""
        patients = Patient.objects.all()
        text = self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
        if not text:
            return patients.none()
        born = _as_date(text)
        if born is not None:
            return patients.filter(date_of_birth=born)
        phone = search.phone_digits(text, settings.PHONENUMBER_DEFAULT_REGION)
        if phone is not None:
            if phone.startswith("+"):
                return patients.filter(phone=phone)  # a whole number, in any format
            return patients.filter(phone__contains=phone)
        condition = Q()
        for word in search.fold(text).split():
            condition &= Q(search_name__contains=word)
        return patients.filter(condition)


CONTRAINDICATIONS = (
    "pregnant",
    "infection",
    "chronic_disease",
    "uncontrolled_diabetes",
    "epilepsy",
    "anticoagulants",
    "metal_implants",
    "pacemaker",
)
PREPARATION = (
    "takes_aspirin_or_clopidogrel",
    "uses_retinoid_creams",
    "other_medication",
    "wants_anaesthetic_cream",
)


class ScreeningForm(forms.ModelForm):
    """A screening as the clinician fills it in; `patients.services.screening_create` saves it."""

    class Meta:
        model = Screening
        fields = [
            "screened_on",
            *CONTRAINDICATIONS,
            "allergic_to",
            "other_allergies",
            *PREPARATION,
            "clinical_notes",
        ]
        widgets = {
            "screened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "allergic_to": forms.CheckboxSelectMultiple,
            "other_allergies": forms.Textarea(attrs={"rows": 2}),
            "other_medication": forms.Textarea(attrs={"rows": 2}),
            "clinical_notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"allergic_to": inputs.IdMultipleChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allergic_to"].queryset = Product.objects.filter(is_active=True)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "screened_on",
            Fieldset(
                "Contraindications",
                Div(*CONTRAINDICATIONS, css_class="check-columns"),
                css_class="form-section",
            ),
            Fieldset("Allergies", "allergic_to", "other_allergies", css_class="form-section"),
            Fieldset("Medication and preparation", *PREPARATION, css_class="form-section"),
            "clinical_notes",
        )

    @classmethod
    def answers_of(cls, screening: Screening | None) -> dict:
        """The initial answers of a new version of `screening` (none without one)."""
        if screening is None:
            return {}
        return {
            **model_to_dict(screening, fields=[*CONTRAINDICATIONS, *PREPARATION]),
            "other_allergies": screening.other_allergies,
            "clinical_notes": screening.clinical_notes,
            "allergic_to": [product.pk for product in screening.allergic_to.all()],
        }

    def findings(self) -> dict:
        """The cleaned fields the service takes as `**findings`."""
        skip = {"screened_on", "allergic_to"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


PNG_DATA_URL = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIGNATURE_UNREADABLE = "The drawn signature could not be read: clear it and sign again."
SCAN_TOO_LARGE = "The scanned form is larger than {megabytes} MB: scan it at a lower resolution."
SCAN_TYPES = (".pdf", ".png", ".jpg", ".jpeg")
SCAN_WRONG_TYPE = "Attach the scanned form as a PDF, PNG or JPEG file."
NOT_AGREED = "Tick this once the patient has read the form and agreed to it."


class ConsentSignForm(forms.Form):
    """The consent a clinician takes: the day, the patient's agreement and, where the form
    keeps it, the signature drawn on the tablet (`signature`, a PNG the page's script
    writes) or the scanned signed form. `patients.services.consent_sign` saves it."""

    signed_on = forms.DateField(
        label="Signed on",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    agreed = forms.BooleanField(
        label="The patient has read this version of the form and agrees to it",
        error_messages={"required": NOT_AGREED},
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    scan = forms.FileField(
        label="Scanned signed form",
        required=False,
        help_text="PDF, PNG or JPEG, instead of a signature drawn on the tablet.",
    )

    def clean_signature(self) -> ContentFile | None:
        drawn = self.cleaned_data["signature"]
        if not drawn:
            return None
        if not drawn.startswith(PNG_DATA_URL) or len(drawn) > 2_000_000:
            raise forms.ValidationError(SIGNATURE_UNREADABLE)
        try:
            png = base64.b64decode(drawn.removeprefix(PNG_DATA_URL), validate=True)
        except binascii.Error:
            raise forms.ValidationError(SIGNATURE_UNREADABLE) from None
        if not png.startswith(PNG_MAGIC):
            raise forms.ValidationError(SIGNATURE_UNREADABLE)
        return ContentFile(png, name="signature.png")

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        if not scan:
            return None
        limit = settings.CLINIC_UPLOAD_LIMIT
        if scan.size > limit:
            raise forms.ValidationError(SCAN_TOO_LARGE.format(megabytes=limit // 1024 // 1024))
        if not scan.name.lower().endswith(SCAN_TYPES):
            raise forms.ValidationError(SCAN_WRONG_TYPE)
        return scan
