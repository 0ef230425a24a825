from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet.custody.chain import ChainUnavailable


class Command(BaseCommand):
    help = "Send the TRX left on swept deposit addresses back to the gas wallet (signer; follows earlier reclaims)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be reclaimed, send nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        from wallet.custody.gas import gas_reclaim

        try:
            report = gas_reclaim(dry_run=dry_run)
        except ChainUnavailable as error:
            raise CommandError(f"the TRON node did not answer: {error}") from error
        prefix = "dry run: " if dry_run else ""
        line = (f"{prefix}{report.addresses} swept addresses hold {report.holding_sun / 10**6:.6f} TRX; "
                f"{len(report.planned)} to reclaim ({report.planned_sun / 10**6:.6f} TRX), {len(report.sent)} sent, "
                f"{len(report.confirmed)} earlier reclaims confirmed, {len(report.stuck)} stuck")
        if report.stuck:
            raise CommandError(line)
        self.stdout.write(line)
