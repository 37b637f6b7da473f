"""Patients and their medical screening.

A screening is dated: the latest one is what the clinician relies on when booking, and
the older ones stay as the patient's history. Screening data is medical: only clinicians
may read it (the `view_screening` permission, which receptionists do not hold).
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from clinic import audit, clock, inputs
from clinic.models import Clinician, ConsentFormVersion, Contraindication, Product
from patients import search

BIRTH_IN_FUTURE = "The date of birth cannot be in the future."
SCREENED_IN_FUTURE = "A screening cannot be dated in the future."
SCREENED_BEFORE_BIRTH = "A screening cannot be dated before the patient's birth."
PREGNANT_MALE = "Pregnancy can only be recorded for a female patient."

phone_validator = RegexValidator(
    r"^\+?[0-9 ().-]{6,20}$", "Enter a phone number of digits, spaces and an optional +."
)  # kept for the migrations that name it


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Other / not stated"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        FRENCH = "fr", "French"
        GERMAN = "de", "German"
        ITALIAN = "it", "Italian"
        SPANISH = "es", "Spanish"
        RUSSIAN = "ru", "Russian"

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(validators=[inputs.validate_in_calendar])
    sex = models.CharField(max_length=1, choices=Sex.choices)
    # Stored in E.164 ("+33630636610"), shown as "+33 6 30 63 66 10"; a number typed
    # without its country code is the clinic's country's (PHONENUMBER_DEFAULT_REGION).
    phone = PhoneNumberField(max_length=32)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    preferred_language = models.CharField(
        max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    notes = models.TextField(
        blank=True, help_text="Practical notes for the front desk (not medical)."
    )

    class ReminderChannel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    reminder_channel = models.CharField(
        "reminders by",
        max_length=5,
        choices=ReminderChannel.choices,
        default=ReminderChannel.EMAIL,
        db_default=ReminderChannel.EMAIL,
    )
    reminders_opt_out = models.BooleanField(
        "no reminders",
        default=False,
        db_default=False,
        help_text="The patient asked not to be reminded of their appointments.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The name as searched: without case or accents (`patients.search`), kept by `save`.
    search_name = models.CharField(max_length=161, editable=False, default="", db_default="")

    trail = audit.trail(excluded_fields=["search_name"])

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"

    def save(self, *args, **kwargs):
        self.search_name = search.name_key(self.first_name, self.last_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def born_after(self, moment: datetime) -> bool:
        """Whether `moment` (a time a session was held, say) comes before the patient's
        birth, on the clinic's calendar."""
        return timezone.localdate(moment) < self.date_of_birth

    def clean(self):
        if self.date_of_birth and self.date_of_birth > clock.today(timezone.get_current_timezone()):
            raise ValidationError({"date_of_birth": BIRTH_IN_FUTURE})


class ScreeningAllergy(models.Model):
    """A product a screening records the patient as allergic to.

    The product cannot be deleted while a screening names it (PROTECT), so deleting a
    product never silently drops a patient's allergy. The table is the one Django made
    for the many-to-many field before it had this model.
    """

    screening = models.ForeignKey("patients.Screening", on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)

    class Meta:
        db_table = "patients_screening_allergic_to"
        unique_together = [("screening", "product")]
        verbose_name = "allergy"
        verbose_name_plural = "allergies"

    def __str__(self):
        return f"Allergy to {self.product} in the {self.screening}"


class Screening(models.Model):
    """What the clinician found before treating: contraindications and medication.

    Each contraindication is its own typed field named by `Contraindication.Code`, so the
    database holds facts, not free text, and the booking check can read them directly.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField()
    screened_by = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="screenings")

    # Contraindications (field names are Contraindication.Code values).
    pregnant = models.BooleanField("pregnancy", default=False)
    infection = models.BooleanField("local or systemic infection", default=False)
    chronic_disease = models.BooleanField("serious chronic disease", default=False)
    uncontrolled_diabetes = models.BooleanField(default=False)
    epilepsy = models.BooleanField(default=False)
    anticoagulants = models.BooleanField("anticoagulant therapy (warfarin)", default=False)
    metal_implants = models.BooleanField(default=False)
    pacemaker = models.BooleanField(default=False)
    allergic_to = models.ManyToManyField(
        Product,
        through=ScreeningAllergy,
        blank=True,
        related_name="allergic_screenings",
        verbose_name="allergic to",
    )
    other_allergies = models.TextField(blank=True)

    # Medication and preparation that shape the instructions before a session.
    takes_aspirin_or_clopidogrel = models.BooleanField(
        default=False, help_text="Stop 2-3 days before each session."
    )
    uses_retinoid_creams = models.BooleanField(
        default=False, help_text="Stop 3-4 days before each session."
    )
    other_medication = models.TextField(blank=True)
    wants_anaesthetic_cream = models.BooleanField(default=False)

    clinical_notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=clock.now, editable=False)

    trail = audit.trail(m2m_fields=["allergic_to"])

    class Meta:
        # Several on one day are versions: the one recorded last counts (a correction).
        ordering = ["patient", "-screened_on", "-id"]
        get_latest_by = ["screened_on", "id"]
        indexes = [models.Index(fields=["patient", "screened_on"])]

    def __str__(self):
        return f"Screening of {self.patient} on {self.screened_on:%d %b %Y}"

    def clean(self):
        errors = {}
        if self.screened_on and self.screened_on > clock.today(timezone.get_current_timezone()):
            errors["screened_on"] = SCREENED_IN_FUTURE
        patient = getattr(self, "patient", None) if self.patient_id else None
        if patient and self.screened_on and self.screened_on < patient.date_of_birth:
            errors["screened_on"] = SCREENED_BEFORE_BIRTH
        if patient and self.pregnant and patient.sex == Patient.Sex.MALE:
            errors["pregnant"] = PREGNANT_MALE
        if errors:
            raise ValidationError(errors)

    def findings(self) -> set[str]:
        """The contraindication codes this screening records (allergies excluded)."""
        return {
            code
            for code in Contraindication.Code.values
            if code != Contraindication.Code.PRODUCT_ALLERGY and getattr(self, code)
        }


CONSENT_IN_FUTURE = "A consent cannot be dated in the future."
CONSENT_BEFORE_VERSION = "This version was published on {day:%d %b %Y}: it cannot be signed before."
CONSENT_NEEDS_SIGNATURE = (
    "This form keeps the patient's signature: draw it on the tablet or attach the scanned "
    "signed form."
)


class SignedConsent(models.Model):
    """A patient's consent to one version of a method's form: the day, the clinician who
    took it and, where the form asks for it, the signature drawn on the tablet or the
    scanned signed form. Medical: only clinicians see it, and its files are served by a
    view that checks the same."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    version = models.ForeignKey(
        ConsentFormVersion, on_delete=models.PROTECT, related_name="signed_consents"
    )
    signed_on = models.DateField()
    taken_by = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    signature = models.FileField(upload_to="consents/signatures/", blank=True)
    scan = models.FileField("scanned signed form", upload_to="consents/scans/", blank=True)
    recorded_at = models.DateTimeField(default=clock.now, editable=False)

    trail = audit.trail()

    class Meta:
        ordering = ["patient", "-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version"], name="consent_signed_once_per_version"
            )
        ]

    def __str__(self):
        return f"Consent of {self.patient} to {self.version}"

    def clean(self):
        errors = {}
        if self.signed_on and self.signed_on > clock.today(timezone.get_current_timezone()):
            errors["signed_on"] = CONSENT_IN_FUTURE
        version = self.version if self.version_id else None
        if version and self.signed_on and self.signed_on < version.published_on:
            errors["signed_on"] = CONSENT_BEFORE_VERSION.format(day=version.published_on)
        if version and version.form.asks_signature and not (self.signature or self.scan):
            errors["scan"] = CONSENT_NEEDS_SIGNATURE
        if errors:
            raise ValidationError(errors)
