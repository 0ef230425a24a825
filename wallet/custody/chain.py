"""The one wrapper around tronpy. Every chain call of Phonix goes through ChainClient.

Only the full-node endpoints listed in the chain notes are used, so the same code runs against
the devnode, Nile, Shasta, TronGrid mainnet or any java-tron node; the node URL, API key, USDT
contract, fee limit and confirmation rule are settings; `/walletsolidity/*` goes to
TRON_SOLIDITY_URL. Node faults (timeouts, refused connections, any HTTP error, SERVER_BUSY, HTTP
200 error bodies such as java-tron's rate limiter's, answers missing what they must carry) are
retried here with exponential backoff and jitter, then raise ChainUnavailable; a client-side
token bucket keeps each process under the node's rate limit. Only a key the operator configured
is ever sent (never tronpy's built-in shared ones).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from tronpy import Tron
from tronpy.contract import Contract
from tronpy.exceptions import AddressNotFound, ApiError
from tronpy.keys import to_base58check_address, to_hex_address
from tronpy.providers import HTTPProvider
from tronpy.tron import Transaction

TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
# What a malformed or partial node answer raises inside tronpy or our parsing.
ANSWER_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, ApiError)
# A JSON object as a node sends it (or as tronpy builds it): its values are whatever JSON holds.
JsonObject = dict[str, Any]
Answer = TypeVar("Answer")


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]], mutability: str) -> JsonObject:
    return {"type": "function", "name": name, "stateMutability": mutability,
            "inputs": [{"name": n, "type": t} for n, t in inputs],
            "outputs": [{"name": n, "type": t} for n, t in outputs]}


# Shipped locally so that no `getcontract` call is needed (and every entry has stateMutability).
TRC20_ABI = [
    _fn("name", [], [("", "string")], "view"),
    _fn("symbol", [], [("", "string")], "view"),
    _fn("decimals", [], [("", "uint8")], "view"),
    _fn("totalSupply", [], [("", "uint256")], "view"),
    _fn("balanceOf", [("who", "address")], [("", "uint256")], "view"),
    _fn("transfer", [("to", "address"), ("value", "uint256")], [("", "bool")], "nonpayable"),
    {"type": "event", "name": "Transfer", "anonymous": False, "inputs": [
        {"name": "from", "type": "address", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "value", "type": "uint256", "indexed": False},
    ]},
]


class ChainUnavailable(Exception):
    """The node did not answer usefully after every retry; the caller retries later."""


@dataclass(frozen=True)
class Heights:
    head: int
    solid: int
    head_id: str
    solid_id: str


@dataclass(frozen=True)
class Receipt:
    """A mined transaction's receipt, read from an answer that proves it (see `receipt_read`)."""

    txid: str
    block_number: int
    result: str  # SUCCESS, or how it failed: REVERT, OUT_OF_ENERGY, FAILED, ...
    fee_sun: int
    raw: JsonObject

    @property
    def succeeded(self) -> bool:
        return self.result == "SUCCESS"


def receipt_read(answer: object, *, txid: str, contract_call: bool) -> Receipt | None:
    """The receipt in a `gettransactioninfobyid` answer, or None: "unknown, ask again".

    Nodes answer HTTP 200 with `{}` for what they lack (a lagging backend) and with error bodies
    when their rate limiter refuses, so an answer counts only when it names the asked txid and a
    block and says how the transaction ended. A contract call says so in `receipt.result`; a TRX
    transfer has no result there (java-tron omits the default value) and is mined only when
    valid, so its `contractResult` is enough.
    """
    if not isinstance(answer, dict) or answer.get("id") != txid:
        return None
    number = answer.get("blockNumber")
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        return None
    inner = answer.get("receipt")
    result = inner.get("result") if isinstance(inner, dict) else None
    if contract_call:
        if not isinstance(result, str) or not result:
            return None
    elif answer.get("result") == "FAILED":
        result = "FAILED"
    elif "contractResult" in answer or isinstance(inner, dict):
        result = "SUCCESS"
    else:
        return None
    if answer.get("result") == "FAILED" and result == "SUCCESS":
        return None  # contradicts itself: ask again
    return Receipt(txid=txid, block_number=number, result=result, fee_sun=int(answer.get("fee") or 0), raw=answer)


def is_contract_call(signed: JsonObject) -> bool:
    contracts = (signed.get("raw_data") or {}).get("contract") or [{}]
    return bool(contracts[0].get("type") == "TriggerSmartContract")


@dataclass(frozen=True)
class SolidBlock:
    """A solidified block as read with its transactions."""

    number: int
    timestamp: int
    txids: frozenset[str]


@dataclass(frozen=True)
class BroadcastResult:
    accepted: bool  # in the node's pool, or already known to it (DUP_TRANSACTION_ERROR)
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class UsdtTransfer:
    """A USDT Transfer log from a successful receipt."""

    txid: str
    log_index: int
    block_number: int
    from_address: str
    to_address: str
    amount_units: int


class RateLimiter:
    """At most `per_second` node calls in each clock second, counted in Redis across every process.

    TronGrid counts calls per API key, not per process, so the count is shared by all workers.
    """

    def __init__(self, per_second: float):
        self.limit = max(1, int(per_second)) if per_second > 0 else 0

    def acquire(self) -> None:
        if not self.limit:
            return
        while True:
            second = int(time.time())
            key = f"tron-node-calls:{second}"
            cache.add(key, 0, timeout=5)
            try:
                if cache.incr(key) <= self.limit:
                    return
            except ValueError:  # the key expired between add and incr: count again
                continue
            time.sleep(max(0.0, second + 1 - time.time()))


class PhonixProvider(HTTPProvider):  # type: ignore[misc]  # tronpy ships no type information
    """tronpy's HTTP provider with retries, backoff, a rate limit, a call counter, the solidity URL.

    `/walletsolidity/*` goes to `solidity_uri` (java-tron serves it on its own port). The API key
    is sent only when the operator configured one; tronpy's built-in shared keys never are.
    """

    def __init__(self, *, endpoint_uri: str, solidity_uri: str, api_key: str | None, timeout: float,
                 retries: int, backoff: float, limiter: RateLimiter):
        super().__init__(endpoint_uri=endpoint_uri, api_key=api_key or None, timeout=timeout)
        self.use_api_key = False  # tronpy's own key rotation would fall back to its shared keys
        self._api_keys: list[str] = []
        if api_key:
            self.sess.headers["TRON-PRO-API-KEY"] = api_key
        self.solidity_uri = solidity_uri
        self.retries = retries
        self.backoff = backoff
        self.limiter = limiter
        self.calls = 0

    def _post(self, method: str, params: JsonObject | None) -> Any:
        base = self.solidity_uri if method.startswith("walletsolidity/") else self.endpoint_uri
        response = self.sess.post(urljoin(base, method), json=params or {}, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def make_request(self, method: str, params: JsonObject | None = None) -> Any:
        """The node's parsed JSON answer (an object, or a list for some block reads)."""
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))
            self.limiter.acquire()
            self.calls += 1
            try:
                result = self._post(method, params)
            except (requests.Timeout, requests.ConnectionError, requests.HTTPError) as error:
                last_error = error  # any HTTP error, 404 from a port that lacks the path included
                continue
            except ValueError as error:  # a body that is not JSON: a proxy's error page
                last_error = error
                continue
            if isinstance(result, dict) and result.get("code") == "SERVER_BUSY":
                last_error = ChainUnavailable("SERVER_BUSY")
                continue
            if isinstance(result, dict) and "Error" in result:
                # HTTP 200 with an error body: java-tron's rate limiter or a servlet's exception.
                last_error = ChainUnavailable(str(result["Error"])[:200])
                continue
            return result
        raise ChainUnavailable(f"{method}: {last_error}") from last_error


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"  # urljoin drops the last path segment otherwise


class ChainClient:
    def __init__(self, *, url: str, api_key: str = "", usdt_contract: str, timeout: float = 10.0,
                 retries: int = 4, backoff: float = 0.5, rate_limit: float = 12.0, solidity_url: str = ""):
        url = _with_slash(url)
        self.provider = PhonixProvider(endpoint_uri=url, solidity_uri=_with_slash(solidity_url or url),
                                       api_key=api_key, timeout=timeout, retries=retries, backoff=backoff,
                                       limiter=RateLimiter(rate_limit))
        self.tron = Tron(provider=self.provider)
        self.usdt_address: str = to_base58check_address(usdt_contract)
        self.usdt_hex: str = to_hex_address(usdt_contract)
        self.usdt = Contract(addr=self.usdt_address, abi=TRC20_ABI, client=self.tron)

    @property
    def calls(self) -> int:
        return self.provider.calls

    def request(self, method: str, params: JsonObject | None = None) -> Any:
        return self.provider.make_request(method, params or {})

    def _retrying(self, what: str, attempt: Callable[[], Answer]) -> Answer:
        """Call `attempt` until the node's answer has the shape it needs (bounded, with backoff)."""
        provider = self.provider
        for number in range(provider.retries + 1):
            if number:
                time.sleep(provider.backoff * 2 ** (number - 1) * (1 + random.random() / 2))
            try:
                return attempt()
            except ANSWER_ERRORS as error:
                last_error = error
        raise ChainUnavailable(f"{what}: unusable answer ({type(last_error).__name__}: {last_error})")

    # Reads --------------------------------------------------------------------------------

    def heights(self) -> Heights:
        def attempt() -> Heights:
            info = self.request("wallet/getnodeinfo")
            head_num, head_id = info["block"].replace("Num:", "", 1).split(",ID:", 1)
            solid_num, solid_id = info["solidityBlock"].replace("Num:", "", 1).split(",ID:", 1)
            return Heights(head=int(head_num), solid=int(solid_num), head_id=head_id, solid_id=solid_id)
        return self._retrying("wallet/getnodeinfo", attempt)

    def block_timestamp(self, number: int) -> int | None:
        block = self.request("wallet/getblockbynum", {"num": number})
        return block.get("block_header", {}).get("raw_data", {}).get("timestamp") if block else None

    def block_receipts(self, number: int) -> list[JsonObject]:
        result = self.request("wallet/gettransactioninfobyblocknum", {"num": number})
        return result if isinstance(result, list) else []

    def usdt_transfers(self, number: int) -> list[UsdtTransfer]:
        """USDT Transfer logs of one block, from successful receipts only (one node call)."""
        return self.usdt_transfers_in(self.block_receipts(number), number)

    def usdt_transfers_in(self, receipts: list[JsonObject], number: int) -> list[UsdtTransfer]:
        """The USDT Transfer logs of successful receipts among `receipts` of block `number`."""
        transfers = []
        for info in receipts:
            if info.get("result") == "FAILED" or info.get("receipt", {}).get("result") != "SUCCESS":
                continue
            for index, log in enumerate(info.get("log") or []):
                topics = log.get("topics") or []
                if len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
                    continue
                if _log_address_hex(log.get("address", "")) != self.usdt_hex:
                    continue  # another token, whatever it calls itself
                transfers.append(UsdtTransfer(
                    txid=info["id"], log_index=index, block_number=number,
                    from_address=to_base58check_address("41" + topics[1][-40:]),
                    to_address=to_base58check_address("41" + topics[2][-40:]),
                    amount_units=int(log.get("data") or "0", 16),
                ))
        return transfers

    def usdt_balance(self, address: str) -> int:
        return int(self.usdt.functions.balanceOf(address))

    def usdt_decimals(self) -> int:
        return int(self.usdt.functions.decimals())

    def trx_balance(self, address: str) -> int:
        """TRX in sun; an account that was never activated holds 0."""
        try:
            return int(self.tron.get_account(address).get("balance", 0))
        except AddressNotFound:
            return 0

    def receipt(self, txid: str, *, solid: bool, contract_call: bool = True) -> Receipt | None:
        """The receipt if the node proves one; None means unknown (not "absent")."""
        path = "walletsolidity/gettransactioninfobyid" if solid else "wallet/gettransactioninfobyid"
        return receipt_read(self.request(path, {"value": txid}), txid=txid, contract_call=contract_call)

    def solid_block(self, number: int | None = None) -> SolidBlock | None:
        """A solidified block (the solidified head without a number), or None if the node lacks it."""
        if number is None:
            block = self.request("walletsolidity/getnowblock")
        else:
            block = self.request("walletsolidity/getblockbynum", {"num": number})
        try:
            header = block["block_header"]["raw_data"]
            read = SolidBlock(number=int(header.get("number", 0)), timestamp=int(header["timestamp"]),
                              txids=frozenset(t["txID"] for t in block.get("transactions") or []))
        except ANSWER_ERRORS:
            return None
        return read if number is None or read.number == number else None

    # Transactions -------------------------------------------------------------------------

    def build_usdt_transfer(self, *, owner: str, to: str, amount_units: int, fee_limit: int,
                            expiration_seconds: int) -> Transaction:
        def attempt() -> Transaction:
            builder = self.usdt.functions.transfer(to, amount_units).with_owner(owner)
            return builder.fee_limit(fee_limit).expiration(expiration_seconds * 1000).build()
        return self._retrying("build a USDT transfer", attempt)

    def build_trx_transfer(self, *, owner: str, to: str, amount_sun: int, expiration_seconds: int) -> Transaction:
        def attempt() -> Transaction:
            return self.tron.trx.transfer(owner, to, amount_sun).expiration(expiration_seconds * 1000).build()
        return self._retrying("build a TRX transfer", attempt)

    def broadcast(self, signed: JsonObject) -> BroadcastResult:
        """Send stored signed bytes. Re-sending the same bytes is always safe."""
        payload: JsonObject = {key: signed[key] for key in ("txID", "raw_data", "signature") if key in signed}
        result = self.request("wallet/broadcasttransaction", payload)
        if result.get("result") is True:
            return BroadcastResult(accepted=True)
        code = result.get("code", "") or ("ERROR" if "Error" in result else "")
        try:
            message = bytes.fromhex(result.get("message", "")).decode(errors="replace")
        except ValueError:
            message = result.get("message", "") or result.get("Error", "")
        if code == "DUP_TRANSACTION_ERROR":
            return BroadcastResult(accepted=True, code=code, message=message)
        return BroadcastResult(accepted=False, code=code, message=message)


def _log_address_hex(address: str) -> str:
    """Receipts give a log's contract as 20-byte hex; accept the 41-prefixed and base58 forms too."""
    if len(address) == 40:
        return "41" + address.lower()
    try:
        hex_address: str = to_hex_address(address)
    except Exception:
        return ""
    return hex_address


_clients: dict[tuple[str, str, str, str], ChainClient] = {}
_clients_lock = threading.Lock()


def chain_client() -> ChainClient:
    """The process's client for the configured node; the USDT contract's decimals are checked once."""
    key = (settings.TRON_NODE_URL, settings.TRON_SOLIDITY_URL, settings.TRON_API_KEY, settings.USDT_CONTRACT)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            return client
    client = ChainClient(
        url=settings.TRON_NODE_URL, solidity_url=settings.TRON_SOLIDITY_URL or settings.TRON_NODE_URL,
        api_key=settings.TRON_API_KEY,
        usdt_contract=settings.USDT_CONTRACT,
        timeout=settings.TRON_TIMEOUT, retries=settings.TRON_RETRIES, backoff=settings.TRON_RETRY_BACKOFF,
        rate_limit=settings.TRON_RATE_LIMIT_PER_SECOND,
    )
    decimals = client.usdt_decimals()
    if decimals != settings.USDT_DECIMALS:
        raise ImproperlyConfigured(
            f"USDT_CONTRACT {settings.USDT_CONTRACT} has {decimals} decimals, expected {settings.USDT_DECIMALS}"
        )
    with _clients_lock:
        _clients[key] = client
    return client


def api_key_warning() -> str:
    """Why the configured node will refuse or throttle us, for /healthz and the worker's start-up log."""
    urls = (settings.TRON_NODE_URL, settings.TRON_SOLIDITY_URL)
    if not settings.TRON_API_KEY and any("trongrid" in (url or "").lower() for url in urls):
        return ("TRON_API_KEY is not set for a TronGrid URL: calls go without a key and TronGrid "
                "rate-limits them heavily; set TRON_API_KEY")
    return ""


def api_key_warning_log() -> None:
    """Said once when a worker starts, so that a missing key is seen before TronGrid throttles."""
    import logging

    warning = api_key_warning()
    if warning:
        logging.getLogger(__name__).warning(warning)


def chain_clients_reset() -> None:
    with _clients_lock:
        _clients.clear()


def tronscan_url(txid: str) -> str:
    return settings.TRON_EXPLORER_TX_URL.format(txid=txid) if txid else ""
