import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from mining.services import mining_sessions_complete


class Command(BaseCommand):
    help = (
        "Complete every mining session that has ended: record its outcome, credit the free reward to "
        "the member's bonus account, keep the streak and send the reminders asked for. Each session "
        "completes once; safe to run again or alongside the scheduled job. Exits non-zero when a "
        "session is stuck."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Do the work and roll it back.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        started = time.monotonic()
        with tqdm(unit="sessions", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
            result = mining_sessions_complete(dry_run=dry_run, progress=bar.update)
        line = f"{result.summary()} in {time.monotonic() - started:.1f} s"
        if result.stuck:
            raise CommandError(f"{line}; stuck sessions: {', '.join(map(str, result.stuck[:20]))}")
        self.stdout.write(line)
