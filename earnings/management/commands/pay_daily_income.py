import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from earnings.selectors import daily_income_settled
from earnings.services import daily_income_catch_up, daily_income_date_check
from phonix.exceptions import FuturePeriod


class Command(BaseCommand):
    help = (
        "Pay the daily bond income of every weekday missed since the last finished run, oldest first, "
        "through a date (default: today, UTC), once per subscription and date. Saturdays and Sundays "
        "pay nothing; a date after today is refused. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Pay through this date, YYYY-MM-DD (default: today in UTC).")
        parser.add_argument("--dry-run", action="store_true", help="Compute everything, write nothing.")

    def handle(self, *args: Any, date: str | None, dry_run: bool, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date must look like 2025-02-14, not {date!r}.") from None
        started = time.monotonic()
        bar = tqdm(unit="members", disable=not sys.stderr.isatty(), file=sys.stderr)

        def advance(members: int) -> None:
            bar.update(members)

        with bar:
            try:
                day = daily_income_date_check(payout_date=day)
                before = daily_income_settled(payout_date=day) if day.weekday() < 5 else None
                results = daily_income_catch_up(through=day, dry_run=dry_run, progress=advance,
                                                date_started=lambda d: bar.set_description(str(d)))
            except FuturePeriod as error:
                raise CommandError(str(error)) from None
        weekdays = [r for r in results if r.is_weekday]
        if not weekdays:
            self.stdout.write(f"{day} is a {day:%A}: no daily income is paid at weekends")
            return
        dates = str(weekdays[0].payout_date)
        if len(weekdays) > 1:
            dates = f"{weekdays[0].payout_date} … {weekdays[-1].payout_date} ({len(weekdays)} weekdays)"
        prefix = "DRY RUN — would pay" if dry_run else "paid"
        line = (
            f"{prefix} daily income for {dates}: {sum(r.paid_count for r in weekdays)} payouts, "
            f"{sum(r.paid_total for r in weekdays)} USDT, {sum(r.capped_total for r in weekdays)} USDT capped, "
            f"{sum(r.completed for r in weekdays)} completed, in {time.monotonic() - started:.1f} s"
        )
        if before and before.settled:
            line += f"; {before.settled} subscriptions were already settled for {day} (not paid twice)"
        if before and before.passed:
            # Not a re-run: income the operator asked for that can no longer be paid.
            raise CommandError(
                f"{line}; {before.passed} subscriptions skipped: they were settled through a later date "
                f"without a payout for {day}, and dates are paid in order, so {day} cannot be paid for them"
            )
        self.stdout.write(line)
