"""A local stand-in for CoinGecko, mempool.space and blockchain.info serving recorded responses.

It is a real HTTP server on 127.0.0.1 (httpx does its real parsing), with each outside service under
its own path prefix so that a test can take one of them down, slow it or make it talk nonsense.
"""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from wallet.tests.conftest import balance_of, invariants  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"

RECORDED = {
    "/coingecko/api/v3/simple/price": "coingecko_simple_price.json",
    "/mempool/api/v1/mining/hashrate/3d": "mempool_hashrate_3d.json",
    "/mempool/api/v1/difficulty-adjustment": "mempool_difficulty_adjustment.json",
    "/mempool/api/v1/mining/blocks/fees/24h": "mempool_fees_24h.json",
    "/mempool/api/blocks/tip/height": "mempool_tip_height.txt",
    "/bci/q/getdifficulty": "blockchain_info_getdifficulty.txt",
    "/bci/q/hashrate": "blockchain_info_hashrate.txt",
    "/bci/q/getblockcount": "blockchain_info_getblockcount.txt",
}


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


@dataclass
class Route:
    body: str
    status: int = 200
    delay_s: float = 0.0
    content_type: str = "application/json"


class StandIn:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.reset()

    def reset(self) -> None:
        self.routes = {
            path: Route(fixture_text(name), content_type="application/json" if name.endswith(".json")
                        else "text/plain")
            for path, name in RECORDED.items()
        }

    def set(self, path: str, body: str, *, status: int = 200, delay_s: float = 0.0) -> None:
        self.routes[path] = Route(body, status=status, delay_s=delay_s)

    def down(self, prefix: str, *, status: int = 503) -> None:
        """Every endpoint under `prefix` answers with an error status."""
        for path in self.routes:
            if path.startswith(prefix):
                self.routes[path] = Route("Service Unavailable", status=status, content_type="text/plain")

    def slow(self, prefix: str, *, delay_s: float) -> None:
        for path, route in self.routes.items():
            if path.startswith(prefix):
                route.delay_s = delay_s

    def garbage(self, prefix: str) -> None:
        for path in self.routes:
            if path.startswith(prefix):
                self.routes[path] = Route("<html><body>Rate limited. Try later.</body></html>",
                                          content_type="text/html")

    def hits(self, prefix: str) -> int:
        return sum(1 for path in self.requests if path.startswith(prefix))


def _handler(stand_in: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            path = urlsplit(self.path).path
            stand_in.requests.append(path)
            route = stand_in.routes.get(path, Route("Not Found", status=404, content_type="text/plain"))
            if route.delay_s:
                time.sleep(route.delay_s)
            body = route.body.encode()
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, which is the point of a slow route

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def market_server(settings):
    stand_in = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.COINGECKO_URL = base + "/coingecko"
    settings.MEMPOOL_URL = base + "/mempool"
    settings.BLOCKCHAIN_INFO_URL = base + "/bci"
    # Generous, so that a loaded test machine never times out a healthy stand-in by accident.
    settings.MARKET_HTTP_TIMEOUT_S = 3.0
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture
def catalogue(db):
    """The seeded ASIC catalogue. A transactional test anywhere in the suite empties every table
    (migration data included), so load it again the way the data migration does when it is gone."""
    from importlib import import_module

    from django.apps import apps

    from mining.models import AsicMiner

    if not AsicMiner.objects.exists():
        import_module("mining.migrations.0002_load_asic_catalogue").load(apps, None)
    return AsicMiner.objects.all()
