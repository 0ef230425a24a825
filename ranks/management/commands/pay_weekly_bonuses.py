import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from phonix.exceptions import FuturePeriod
from ranks.services import weekly_bonuses_pay
from ranks.weeks import parse_iso_week


class Command(BaseCommand):
    help = (
        "Pay the weekly rank bonuses owed up to an ISO week (default: the current one), once per "
        "member and week, within the 3x cap; weeks a missed run skipped are paid too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="ISO week to settle up to, e.g. 2025-W07 (default: this week).")
        parser.add_argument("--dry-run", action="store_true", help="Compute everything, write nothing.")

    def handle(self, *args: Any, week: str | None, dry_run: bool, **options: Any) -> None:
        monday = None
        if week:
            try:
                monday = parse_iso_week(week)
            except ValueError:
                raise CommandError(f"--week must look like 2025-W07, not {week!r}.") from None
        started = time.monotonic()
        bar = tqdm(unit="members", disable=not sys.stderr.isatty(), file=sys.stderr)
        with bar:
            try:
                result = weekly_bonuses_pay(week=monday, dry_run=dry_run, progress=bar.update)
            except FuturePeriod as error:
                raise CommandError(str(error)) from None
        prefix = "DRY RUN — would settle" if dry_run else "settled"
        self.stdout.write(
            f"{prefix} {result.weeks_settled} bonus weeks up to {result.week} for {result.members} members: "
            f"paid {result.paid} USDT, capped {result.capped} USDT, in {time.monotonic() - started:.1f} s"
        )
