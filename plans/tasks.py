"""The clinic's background work, on Django's tasks framework (settings `TASKS`)."""

from datetime import datetime

from django.tasks import task

from plans import reminding


@task
def send_reminder(appointment_id: int, starts_at: str) -> bool:
    """Send one appointment's reminder (`plans.reminding.send`); whether it went."""
    return reminding.send(appointment_id, datetime.fromisoformat(starts_at)) is not None
