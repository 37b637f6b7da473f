"""Patient forms: the contact record reception keeps, and the search box."""

import re
from datetime import datetime

from django import forms
from django.db.models import Q

from patients.models import Patient

DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y")


class PatientForm(forms.ModelForm):
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
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "")) - 2:
            # Phones are stored as typed ("+33 6 12 ..."): match the digits in order.
            return patients.filter(phone__iregex=r"\D*".join(digits))
        condition = Q()
        for word in text.split():
            condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        return patients.filter(condition)
