import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dashboard.services import generation_digest_build


class Command(BaseCommand):
    help = (
        "Write one notification per member for the generation income paid to them on a day (UTC, "
        "default yesterday). Safe to run again: a member's digest of a day is written once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD, UTC (default: yesterday).")

    def handle(self, *args: Any, date: str | None, **options: Any) -> None:
        today = timezone.now().astimezone(dt.UTC).date()
        try:
            day = dt.date.fromisoformat(date) if date else today - dt.timedelta(days=1)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        if day >= today:
            raise CommandError(f"{day} has not ended yet (UTC): its digest is written the day after.")
        self.stdout.write(f"generation digests for {day}: {generation_digest_build(day=day)} written")
