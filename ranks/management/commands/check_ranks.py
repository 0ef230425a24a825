import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ranks.services import ranks_check


class Command(BaseCommand):
    help = (
        "Promote every member whose main leg and other legs meet a higher rank (ranks never go down), "
        "after settling any weekly bonus weeks still owed at the current ranks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report the promotions, change nothing.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        started = time.monotonic()
        result = ranks_check(dry_run=dry_run)
        detail = ", ".join(f"{code} {count}" for code, count in sorted(result.promotions.items())) or "none"
        prefix = "DRY RUN — would promote" if dry_run else "promoted"
        overdue = f"; first settled {result.overdue_weeks_settled} overdue bonus weeks" \
            if result.overdue_weeks_settled else ""
        self.stdout.write(
            f"{prefix} {result.promoted} of {result.checked} members with leg volume ({detail}){overdue} "
            f"in {time.monotonic() - started:.1f} s"
        )
