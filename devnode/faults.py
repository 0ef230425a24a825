"""Switches that make the devnode answer the way production nodes and TronGrid really do.

All switches live in the chain's `faults` dict (kept in the snapshot) and are set through
`POST /devnode/fault` or `tron_devnode` options:

- `drop_broadcasts`: the next N broadcasts are acknowledged and then lost.
- `delay_blocks`: the next broadcast is packed only N blocks later.
- `http_errors` / `http_status`: the next N node calls answer that HTTP status (429, 503, ...).
- `error_bodies` (+ `error_path`): the next N node calls (or only calls to that path) answer
  HTTP 200 with java-tron's rate-limiter body.
- `lagging_blocks` (+ `lagging_path`): a second backend that many blocks behind serves every
  other node call (or every other call to that path), as behind a load balancer.
- `solidity_port_only`: `/walletsolidity/*` is served only on the solidity port; the full-node
  port answers 404 for it (java-tron's port layout).
- `block_interval_ms`: new blocks are stamped parent + N ms instead of by the wall clock, so that
  chain time and wall-clock time can drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from .state import Block, Chain, ChainView, JsonObject

# java-tron's RateLimiterServlet answer to a refused call, with HTTP status 200.
RATE_LIMIT_BODY = {"Error": "class java.lang.IllegalAccessException : lack of computing resources"}


class Faults(TypedDict):
    drop_broadcasts: int
    delay_blocks: int
    http_errors: int
    http_status: int
    error_bodies: int
    error_path: str
    lagging_blocks: int
    lagging_path: str
    solidity_port_only: bool
    block_interval_ms: int


DEFAULTS: Faults = {
    "drop_broadcasts": 0,
    "delay_blocks": 0,
    "http_errors": 0,
    "http_status": 503,
    "error_bodies": 0,
    "error_path": "",
    "lagging_blocks": 0,
    "lagging_path": "",
    "solidity_port_only": False,
    "block_interval_ms": 0,
}


def faults_set(faults: Faults, values: Mapping[str, Any]) -> Faults:
    """Apply the given switches (None leaves one as it is), each coerced to its default's type.

    `values` is what an operator sent (JSON or command-line options), so anything at all.
    """
    defaults: Mapping[str, object] = DEFAULTS
    for name, value in values.items():
        if name not in defaults or value is None:
            continue
        default = defaults[name]
        if isinstance(default, str):
            coerced: object = value.strip("/")
        elif isinstance(default, bool):
            coerced = bool(value)
        else:
            coerced = int(value)
        faults[name] = coerced  # type: ignore[literal-required]  # name is a key of DEFAULTS, coerced to its type
    return faults


def error_answer(faults: Faults, path: str) -> tuple[int, JsonObject] | None:
    """The (status, body) to answer instead of serving `path`, if an error switch is armed."""
    if faults["http_errors"] > 0:
        faults["http_errors"] -= 1
        status = faults["http_status"]
        return status, {"Error": "Too Many Requests" if status == 429 else "Service Unavailable"}
    if faults["error_bodies"] > 0 and faults["error_path"] in ("", path):
        faults["error_bodies"] -= 1
        return 200, dict(RATE_LIMIT_BODY)
    return None


class LaggingBackend:
    """The chain as a backend `lag` blocks behind sees it: nothing above its own head exists.

    Accounts and balances are the real backend's (only block, receipt and transaction reads lag),
    and a broadcast sent to it reaches the same pool.
    """

    def __init__(self, chain: Chain, lag: int):
        self._chain = chain
        self.height = max(0, chain.head["number"] - lag)

    def __getattr__(self, name: str) -> Any:  # everything else is the real backend's
        return getattr(self._chain, name)

    @property
    def head(self) -> Block:
        block = self._chain.block(self.height)
        assert block is not None  # the lagging head is at or below the real one
        return block

    @property
    def solid_number(self) -> int:
        return max(0, self.height - self._chain.solid_lag)

    def block(self, number: int) -> Block | None:
        return self._chain.block(number) if number <= self.height else None

    def block_json(self, number: int) -> JsonObject:
        return self._chain.block_json(number) if number <= self.height else {}

    def transaction_block(self, txid: str) -> int | None:
        number = self._chain.transaction_block(txid)
        return number if number is not None and number <= self.height else None

    def transaction_info(self, txid: str, *, solid: bool) -> JsonObject:
        number = self.transaction_block(txid)
        if number is None or (solid and number > self.solid_number):
            return {}
        return self._chain.transaction_info(txid, solid=False)

    def block_infos(self, number: int, *, solid: bool) -> list[JsonObject]:
        if number > (self.solid_number if solid else self.height):
            return []
        return self._chain.block_infos(number, solid=False)


class Balancer:
    """Round-robin between the real backend and, when armed, the lagging one (lagging first)."""

    def __init__(self) -> None:
        self.turn = 0

    def reset(self) -> None:
        self.turn = 0

    def backend(self, chain: Chain, path: str) -> ChainView:
        faults = chain.state["faults"]
        lag = faults["lagging_blocks"]
        if not lag or faults["lagging_path"] not in ("", path):
            return chain
        self.turn += 1
        return LaggingBackend(chain, lag) if self.turn % 2 == 1 else chain
