import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from earnings.services import daily_income_pay


class Command(BaseCommand):
    help = (
        "Pay the daily bond income of one date (default: today, UTC), once per subscription and "
        "date; Saturdays and Sundays pay nothing. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The payout date, YYYY-MM-DD (default: today in UTC).")
        parser.add_argument("--dry-run", action="store_true", help="Compute everything, write nothing.")

    def handle(self, *args, date: str | None, dry_run: bool, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.now().date()
        except ValueError:
            raise CommandError(f"--date must look like 2025-02-14, not {date!r}.") from None
        started = time.monotonic()
        bar = tqdm(unit="members", disable=not sys.stderr.isatty(), file=sys.stderr)
        with bar:
            result = daily_income_pay(payout_date=day, dry_run=dry_run, progress=bar.update)
        if not result.is_weekday:
            self.stdout.write(f"{day} is a {day:%A}: no daily income is paid at weekends")
            return
        prefix = "DRY RUN — would pay" if dry_run else "paid"
        self.stdout.write(
            f"{prefix} daily income for {day}: {result.paid_count} subscriptions, {result.paid_total} USDT, "
            f"{result.capped_total} USDT capped, {result.completed} completed, "
            f"in {time.monotonic() - started:.1f} s"
        )
