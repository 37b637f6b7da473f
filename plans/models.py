"""Protocols, treatment plans and their sessions.

Phases are stored as typed fields and turned into `engine.Phase` values; the protocol
text is only a way to type and show them (`engine.parse_protocol`/`render_protocol`).
A plan copies its protocol's phases when it is created, so editing a protocol later
changes new plans only.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from clinic import audit, inputs
from clinic.models import Clinician, Method, Product, ProductBatch, Room, TreatmentArea
from patients.models import Patient
from plans import calls, engine

SESSION_KEPT = "A {status} session is part of the patient's record and cannot be deleted."
WINDOW_ORDER = "The session's window must hold its due date (earliest ≤ due ≤ latest)."
BOOKING_ENDS_BEFORE_START = "A booking must end after it starts."
BEFORE_BIRTH = "This is before the patient was born ({born:%d %b %Y})."
BOOKING_INCOMPLETE = "A booked appointment needs a room."
CANCEL_NEEDS_REASON = "Say why the appointment was cancelled."
APPOINTMENT_KEPT = "An appointment is part of the patient's record and cannot be deleted."
PREFERENCE_ORDER = "The preferred time must end after it starts."


PHASE_FIELDS = (
    "interval_min",
    "interval_max",
    "interval_unit",
    "tolerance_days",
    "span_kind",
    "span_min",
    "span_max",
    "span_unit",
    "maintenance",
)


weekdays_validator = RegexValidator(
    r"^(?!.*(.).*\1)[0-6]*$", "List each weekday once, as digits 0 (Monday) to 6 (Sunday)."
)


class PhaseFields(models.Model):
    """The typed form of one `engine.Phase`, shared by protocols and plans."""

    position = models.PositiveSmallIntegerField(default=1)
    interval_min = models.PositiveSmallIntegerField("every (from)")
    interval_max = models.PositiveSmallIntegerField("every (to)")
    interval_unit = models.CharField(
        "unit", max_length=8, choices=[(u.value, u.value) for u in engine.Unit]
    )
    tolerance_days = models.PositiveSmallIntegerField(
        "± days",
        null=True,
        blank=True,
        help_text="Empty: the clinic's default tolerance for a fixed interval (none for a range).",
    )
    span_kind = models.CharField(
        "span",
        max_length=10,
        choices=[
            (engine.SpanKind.COUNT.value, "number of sessions"),
            (engine.SpanKind.DURATION.value, "for a duration"),
            (engine.SpanKind.OPEN.value, "open-ended"),
        ],
        default=engine.SpanKind.OPEN.value,
    )
    span_min = models.PositiveSmallIntegerField("span (from)", null=True, blank=True)
    span_max = models.PositiveSmallIntegerField("span (to)", null=True, blank=True)
    span_unit = models.CharField(
        "span unit",
        max_length=8,
        choices=[(u.value, u.value) for u in engine.Unit],
        blank=True,
        default="",
        help_text="For a duration span only.",
    )
    maintenance = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_min__gte=1) & Q(interval_max__gte=F("interval_min")),
                name="%(app_label)s_%(class)s_interval_range",
            ),
            models.CheckConstraint(
                condition=(
                    Q(span_kind="open", span_min__isnull=True, span_max__isnull=True, span_unit="")
                    | Q(
                        span_kind="count",
                        span_min__gte=1,
                        span_max__gte=F("span_min"),
                        span_unit="",
                    )
                    | (
                        Q(span_kind="duration", span_min__gte=1, span_max__gte=F("span_min"))
                        & ~Q(span_unit="")
                    )
                ),
                name="%(app_label)s_%(class)s_span_shape",
            ),
        ]

    def __str__(self):
        return engine.render_phase(self.as_phase())

    def as_phase(self) -> engine.Phase:
        return engine.Phase(
            interval_min=self.interval_min,
            interval_max=self.interval_max,
            interval_unit=engine.Unit(self.interval_unit),
            tolerance_days=self.tolerance_days,
            span_kind=engine.SpanKind(self.span_kind),
            span_min=self.span_min,
            span_max=self.span_max,
            span_unit=engine.Unit(self.span_unit) if self.span_unit else None,
            maintenance=self.maintenance,
        )

    @classmethod
    def fields_of(cls, phase: engine.Phase) -> dict:
        return {
            "interval_min": phase.interval_min,
            "interval_max": phase.interval_max,
            "interval_unit": phase.interval_unit.value,
            "tolerance_days": phase.tolerance_days,
            "span_kind": phase.span_kind.value,
            "span_min": phase.span_min,
            "span_max": phase.span_max,
            "span_unit": phase.span_unit.value if phase.span_unit else "",
            "maintenance": phase.maintenance,
        }

    def clean(self):
        required = (self.interval_min, self.interval_max, self.interval_unit, self.span_kind)
        if any(value in (None, "") for value in required):
            return  # the form already says which field is missing
        # Whether an open-ended phase is last is a rule of the whole protocol, checked
        # where all the phases are known (the admin formset and the services).
        problems = engine.phase_problems(self.as_phase(), is_last=True)
        if problems:
            errors: dict[str, list[str]] = {}
            for field, message in problems:
                errors.setdefault(field, []).append(message)
            raise ValidationError(errors)


class Protocol(models.Model):
    """A course of treatment as the clinic publishes it: phases run one after another."""

    class Indication(models.TextChoices):
        REJUVENATION = "rejuvenation", "Skin rejuvenation"
        DARK_CIRCLES = "dark_circles", "Dark circles"
        SCARS = "scars", "Acne and injury scars"
        STRETCH_MARKS = "stretch_marks", "Stretch marks"
        CELLULITE = "cellulite", "Cellulite and localised fat"
        HAIR_LOSS = "hair_loss", "Hair loss"
        PAIN = "pain", "Joint and musculoskeletal pain"

    name = models.CharField(max_length=120, unique=True)
    indication = models.CharField(max_length=32, choices=Indication.choices)
    method = models.ForeignKey(Method, on_delete=models.PROTECT, related_name="protocols")
    session_minutes = models.PositiveSmallIntegerField("session length (minutes)", default=45)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up each time the phases change."
    )
    updated_at = models.DateTimeField(auto_now=True)

    trail = audit.trail()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_minutes__gte=5) & Q(session_minutes__lte=480),
                name="protocol_session_length",
            ),
        ]

    def __str__(self):
        return self.name

    def phase_values(self) -> tuple[engine.Phase, ...]:
        """The engine's phases (uses prefetched `phases` when present)."""
        return tuple(phase.as_phase() for phase in self.phases.all())

    @property
    def text(self) -> str:
        phases = self.phase_values()
        return engine.render_protocol(phases) if phases else ""


class ProtocolPhase(PhaseFields):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="phases")

    trail = audit.trail()

    class Meta(PhaseFields.Meta):
        constraints = [
            *PhaseFields.Meta.constraints,
            models.UniqueConstraint(
                fields=["protocol", "position"], name="protocol_phase_position_unique"
            ),
        ]


# The links from plans and treatment records to the clinic's areas and products. Each
# PROTECTs its area or product: deleting one that a record uses is refused instead of
# silently taking it off the record. The tables are the ones Django made for the
# many-to-many fields before these models existed.


class PlanArea(models.Model):
    treatmentplan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.CASCADE)
    treatmentarea = models.ForeignKey(TreatmentArea, on_delete=models.PROTECT)

    class Meta:
        db_table = "plans_treatmentplan_areas"
        unique_together = [("treatmentplan", "treatmentarea")]
        verbose_name = "area of a plan"

    def __str__(self):
        return f"{self.treatmentarea} in the plan {self.treatmentplan}"


class PlanProduct(models.Model):
    treatmentplan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)

    class Meta:
        db_table = "plans_treatmentplan_products"
        unique_together = [("treatmentplan", "product")]
        verbose_name = "product of a plan"

    def __str__(self):
        return f"{self.product} in the plan {self.treatmentplan}"


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="plans")
    protocol_version = models.PositiveIntegerField(editable=False, default=1)
    start_date = models.DateField()
    horizon_months = models.PositiveSmallIntegerField(
        default=engine.DEFAULT_HORIZON_MONTHS,
        help_text="How far ahead an open-ended maintenance phase is planned.",
    )
    areas = models.ManyToManyField(TreatmentArea, through=PlanArea, related_name="plans")
    products = models.ManyToManyField(
        Product, through=PlanProduct, blank=True, related_name="plans"
    )
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    preferred_weekdays = models.CharField(
        max_length=7,
        blank=True,
        validators=[weekdays_validator],
        help_text="Days the patient can come, as weekday numbers (0 = Monday); empty = any.",
    )
    other_clinicians_ok = models.BooleanField(
        "another clinician will do",
        default=False,
        help_text="The patient accepts another clinician when the plan's own has no time.",
    )
    preferred_after = models.TimeField(null=True, blank=True, help_text="e.g. after 17:00")
    preferred_before = models.TimeField(null=True, blank=True)
    contraindication_override = models.TextField(
        blank=True,
        help_text="The clinical reason to treat despite a contraindication of the screening.",
    )
    override_by = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # Each override stays in the plan's history with its author, time and reason.
    trail = audit.trail(m2m_fields=["areas", "products"])

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_months__gte=1) & Q(horizon_months__lte=120),
                name="plan_horizon_1_to_120_months",
            ),
        ]

    def __str__(self):
        return f"{self.protocol} for {self.patient} from {self.start_date:%d %b %Y}"

    def clean(self):
        if (
            self.preferred_after
            and self.preferred_before
            and self.preferred_before <= self.preferred_after
        ):
            raise ValidationError({"preferred_before": PREFERENCE_ORDER})

    @property
    def preferred_weekday_set(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.preferred_weekdays)

    def override_covers(self, screening) -> bool:
        """A recorded override holds for the screening it answered, not for later findings."""
        if not (
            self.contraindication_override.strip() and self.override_by_id and self.override_at
        ):
            return False
        return self.override_at >= screening.recorded_at

    def phase_values(self) -> tuple[engine.Phase, ...]:
        """The phases this plan follows (its own copy; uses prefetched `phases`)."""
        return tuple(phase.as_phase() for phase in self.phases.all())


class PlanPhase(PhaseFields):
    """A phase as it was when the plan was made: the plan's own copy of its protocol."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="phases")

    trail = audit.trail()

    class Meta(PhaseFields.Meta):
        constraints = [
            *PhaseFields.Meta.constraints,
            models.UniqueConstraint(fields=["plan", "position"], name="plan_phase_position_unique"),
        ]


class SessionQuerySet(models.QuerySet):
    def delete(self):
        kept = self.exclude(status=Session.Status.TO_BOOK).first()
        if kept is None:
            kept = self.filter(appointments__isnull=False).first()
        if kept is not None:
            raise ValidationError(SESSION_KEPT.format(status=kept.get_status_display().lower()))
        return super().delete()


class Session(models.Model):
    """One step of a course ("session 3 of 14"): its number, phase and window.

    A session keeps its number for life. Its appointments (`Appointment`) are the times
    it was booked; at most one is live (booked, arrived or done) and every earlier one is
    kept with its reason. `status` is derived from them by the services that write
    appointments, in the same transaction: to book, booked, done; or, for a step the
    course no longer asks for, skipped (an optional step not needed) or no longer needed.

    `patient` repeats `plan.patient` for the appointments' patient.
    """

    class Status(models.TextChoices):
        TO_BOOK = "to_book", "To book"
        BOOKED = "booked", "Booked"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        NOT_NEEDED = "not_needed", "No longer needed"

    # The states a step is finished in: the course moves on past them.
    CLOSED = (Status.DONE, Status.SKIPPED, Status.NOT_NEEDED)

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    phase = models.PositiveSmallIntegerField()
    due = models.DateField()
    earliest = models.DateField()
    latest = models.DateField()
    optional = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TO_BOOK)
    closed_reason = models.CharField(
        max_length=200, blank=True, help_text="Why a skipped or no-longer-needed step closed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()
    trail = audit.trail()

    class Meta:
        ordering = ["plan", "number"]
        permissions = [
            ("record_treatment", "Can record a session as done"),
            ("override_contraindication", "Can book despite a contraindication"),
        ]
        indexes = [
            # The recall board: its steps, in its order, so a page reads only its rows
            # (the overdue ones come first, and their window has opened).
            models.Index(
                fields=["status", "optional", "latest", "plan", "number", "earliest"],
                name="session_recall",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=Q(earliest__lte=F("due")) & Q(due__lte=F("latest")),
                name="session_window_holds_due",
            ),
        ]

    def __str__(self):
        return f"Session {self.number} of {self.plan}"

    def save(self, *args, **kwargs):
        if self.plan_id and not self.patient_id:
            self.patient_id = self.plan.patient_id
        super().save(*args, **kwargs)

    def clean(self):
        if (
            self.earliest
            and self.due
            and self.latest
            and not (self.earliest <= self.due <= self.latest)
        ):
            raise ValidationError({"due": WINDOW_ORDER})

    def delete(self, *args, **kwargs):
        if self.status != self.Status.TO_BOOK or self.appointments.exists():
            raise ValidationError(SESSION_KEPT.format(status=self.get_status_display().lower()))
        return super().delete(*args, **kwargs)

    def holds(self, day) -> bool:
        """Whether `day` lies in the session's window."""
        return self.earliest <= day <= self.latest

    def days_outside(self, day) -> int:
        """How many days `day` lies before (negative) or after (positive) the window."""
        if day < self.earliest:
            return (day - self.earliest).days
        if day > self.latest:
            return (day - self.latest).days
        return 0


class AppointmentArea(models.Model):
    appointment = models.ForeignKey("plans.Appointment", on_delete=models.CASCADE)
    treatmentarea = models.ForeignKey(TreatmentArea, on_delete=models.PROTECT)

    class Meta:
        db_table = "plans_appointment_areas_treated"
        unique_together = [("appointment", "treatmentarea")]
        verbose_name = "area treated"

    def __str__(self):
        return f"{self.treatmentarea} treated in {self.appointment}"


class Appointment(models.Model):
    """A time a session was booked for: who, where, and what became of it.

    Appointments are never deleted: a cancelled or missed one stays on the record with
    its reason, and the session gets a new one. A done appointment holds the treatment
    record (areas, batches used, notes, complications).
    """

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        DONE = "done", "Done"
        CANCELLED_BY_PATIENT = "cancelled_patient", "Cancelled by patient"
        CANCELLED_BY_CLINIC = "cancelled_clinic", "Cancelled by clinic"
        NO_SHOW = "no_show", "No-show"

    # Holding the clinician, room and patient now (the no-double-booking constraints).
    LIVE = (Status.BOOKED, Status.ARRIVED)
    # Holding a time in the calendar: a done appointment keeps its room until its end.
    OCCUPYING = (Status.BOOKED, Status.ARRIVED, Status.DONE)
    CANCELLED = (Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_CLINIC)
    # Ended without treatment: the session goes back to "to book".
    MISSED = (*CANCELLED, Status.NO_SHOW)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    starts_at = models.DateTimeField(validators=[inputs.validate_in_calendar])
    ends_at = models.DateTimeField(validators=[inputs.validate_in_calendar])
    blocks_until = models.DateTimeField(
        editable=False,
        help_text="End of the appointment plus the clinic's buffer: the clinician and room "
        "are held until then.",
    )
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    reason = models.CharField(
        max_length=200, blank=True, help_text="Why it was cancelled or missed."
    )
    outside_window = models.BooleanField(
        default=False,
        help_text="Booked outside its session's window, confirmed by whoever booked it.",
    )
    needs_rebooking = models.BooleanField(
        default=False,
        help_text="Set when a closure, time off or re-planning leaves it invalid: it is on "
        "reception's rebooking worklist until moved.",
    )
    follow_up_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why it was booked although an earlier session's instructions forbid it "
        "(a laser session within a week after mesotherapy).",
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    areas_treated = models.ManyToManyField(
        TreatmentArea, through=AppointmentArea, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, help_text="Clinical notes of the session.")
    complications = models.TextField(
        blank=True, help_text="Anything beyond the expected redness, swelling or small bruises."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        Clinician,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The clinician who recorded the treatment as done.",
    )

    trail = audit.trail(m2m_fields=["areas_treated"])

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"]),
            # The calendar reads "what holds a resource between these instants".
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status__in=["booked", "arrived", "done"]),
                name="appointment_one_live_per_session",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_times"
            ),
            models.CheckConstraint(
                condition=Q(blocks_until__gte=F("ends_at")), name="appointment_buffer_after_end"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["booked", "arrived"]) | Q(room__isnull=False),
                name="appointment_booked_has_room",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["cancelled_patient", "cancelled_clinic"]) | ~Q(reason=""),
                name="appointment_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(recorded_by__isnull=False),
                name="appointment_done_names_its_author",
            ),
        ]

    def __str__(self):
        return f"{self.session} on {self.starts_at:%d %b %Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.session_id and not self.patient_id:
            self.patient_id = self.session.patient_id
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = BOOKING_ENDS_BEFORE_START
        if (
            self.starts_at
            and inputs.in_calendar(self.starts_at)
            and self.patient_id
            and self.patient.born_after(self.starts_at)
        ):
            errors["starts_at"] = BEFORE_BIRTH.format(born=self.patient.date_of_birth)
        if self.status in self.LIVE and not self.room_id:
            errors["room"] = BOOKING_INCOMPLETE
        if self.status in self.CANCELLED and not self.reason.strip():
            errors["reason"] = CANCEL_NEEDS_REASON
        if errors:
            raise ValidationError(errors)

    def delete(self, *args, **kwargs):
        raise ValidationError(APPOINTMENT_KEPT)

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class ProductUse(models.Model):
    """A traced use of a product in an appointment: which batch (lot) went into the patient."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="product_uses"
    )
    batch = models.ForeignKey(ProductBatch, on_delete=models.PROTECT, related_name="uses")
    quantity_ml = models.DecimalField(
        "quantity (ml)", max_digits=5, decimal_places=2, null=True, blank=True
    )

    trail = audit.trail()

    class Meta:
        ordering = ["appointment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "batch"], name="product_use_once_per_batch"
            ),
            models.CheckConstraint(
                condition=Q(quantity_ml__isnull=True) | Q(quantity_ml__gt=0),
                name="product_use_positive_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.batch} in {self.appointment}"


class BookingLock(models.Model):
    """One row, whose lock orders the bookings against the closures and time off.

    Every booking and move locks it before it reads the calendar; every closure or time
    off locks it before it flags the appointments it falls over
    (`plans.booking.lock_bookings`). So a booking made while an admin adds a closure
    either comes after it, sees it and is refused, or comes before it and is flagged.
    """

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="booking_lock_single_row"),
        ]

    def __str__(self):
        return "Booking lock"


class BookingSubmission(models.Model):
    """A booking form as it was submitted once, by the key the page gave it.

    The key is written in the same transaction as the booking, so a form submitted twice
    (a double click, a retry after an answer lost with a worker) books once; the second
    time is told what the first did (`outcome`, the first answer's message).
    """

    class Action(models.TextChoices):
        BOOK = "book", "Book a session"
        MOVE = "move", "Move an appointment"
        BOOK_ALL = "book_all", "Book the whole plan"
        MOVE_LATER = "move_later", "Move the later sessions"

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=16, choices=Action)
    made_at = models.DateTimeField()
    outcome = models.TextField()

    def __str__(self):
        return f"{self.get_action_display()} ({self.key})"


class Reminder(models.Model):
    """A reminder sent to a patient, recorded before it is sent.

    The key (appointment, kind, the appointment's time) is unique: the worker inserts the
    row in the transaction that sends, so a reminder enqueued twice, or run by two
    workers at once, is sent once; an appointment moved to another time gets a new one.
    """

    class Kind(models.TextChoices):
        BEFORE = "before", "Before the appointment"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.BEFORE)
    starts_at = models.DateTimeField(help_text="The appointment's time the reminder told.")
    channel = models.CharField(max_length=5, choices=Channel)
    sent_to = models.CharField(max_length=254)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "starts_at"], name="reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.appointment} by {self.get_channel_display()}"


class CallOutcome(models.Model):
    """What came of a call on reception's call list (`plans.calls`): one row per reason
    of the line ticked, kept with who ticked it and when. Never changed: a second try
    after "no answer" is a new row."""

    class Outcome(models.TextChoices):
        REACHED = calls.Outcome.REACHED, calls.LABELS[calls.Outcome.REACHED]
        MESSAGE_LEFT = calls.Outcome.MESSAGE_LEFT, calls.LABELS[calls.Outcome.MESSAGE_LEFT]
        NO_ANSWER = calls.Outcome.NO_ANSWER, calls.LABELS[calls.Outcome.NO_ANSWER]
        REBOOKED = calls.Outcome.REBOOKED, calls.LABELS[calls.Outcome.REBOOKED]

    key = models.CharField(max_length=200, help_text="What the call was about (`plans.calls`).")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="call_outcomes")
    day = models.DateField(help_text="The call list's day.")
    outcome = models.CharField(max_length=20, choices=Outcome)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["key", "day"], name="call_outcome_key_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[o.value for o in calls.Outcome]),
                name="call_outcome_known",
            )
        ]

    def __str__(self):
        return f"{self.get_outcome_display()}: {self.patient} on {self.day:%d %b %Y}"
