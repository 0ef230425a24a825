import signal
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _fault(text: str) -> tuple[str, str | bool]:
    from devnode.faults import DEFAULTS

    defaults: Mapping[str, object] = DEFAULTS
    name, _, value = text.partition("=")
    if name not in defaults or not value:
        raise CommandError(f"--fault takes NAME=VALUE with NAME one of {', '.join(defaults)}")
    if isinstance(defaults[name], bool):
        return name, value.lower() in ("1", "true", "yes", "on")
    return name, value


class Command(BaseCommand):
    help = "Run the local TRON devnode (full-node HTTP API plus /devnode/ operator endpoints)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--solidity-port", type=int, default=None,
                            help="serve /walletsolidity/* only on this port, as java-tron does (e.g. 8091)")
        parser.add_argument("--block-time", type=float, default=3.0, help="seconds; 0 mines only on request")
        parser.add_argument("--solid-lag", type=int, default=19, help="blocks until a block is solidified")
        parser.add_argument("--snapshot", default=str(settings.BASE_DIR / ".data" / "devnode.json"),
                            help="state file, reloaded on restart; '' keeps state in memory only")
        parser.add_argument("--usdt", default=settings.USDT_CONTRACT, help="address of the USDT contract")
        parser.add_argument("--fault", action="append", default=[], metavar="NAME=VALUE",
                            help="arm a fault switch at start (see /devnode/fault), e.g. lagging_blocks=30")

    def handle(self, *args: Any, host: str, port: int, solidity_port: int | None, block_time: float, solid_lag: int,
               snapshot: str, usdt: str, fault: list[str], **options: Any) -> None:
        from devnode.server import Devnode

        switches = dict(_fault(text) for text in fault)
        node = Devnode(host=host, port=port, block_time=block_time, solid_lag=solid_lag,
                       snapshot_path=snapshot or None, usdt_address=usdt, solidity_port=solidity_port)
        node.chain.set_faults(solidity_port_only=solidity_port is not None, **switches)
        node.start()
        info = node.chain.info()
        solidity = f" solidity={node.solidity_url}" if node.solidity_url else ""
        self.stdout.write(
            f"devnode on {node.url}{solidity} head={info['head']} solid={info['solid']} usdt={info['usdt']} "
            f"block_time={block_time}s solid_lag={solid_lag}"
        )
        self.stdout.flush()
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        node.stop()
        self.stdout.write("devnode stopped, state saved")
