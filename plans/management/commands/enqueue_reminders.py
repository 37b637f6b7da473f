from django.core.management.base import BaseCommand

from plans import reminding


class Command(BaseCommand):
    help = (
        "Enqueue the appointment reminders that are due (run it from cron every few "
        "minutes; a worker sends them, each once)."
    )

    def handle(self, *args, **options):
        count = reminding.enqueue_due()
        self.stdout.write(f"{count} reminder(s) enqueued.")
