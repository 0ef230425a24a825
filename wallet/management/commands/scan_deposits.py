import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet.custody.chain import ChainUnavailable


class Command(BaseCommand):
    help = "Read TRON blocks from the scan cursor (or a given range), record and credit USDT deposits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-block", type=int, default=None, help="start here instead of the cursor")
        parser.add_argument("--to-block", type=int, default=None, help="stop after this block")
        parser.add_argument("--max-blocks", type=int, default=None)

    def handle(self, *args: Any, from_block: int | None, to_block: int | None, max_blocks: int | None,
               **options: Any) -> None:
        from wallet.custody.deposits import deposits_scan

        bar = None
        if sys.stdout.isatty():
            from tqdm import tqdm

            bar = tqdm(unit="block")
        try:
            result = deposits_scan(from_block=from_block, to_block=to_block, max_blocks=max_blocks,
                                   progress=bar.update if bar else None)
        except ChainUnavailable as error:
            raise CommandError(f"the TRON node did not answer: {error}") from error
        finally:
            if bar:
                bar.close()
        if result.busy:
            self.stdout.write("another scan is running; nothing done")
            return
        per_block = result.node_calls / result.blocks_read if result.blocks_read else 0
        self.stdout.write(
            f"scanned blocks {result.from_block}..{result.to_block} (head {result.head}, confirmed "
            f"{result.confirmed}): {result.recorded} deposits recorded, {result.credited} credited, "
            f"{result.below_minimum} below minimum, {result.orphaned} orphaned; "
            f"{result.node_calls} node calls ({per_block:.2f}/block)"
            + (f"; stopped at block {result.stopped_at} ({result.stop_reason}), the next run reads it again"
               if result.stopped_at is not None else "")
        )
