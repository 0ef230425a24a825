import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from earnings.services import generation_catch_up, generation_distribute
from investment.models import Subscription


class Command(BaseCommand):
    help = (
        "Pay the 20-level generation income of a purchase (exactly once), or of every purchase "
        "still owed one with --pending."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--subscription", type=int, help="The subscription (purchase) id.")
        target.add_argument("--pending", action="store_true", help="Every purchase whose fan-out is owed.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Show what each level would get (one subscription only); write nothing.")

    def handle(self, *args: Any, subscription: int | None, pending: bool, dry_run: bool, **options: Any) -> None:
        if pending:
            if dry_run:
                raise CommandError("--dry-run works with --subscription only.")
            caught_up = generation_catch_up(older_than=dt.timedelta(0), limit=100_000)
            line = f"paid the generation income of {caught_up.paid} pending purchases"
            if caught_up.stuck:
                ids = ", ".join(map(str, caught_up.stuck[:20]))
                raise CommandError(f"{line}; {len(caught_up.stuck)} failed and are listed as stuck items: {ids}")
            self.stdout.write(line)
            return
        assert subscription is not None  # the two options are a required, exclusive group
        try:
            result = generation_distribute(subscription_id=subscription, dry_run=dry_run)
        except Subscription.DoesNotExist:
            raise CommandError(f"There is no subscription {subscription}.") from None
        if result.already_paid:
            self.stdout.write(f"subscription {subscription}: generation income was already paid")
            return
        for o in result.outcomes:
            status = o.reason or "paid"
            self.stdout.write(f"  level {o.level:>2} member {o.user_id}: {o.amount} of {o.full} ({status})")
        prefix = "DRY RUN — would pay" if dry_run else "paid"
        paid_levels = sum(1 for o in result.outcomes if o.amount > 0)
        self.stdout.write(
            f"{prefix} {result.paid_total} USDT to {paid_levels} of {len(result.outcomes)} upline levels "
            f"for subscription {subscription}"
        )
