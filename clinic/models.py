"""The clinic's resources: its settings and hours, closures, clinicians, rooms, areas,
methods, products and their batches.

These are what admins edit in Django admin; the scheduler reads them to know when and
where a session can take place and what may be injected.
"""

import secrets
import uuid
import zoneinfo
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from clinic import audit, clock, inputs
from clinic.rows import by_pk
from plans import instructions


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


HOURS_END_BEFORE_START = "Closing time must be after opening time."
RANGE_END_BEFORE_START = "The last day must be on or after the first day."
TIME_OFF_END_BEFORE_START = "Time off must end after it starts."
UNKNOWN_TIME_ZONE = "Unknown time zone; use a name such as Europe/Paris."


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(UNKNOWN_TIME_ZONE, code="time_zone") from None


FEED_KEY_SALT = "clinic.CalendarFeed"


def _new_salt() -> str:
    return secrets.token_hex(32)


WHEN_TO_CALL = (
    "Call us if the redness or swelling lasts more than 5 days, if a bruise grows, if the "
    "skin becomes hot, painful or weeps, if you have a fever, or if you see a rash, hives "
    "or swelling of the lips or eyes (an allergic reaction: call at once, or the emergency "
    "number when we are closed)."
)


class ClinicSettings(models.Model):
    """The clinic itself: one row, created on first use."""

    name = models.CharField(max_length=120, default="Mesotherapy Clinic")
    time_zone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    default_session_minutes = models.PositiveSmallIntegerField(
        default=45, help_text="Used when a protocol does not say how long a session takes."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=10, help_text="Kept free after every session to clean and prepare the room."
    )
    slot_grid_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Sessions start on this grid (15 means :00, :15, :30, :45)."
    )
    anaesthetic_cream_minutes = models.PositiveSmallIntegerField(
        default=30,
        help_text="How much earlier a patient who wants anaesthetic cream is asked to arrive.",
    )
    default_tolerance_percent = models.PositiveSmallIntegerField(
        "default tolerance (%)",
        default=15,
        help_text=(
            "How far a session may move either side of a fixed interval whose protocol gives "
            'no "±N days", as a share of the interval: at least 1 day, at most 14; 0 for '
            "none. An interval range is its own window."
        ),
    )
    idle_sign_out_minutes = models.PositiveSmallIntegerField(
        "sign out after (minutes without activity)",
        default=30,
        help_text=(
            "Front-desk computers are shared: a session ends after this many minutes without "
            "a page being opened, and always 12 hours after signing in."
        ),
    )
    two_factor_for_clinicians = models.BooleanField(
        "clinicians must use two-factor sign-in",
        default=False,
        help_text=(
            "Admins always must. Each user sets up an authenticator app from their "
            "Two-factor page and then gives its code after the password."
        ),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        "send reminders (days before)",
        default=2,
        db_default=2,
        validators=[MaxValueValidator(14)],
        help_text="Patients are reminded of each appointment this many days before it, from "
        "9:00; 0 reminds them on the morning of the day.",
    )
    # The clinic's contact, printed on the patient's take-home plan.
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    when_to_call = models.TextField(
        "when to call us",
        blank=True,
        default=WHEN_TO_CALL,
        help_text="Printed on the take-home plan, beside the clinic's phone number.",
    )
    # Replaced by every change to the hours, closures, staff or rooms: see plans.calendar.
    calendar_token = models.UUIDField(default=uuid.uuid4, editable=False)
    # Replaced by every change to what decides whether a plan needs a clinician's review
    # before booking (screenings, plans, contraindications): see plans.safety.
    safety_token = models.UUIDField(default=uuid.uuid4, editable=False)

    trail = audit.trail(excluded_fields=["calendar_token", "safety_token"])

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="clinic_settings_single_row"),
            models.CheckConstraint(
                condition=Q(default_session_minutes__gte=5),
                name="clinic_settings_session_at_least_5_min",
            ),
            models.CheckConstraint(
                condition=Q(slot_grid_minutes__gte=5) & Q(slot_grid_minutes__lte=120),
                name="clinic_settings_grid_5_to_120_min",
            ),
            models.CheckConstraint(
                condition=Q(default_tolerance_percent__gte=0)
                & Q(default_tolerance_percent__lte=100),
                name="clinic_settings_tolerance_0_to_100_percent",
            ),
            models.CheckConstraint(
                condition=Q(idle_sign_out_minutes__gte=1) & Q(idle_sign_out_minutes__lte=720),
                name="clinic_settings_idle_sign_out_1_to_720_min",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        # Never write back a token read earlier: a closure or screening added meanwhile
        # would be lost to the processes' cached calendars and reviews.
        self.calendar_token = self.safety_token = uuid.uuid4()
        super().save(*args, **kwargs)

    def clean(self):
        if self.default_session_minutes is not None and self.default_session_minutes < 5:
            raise ValidationError(
                {"default_session_minutes": "A session lasts at least 5 minutes."}
            )
        if self.slot_grid_minutes is not None and not 5 <= self.slot_grid_minutes <= 120:
            raise ValidationError({"slot_grid_minutes": "Use a grid between 5 and 120 minutes."})
        percent = self.default_tolerance_percent
        if percent is not None and not 0 <= percent <= 100:
            raise ValidationError(
                {"default_tolerance_percent": "Use a tolerance between 0 and 100 %."}
            )
        idle = self.idle_sign_out_minutes
        if idle is not None and not 1 <= idle <= 720:
            raise ValidationError(
                {"idle_sign_out_minutes": "Use between 1 minute and 720 minutes (12 hours)."}
            )

    @classmethod
    def load(cls) -> "ClinicSettings":
        """The clinic's settings (one query, on every request); created with defaults when
        missing."""
        obj = by_pk(cls, 1)
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> date:
        return clock.today(self.tz)


class OpeningHours(models.Model):
    """One open span of a weekday; two rows on a day make a lunch break."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    trail = audit.trail()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": HOURS_END_BEFORE_START})


class Closure(models.Model):
    """Days the whole clinic is closed: a public holiday, the summer break."""

    name = models.CharField(max_length=120)
    first_day = models.DateField(validators=[inputs.validate_in_calendar])
    last_day = models.DateField(validators=[inputs.validate_in_calendar])

    trail = audit.trail()

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="closure_order"),
        ]

    def __str__(self):
        if self.first_day == self.last_day:
            return f"{self.name} ({self.first_day:%d %b %Y})"
        return f"{self.name} ({self.first_day:%d %b %Y} – {self.last_day:%d %b %Y})"

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": RANGE_END_BEFORE_START})


class Equipment(models.Model):
    """A device a room may hold, such as the electrodermoporation device."""

    name = models.CharField(max_length=120, unique=True)

    trail = audit.trail()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "equipment"

    def __str__(self):
        return self.name


class Method(models.Model):
    """How the product gets into the skin: needle injection, electrodermoporation..."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    required_equipment = models.ManyToManyField(
        Equipment, blank=True, help_text="A room must hold all of these to host the session."
    )
    needle_free = models.BooleanField(default=False)

    trail = audit.trail(m2m_fields=["required_equipment"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Room(models.Model):
    name = models.CharField(max_length=120, unique=True)
    equipment = models.ManyToManyField(Equipment, blank=True)
    is_active = models.BooleanField(default=True)

    trail = audit.trail(m2m_fields=["equipment"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Clinician(models.Model):
    """An aesthetic doctor or dermatologist who screens patients and treats them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician"
    )
    title = models.CharField(max_length=40, blank=True, default="Dr")
    specialty = models.CharField(max_length=120, blank=True)
    methods = models.ManyToManyField(Method, blank=True, related_name="clinicians")
    is_active = models.BooleanField(default=True)

    trail = audit.trail(m2m_fields=["methods"])

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        name = self.user.get_full_name() or self.user.get_username()
        return f"{self.title} {name}".strip()


class WorkingHours(models.Model):
    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    trail = audit.trail()

    class Meta:
        ordering = ["clinician", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="working_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self):
        return (
            f"{self.clinician}: {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"
        )

    def clean(self):
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": HOURS_END_BEFORE_START})


class TimeOff(models.Model):
    """A clinician away: holiday, training, a morning at the hospital."""

    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField(validators=[inputs.validate_in_calendar])
    ends_at = models.DateTimeField(validators=[inputs.validate_in_calendar])
    reason = models.CharField(max_length=200, blank=True)

    trail = audit.trail()

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_order"),
        ]

    def __str__(self):
        return (
            f"{self.clinician} off {self.starts_at:%d %b %Y %H:%M} – {self.ends_at:%d %b %Y %H:%M}"
        )

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": TIME_OFF_END_BEFORE_START})


class TreatmentArea(models.Model):
    name = models.CharField(max_length=80, unique=True)

    trail = audit.trail()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Contraindication(models.Model):
    """A finding of the screening that forbids booking without a recorded override.

    `code` names the screening field that records it, so admins can rename and explain a
    contraindication, or limit it to some methods, without a code change.
    """

    class Code(models.TextChoices):
        PREGNANCY = "pregnant", "Pregnancy"
        INFECTION = "infection", "Local or systemic infection"
        CHRONIC_DISEASE = "chronic_disease", "Serious chronic disease"
        UNCONTROLLED_DIABETES = "uncontrolled_diabetes", "Uncontrolled diabetes"
        EPILEPSY = "epilepsy", "Epilepsy"
        ANTICOAGULANTS = "anticoagulants", "Anticoagulant therapy (warfarin)"
        PRODUCT_ALLERGY = "product_allergy", "Allergy to a product in the plan"
        METAL_IMPLANTS = "metal_implants", "Metal implants"
        PACEMAKER = "pacemaker", "Pacemaker"

    code = models.CharField(max_length=40, choices=Code.choices, unique=True)
    name = models.CharField(max_length=120)
    guidance = models.TextField(blank=True)
    methods = models.ManyToManyField(
        Method,
        blank=True,
        help_text="Leave empty when it applies to every method.",
        related_name="contraindications",
    )

    trail = audit.trail(m2m_fields=["methods"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    """An injectable or topical product; each use is traced to a batch."""

    class Category(models.TextChoices):
        HYALURONIC_ACID = "hyaluronic_acid", "Non-cross-linked hyaluronic acid"
        VITAMINS = "vitamins", "Multivitamins and minerals"
        AMINO_ACIDS = "amino_acids", "Amino acids and coenzymes"
        ANTIOXIDANTS = "antioxidants", "Antioxidants and plant extracts"
        HOMEOPATHIC = "homeopathic", "Homeopathic preparation"
        LIPOLYTIC = "lipolytic", "Lipolytic agent"
        HAIR = "hair", "Hair actives"
        PEEL = "peel", "Peel"
        ANAESTHETIC = "anaesthetic", "Anaesthetic cream"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=40, choices=Category.choices)
    composition = models.TextField(blank=True)
    contraindications = models.ManyToManyField(
        Contraindication,
        blank=True,
        related_name="products",
        help_text="Findings that forbid this product beyond the general ones.",
    )
    is_active = models.BooleanField(default=True)

    trail = audit.trail(m2m_fields=["contraindications"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class BatchQuerySet(models.QuerySet):
    def usable_on(self, day: date):
        return self.filter(expiry_date__gte=day)


class ProductBatch(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="batches")
    lot_number = models.CharField(max_length=60)
    expiry_date = models.DateField()
    received_on = models.DateField(null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    trail = audit.trail()

    class Meta:
        ordering = ["product", "expiry_date"]
        verbose_name_plural = "product batches"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "lot_number"], name="batch_lot_unique_per_product"
            ),
            models.CheckConstraint(
                condition=Q(received_on__isnull=True) | Q(expiry_date__gt=F("received_on")),
                name="batch_expires_after_receipt",
            ),
        ]

    def __str__(self):
        return f"{self.product} lot {self.lot_number} (exp. {self.expiry_date:%m/%Y})"

    def clean(self):
        if self.received_on and self.expiry_date and self.expiry_date <= self.received_on:
            raise ValidationError({"expiry_date": "A batch must expire after it was received."})

    def is_expired(self, on: date) -> bool:
        return self.expiry_date < on


def _patient_languages():
    # The patient's languages are the patients app's; it imports this module, so they are
    # read when the choices are asked for.
    from patients.models import Patient

    return Patient.Language.choices


INSTRUCTION_OFFSET_ORDER = "The shorter offset cannot be longer than the longer one."
INSTRUCTION_OFFSET_MISSING = "Give the offset: how many days or minutes."
INSTRUCTION_OFFSET_NOT_DATED = "A rule without a unit has no date: leave the offsets empty."
INSTRUCTION_ARRIVAL_BEFORE = (
    "The arrival time comes before the session, and its minutes are the clinic's "
    "anaesthetic-cream setting: leave the offsets empty."
)
INSTRUCTION_FORBIDS_AFTER = "Only a rule after the session can forbid a later treatment."


class InstructionRule(models.Model):
    """An instruction the patient is given before or after each session they are
    concerned by, as the start of a sentence that `plans.instructions` completes with its
    dates. Loaded with the defaults of the clinic's domain; admins edit them."""

    class Trigger(models.TextChoices):
        ASPIRIN_OR_CLOPIDOGREL = (
            instructions.Trigger.ASPIRIN_OR_CLOPIDOGREL,
            ("Screening: takes aspirin or clopidogrel"),
        )
        RETINOID_CREAMS = instructions.Trigger.RETINOID_CREAMS, "Screening: uses retinoid creams"
        ANAESTHETIC_CREAM = (
            instructions.Trigger.ANAESTHETIC_CREAM,
            ("Screening: wants anaesthetic cream"),
        )
        MALE = instructions.Trigger.MALE, "The patient is a man"
        EVERY_SESSION = instructions.Trigger.EVERY_SESSION, "Every session"

    class When(models.TextChoices):
        BEFORE = instructions.When.BEFORE, "Before the session"
        AFTER = instructions.When.AFTER, "After the session"

    class Unit(models.TextChoices):
        NONE = "", "No date"
        DAY = instructions.OffsetUnit.DAY, "Days"
        MINUTE = instructions.OffsetUnit.MINUTE, "Minutes"
        ARRIVAL = instructions.OffsetUnit.ARRIVAL, "The arrival time for the anaesthetic cream"

    key = models.SlugField(
        max_length=60, unique=True, help_text="A short name that stays the same: stop-aspirin."
    )
    position = models.PositiveSmallIntegerField(default=10, help_text="Order on the page.")
    trigger = models.CharField(max_length=40, choices=Trigger.choices)
    when = models.CharField(max_length=6, choices=When.choices)
    offset_unit = models.CharField(
        "counted in", max_length=8, choices=Unit.choices, blank=True, default=""
    )
    offset_min = models.PositiveSmallIntegerField(
        "offset (from)", null=True, blank=True, help_text='"2" of "2-3 days".'
    )
    offset_max = models.PositiveSmallIntegerField(
        "offset (to)",
        null=True,
        blank=True,
        help_text='"3" of "2-3 days": the date counts this end, so a pause is long enough.',
    )
    text = models.CharField(
        max_length=300,
        help_text=(
            "The start of the sentence, in English. The dates are added: before, days: "
            '"… from Tuesday 3 March (3 days before your session)"; 0 days: "… on Friday 6 '
            'March (the day of your session)"; minutes or arrival: "… at 09:30 (30 minutes '
            'before your session)"; after: "… until Friday 13 March (7 days after your '
            'session)"; no date: the text alone.'
        ),
    )
    methods = models.ManyToManyField(
        Method,
        blank=True,
        related_name="instruction_rules",
        help_text="The sessions of these methods; leave empty for every method.",
    )
    forbids_methods = models.ManyToManyField(
        Method,
        blank=True,
        related_name="+",
        verbose_name="forbids",
        help_text=(
            "Treatments of another method not to book while this after-session rule runs "
            "(laser after mesotherapy): booking one asks for a reason."
        ),
    )
    is_active = models.BooleanField(default=True)

    trail = audit.trail(m2m_fields=["methods", "forbids_methods"])

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(offset_min__isnull=True)
                | Q(offset_max__isnull=True)
                | Q(offset_min__lte=F("offset_max")),
                name="instruction_offset_order",
            ),
            models.CheckConstraint(
                condition=Q(offset_unit__in=["", "arrival"], offset_min__isnull=True)
                | Q(offset_unit__in=["day", "minute"], offset_max__isnull=False),
                name="instruction_offset_shape",
            ),
            models.CheckConstraint(
                condition=~Q(offset_unit="arrival") | Q(when="before"),
                name="instruction_arrival_before",
            ),
            models.CheckConstraint(
                condition=Q(offset_max__isnull=True) | Q(offset_max__lte=1440),
                name="instruction_offset_at_most_1440",
            ),
        ]

    def __str__(self):
        return self.key

    def clean(self):
        errors = {}
        low, high = self.offset_min, self.offset_max
        if self.offset_unit in (self.Unit.DAY, self.Unit.MINUTE):
            if high is None:
                errors["offset_max"] = INSTRUCTION_OFFSET_MISSING
            elif low is not None and low > high:
                errors["offset_min"] = INSTRUCTION_OFFSET_ORDER
            elif high > 1440:
                errors["offset_max"] = "Use at most 1440."
        elif self.offset_unit == self.Unit.ARRIVAL:
            if low is not None or high is not None or self.when != self.When.BEFORE:
                errors["offset_unit"] = INSTRUCTION_ARRIVAL_BEFORE
        elif low is not None or high is not None:
            errors["offset_unit"] = INSTRUCTION_OFFSET_NOT_DATED
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> instructions.Rule:
        """The pure rule (uses prefetched `translations`, `forbids_methods`, `methods`)."""
        return instructions.Rule(
            key=self.key,
            trigger=self.trigger,
            when=self.when,
            text=self.text,
            unit=self.offset_unit or None,
            offset_min=self.offset_min,
            offset_max=self.offset_max,
            translations={t.language: t.text for t in self.translations.all()},
            forbids=frozenset(method.pk for method in self.forbids_methods.all()),
            methods=frozenset(method.pk for method in self.methods.all()),
        )


class InstructionTranslation(models.Model):
    """A rule's text in a patient's language (the dates around it are written by
    `plans.instructions` for the languages it knows: English and French)."""

    rule = models.ForeignKey(InstructionRule, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=5, choices=_patient_languages)
    text = models.CharField(max_length=300)

    trail = audit.trail()

    class Meta:
        ordering = ["rule", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "language"], name="instruction_translation_once_per_language"
            ),
        ]

    def __str__(self):
        return f"{self.rule} ({self.language})"


class CalendarFeed(models.Model):
    """A clinician's private calendar feed: a secret address their calendar app reads,
    without signing in, for the next months of their appointments.

    The secret (`token`) is an HMAC of the clinician and this row's random salt, keyed by
    the site's SECRET_KEY: nothing secret is stored, and `regenerate` replaces the salt,
    so the old address stops working at once. Not in the audit trail: its only field is
    the salt, which must not be kept once replaced.
    """

    clinician = models.OneToOneField(
        Clinician, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    salt = models.CharField(max_length=64, default=_new_salt, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    def __str__(self):
        return f"Calendar feed of {self.clinician}"

    @property
    def token(self) -> str:
        return salted_hmac(
            FEED_KEY_SALT, f"{self.clinician_id}:{self.salt}", algorithm="sha256"
        ).hexdigest()

    def matches(self, token: str) -> bool:
        return constant_time_compare(self.token, token)

    def regenerate(self) -> None:
        """A new secret: the old address stops working."""
        self.salt = _new_salt()
        self.created_at = clock.now()
        self.save(update_fields=["salt", "created_at"])


def _today_here() -> date:
    # The day in the zone of the request (the clinic's, activated by its middleware).
    return clock.today(timezone.get_current_timezone())


CONSENT_VERSION_SIGNED = (
    "Patients have signed this version: publish a new version instead of changing it."
)


class ConsentForm(models.Model):
    """A method's consent form. Its text is versioned (`ConsentFormVersion`): the highest
    number is the one in force, and booking a plan of the method needs the patient's
    signature of that version, as it needs a screening. Publishing a new version asks
    every patient to sign again before their next booking."""

    method = models.OneToOneField(Method, on_delete=models.PROTECT, related_name="consent_form")
    title = models.CharField(max_length=160)
    is_active = models.BooleanField(
        default=True, help_text="While active, booking the method needs the form signed."
    )
    asks_signature = models.BooleanField(
        default=False,
        help_text="Each consent keeps the patient's signature: drawn on the tablet or a "
        "scanned signed form.",
    )

    trail = audit.trail()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def current(self) -> "ConsentFormVersion | None":
        return self.versions.order_by("-number").first()


class ConsentFormVersion(models.Model):
    """One wording of a consent form, as patients sign it: fixed once signed."""

    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(help_text="What the patient reads and signs.")
    published_on = models.DateField(default=_today_here)

    trail = audit.trail()

    class Meta:
        ordering = ["form", "number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="consent_version_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="consent_version_from_one"),
        ]

    def __str__(self):
        return f"{self.form}, version {self.number}"

    def clean(self):
        if self.pk and self.signed_consents.exists():
            saved = ConsentFormVersion.objects.get(pk=self.pk)
            if (saved.text, saved.number, saved.form_id) != (self.text, self.number, self.form_id):
                raise ValidationError(CONSENT_VERSION_SIGNED)
