from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet.custody.chain import ChainUnavailable


class Command(BaseCommand):
    help = "Move USDT from deposit addresses holding at least SWEEP_THRESHOLD to the hot wallet (gas first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the addresses that would be swept")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        from wallet.custody.sweeps import deposits_sweep

        try:
            report = deposits_sweep(dry_run=dry_run)
        except ChainUnavailable as error:
            raise CommandError(f"the TRON node did not answer: {error}") from error
        prefix = "dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{report.candidates} addresses checked, {len(report.planned)} to sweep, "
            f"{len(report.gas_sent)} gas transfers sent, {len(report.sweeps_sent)} sweeps sent, "
            f"{len(report.completed)} completed, {len(report.failed)} failed"
        )
