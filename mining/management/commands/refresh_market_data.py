from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mining.services import market_data_refresh


class Command(BaseCommand):
    help = ("Fetch BTC price, difficulty, network hashrate, fees and height from the configured sources "
            "(falling back from one to the next), store the snapshot and refresh the price ticker. "
            "Exits non-zero when any value had to be carried over or is unknown.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = market_data_refresh()
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
