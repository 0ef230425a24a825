import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the local TRON devnode (full-node HTTP API plus /devnode/ operator endpoints)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--block-time", type=float, default=3.0, help="seconds; 0 mines only on request")
        parser.add_argument("--solid-lag", type=int, default=19, help="blocks until a block is solidified")
        parser.add_argument("--snapshot", default=str(settings.BASE_DIR / ".data" / "devnode.json"),
                            help="state file, reloaded on restart; '' keeps state in memory only")
        parser.add_argument("--usdt", default=settings.USDT_CONTRACT, help="address of the USDT contract")

    def handle(self, *args, host: str, port: int, block_time: float, solid_lag: int, snapshot: str,
               usdt: str, **options):
        from wallet.devnode.server import Devnode

        node = Devnode(host=host, port=port, block_time=block_time, solid_lag=solid_lag,
                       snapshot_path=snapshot or None, usdt_address=usdt).start()
        info = node.chain.info()
        self.stdout.write(
            f"devnode on {node.url} head={info['head']} solid={info['solid']} usdt={info['usdt']} "
            f"block_time={block_time}s solid_lag={solid_lag}"
        )
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        node.stop()
        self.stdout.write("devnode stopped, state saved")
