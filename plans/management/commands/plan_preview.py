"""Show the sessions a protocol gives from a start date: the engine's contract on the command line.

    manage.py plan_preview "every 2 weeks for 1-2 months, then monthly" --start 2026-01-05
    manage.py plan_preview "Skin rejuvenation: intensive course then maintenance" --start ... --json
    manage.py plan_preview "monthly" --start 2026-01-05 --default-tolerance-percent 0

A phase with no tolerance written gets the clinic's default (`engine.with_default_tolerance`),
from its settings unless --default-tolerance-percent says otherwise.

Bad input ends with one line on stderr and a non-zero exit, never a traceback.
"""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from clinic.models import ClinicSettings
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
        parser.add_argument(
            "--default-tolerance-percent",
            type=int,
            help=(
                "the tolerance of a fixed interval with none written, in percent of the "
                "interval (default: the clinic's setting; 0 for none)"
            ),
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

    def default_tolerance_percent(self, percent: int | None) -> int:
        if percent is not None:
            if not 0 <= percent <= 100:
                raise CommandError("--default-tolerance-percent must be between 0 and 100")
            return percent
        try:
            return ClinicSettings.load().default_tolerance_percent
        except DatabaseError:
            # no database yet: the default a fresh clinic would have
            return ClinicSettings._meta.get_field("default_tolerance_percent").default

    def handle(self, *args, **options):
        start = _start(options["start"])
        if options["horizon_months"] < 1:
            raise CommandError("--horizon-months must be at least 1")
        percent = self.default_tolerance_percent(options["default_tolerance_percent"])
        phases = self.phases(options["protocol"])
        resolved = engine.with_default_tolerance(phases, percent)
        try:
            windows = engine.expand(resolved, start, horizon_months=options["horizon_months"])
        except engine.ProtocolError as error:
            raise CommandError(str(error)) from None
        canonical = engine.render_protocol(phases)  # as written, defaults left out
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
