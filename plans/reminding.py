"""Sending the appointment reminders: what is due, and sending each once.

`enqueue_due` (run by cron through `manage.py enqueue_reminders`, every few minutes) finds
the booked appointments whose reminder is due and not yet sent, and enqueues one task
each (`plans.tasks.send_reminder`). The worker's `send` records the reminder under its
unique key (appointment, kind, the appointment's time) in the transaction that sends it:
a task enqueued twice, or run by two workers at once, sends once, and a reminder whose
appointment was cancelled, moved or opted out of in the meantime is not sent.
"""

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from clinic import clock, sms
from clinic.models import ClinicSettings
from plans import instructions, reminders, selectors
from plans.models import Appointment, Reminder

KIND = Reminder.Kind.BEFORE


def due(now: datetime | None = None) -> list[Appointment]:
    """The booked appointments whose reminder is due at `now` and not sent for their time."""
    now = now or clock.now()
    clinic = ClinicSettings.load()
    days = clinic.reminder_days_before
    sent = Reminder.objects.filter(
        appointment=OuterRef("pk"), kind=KIND, starts_at=OuterRef("starts_at")
    )
    # A day more than the setting covers the reminder's day on any clock change.
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days + 1),
            patient__reminders_opt_out=False,
        )
        .exclude(Exists(sent))
        .order_by("starts_at", "pk")
    )
    return [a for a in candidates if reminders.is_due(a.starts_at, days, clinic.tz, now)]


def enqueue_due(now: datetime | None = None) -> int:
    """Enqueue a send for each reminder due; how many were enqueued."""
    from plans import tasks

    appointments = due(now)
    for appointment in appointments:
        tasks.send_reminder.enqueue(appointment.pk, appointment.starts_at.isoformat())
    return len(appointments)


def send(appointment_id: int, starts_at: datetime) -> Reminder | None:
    """Send the reminder of the appointment at `starts_at`, once: None when it was sent
    already, or is no longer due (cancelled, moved, started, opted out)."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "clinician__user")
            .filter(pk=appointment_id)
            .first()
        )
        now = clock.now()
        if (
            appointment is None
            or appointment.status != Appointment.Status.BOOKED
            or appointment.starts_at != starts_at
            or appointment.patient.reminders_opt_out
            or not now < appointment.starts_at
        ):
            return None
        channel, to = _address(appointment.patient)
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    appointment=appointment,
                    kind=KIND,
                    starts_at=appointment.starts_at,
                    channel=channel,
                    sent_to=to,
                    sent_at=now,
                )
        except IntegrityError:
            return None  # sent already, by this worker or another
        visit = _visit(appointment)
        if channel == Reminder.Channel.EMAIL:
            send_mail(reminders.subject(visit), reminders.body(visit), None, [to])
        else:
            sms.send(to, reminders.sms(visit))
        return reminder


def _address(patient) -> tuple[str, str]:
    """The patient's channel; one who chose email but gave none gets a text message."""
    if patient.reminder_channel == Reminder.Channel.EMAIL and patient.email:
        return Reminder.Channel.EMAIL, patient.email
    phone = patient.phone
    # Providers take E.164 ("+33630636610"); a number never normalised goes as typed.
    return Reminder.Channel.SMS, phone.as_e164 if phone.is_valid() else str(phone)


def _visit(appointment: Appointment) -> reminders.Visit:
    clinic = ClinicSettings.load()
    dated = selectors.appointment_instructions([appointment], clinic=clinic)[appointment.pk]
    facts = selectors.patient_facts({appointment.patient_id})[appointment.patient_id]
    wants_cream = instructions.Trigger.ANAESTHETIC_CREAM in facts.triggers
    return reminders.Visit(
        first_name=appointment.patient.first_name,
        starts=appointment.starts_at,
        tz=clinic.tz,
        clinician=str(appointment.clinician),
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        arrive=reminders.arrival(
            appointment.starts_at, wants_cream, clinic.anaesthetic_cream_minutes
        ),
        sentences=[item.sentence for item in dated],
    )
