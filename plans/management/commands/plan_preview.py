"""Show the sessions a protocol gives from a start date: the engine's contract on the command line.

    manage.py plan_preview "every 2 weeks for 1-2 months, then monthly" --start 2026-01-05
    manage.py plan_preview "Skin rejuvenation: intensive course then maintenance" --start ... --json

Bad input ends with one line on stderr and a non-zero exit, never a traceback.
"""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from plans import engine
from plans.models import Protocol


def _start(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Preview the dated sessions of a protocol (its text or a saved protocol's name)."

    def add_arguments(self, parser):
        parser.add_argument("protocol", help="protocol text, or the name of a saved protocol")
        parser.add_argument("--start", required=True, help="first session, YYYY-MM-DD")
        parser.add_argument(
            "--horizon-months",
            type=int,
            default=engine.DEFAULT_HORIZON_MONTHS,
            help="how far an open-ended last phase is planned (default %(default)s)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            sys.stderr.write(f"plan_preview: {error}\n")
            sys.exit(2)

    def phases(self, text: str) -> tuple[engine.Phase, ...]:
        try:
            saved = (
                Protocol.objects.prefetch_related("phases")
                .filter(name__iexact=text.strip())
                .first()
            )
        except DatabaseError:
            saved = None  # no database yet: protocol text still works
        if saved is not None:
            return saved.phase_values()
        try:
            return engine.parse_protocol(text)
        except engine.ProtocolError as error:
            raise CommandError(str(error)) from None

    def handle(self, *args, **options):
        start = _start(options["start"])
        if options["horizon_months"] < 1:
            raise CommandError("--horizon-months must be at least 1")
        phases = self.phases(options["protocol"])
        try:
            windows = engine.expand(phases, start, horizon_months=options["horizon_months"])
        except engine.ProtocolError as error:
            raise CommandError(str(error)) from None
        canonical = engine.render_protocol(phases)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "protocol": canonical,
                        "start": start.isoformat(),
                        "sessions": [
                            {
                                "number": w.number,
                                "phase": w.phase,
                                "due": w.due.isoformat(),
                                "earliest": w.earliest.isoformat(),
                                "latest": w.latest.isoformat(),
                                "optional": w.optional,
                            }
                            for w in windows
                        ],
                    }
                )
            )
            return
        self.stdout.write(f"{canonical}\nfrom {start:%a %d %b %Y}, {len(windows)} sessions\n")
        self.stdout.write(f"{'#':>3}  {'phase':>5}  {'due':<15}  {'window':<25}  optional")
        for w in windows:
            window = f"{w.earliest:%d %b %Y} – {w.latest:%d %b %Y}"
            self.stdout.write(
                f"{w.number:>3}  {w.phase:>5}  {w.due:%a %d %b %Y}  {window:<25}  "
                f"{'yes' if w.optional else ''}"
            )
