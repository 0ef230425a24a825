from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet.custody.chain import ChainUnavailable
from wallet.models import Withdrawal


class Command(BaseCommand):
    help = "Sign and send approved withdrawals from the hot wallet and follow sent ones to a solidified receipt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be sent; change nothing")
        parser.add_argument("--limit", type=int, default=None, help="send at most this many new withdrawals")

    def handle(self, *args: Any, dry_run: bool, limit: int | None, **options: Any) -> None:
        from wallet.custody.withdrawals import withdrawals_process

        if dry_run:
            approved = Withdrawal.objects.filter(status=Withdrawal.Status.APPROVED)
            in_flight = Withdrawal.objects.filter(status__in=[Withdrawal.Status.SIGNED, Withdrawal.Status.BROADCAST])
            self.stdout.write(f"dry run: {approved.count()} approved withdrawals would be sent, "
                              f"{in_flight.count()} in flight would be followed")
            return
        try:
            result = withdrawals_process(limit=limit)
        except ChainUnavailable as error:
            raise CommandError(f"the TRON node did not answer: {error}") from error
        self.stdout.write(f"withdrawals: {len(result.sent)} sent, {len(result.completed)} completed, "
                          f"{len(result.failed)} failed and refunded, {len(result.resigned)} expired and requeued")
