"""The devnode's HTTP face: java-tron's full-node endpoints plus operator endpoints under /devnode/."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tronpy.keys import to_base58check_address, to_hex_address

from . import faults
from .state import MAINNET_USDT, SUN, Chain, ChainView, JsonObject, Rejected, _hex_text

logger = logging.getLogger(__name__)

# A node endpoint answers from the chain or a lagging backend; an operator endpoint changes the chain.
NodeRoute = Callable[[ChainView, JsonObject], JsonObject | list[JsonObject]]
OperatorRoute = Callable[[Chain, JsonObject], JsonObject]


def _address(value: object) -> str:
    hex_address: str = to_hex_address(str(value))
    return hex_address


def _base58(hex_address: str) -> str:
    address: str = to_base58check_address(hex_address)
    return address


def _node_info(chain: ChainView, body: JsonObject) -> JsonObject:
    head, solid = chain.head, chain.block(chain.solid_number)
    assert solid is not None  # the solidified head is always a block of the chain
    return {
        "block": f"Num:{head['number']},ID:{head['id']}",
        "solidityBlock": f"Num:{solid['number']},ID:{solid['id']}",
        "beginSyncNum": 0, "activeConnectCount": 0, "currentConnectCount": 0,
        "configNodeInfo": {"codeVersion": "devnode"},
    }


def _get_account(chain: ChainView, body: JsonObject) -> JsonObject:
    hex_address = _address(body.get("address", ""))
    account = chain.account(hex_address)
    if account is None:
        return {}
    out: JsonObject = {"address": _base58(hex_address) if body.get("visible") else hex_address,
                       "create_time": account["create_time"]}
    if account["balance"]:
        out["balance"] = account["balance"]
    return out


def _account_resource(chain: ChainView, body: JsonObject) -> JsonObject:
    account = chain.account(_address(body.get("address", "")))
    if account is None:
        return {}
    return {"freeNetLimit": 600, "freeNetUsed": account["net_used"], "TotalEnergyLimit": 90_000_000_000}


def _get_contract(chain: ChainView, body: JsonObject) -> JsonObject:
    from wallet.custody.chain import TRC20_ABI

    contract_hex = _address(body.get("value", ""))
    token = chain.state["tokens"].get(contract_hex)
    if token is None:
        return {}
    return {"contract_address": contract_hex, "name": token["symbol"], "abi": {"entrys": TRC20_ABI},
            "bytecode": "", "consume_user_resource_percent": 100, "origin_energy_limit": 10_000_000}


def _trigger_constant(chain: ChainView, body: JsonObject) -> JsonObject:
    return chain.constant_call(
        _address(body.get("contract_address", "")), body.get("function_selector", ""), body.get("parameter", "")
    )


def _sign_weight(chain: ChainView, body: JsonObject) -> JsonObject:
    from .proto import txid_of

    try:
        txid = txid_of(body["raw_data"])
        owner = _address(body["raw_data"]["contract"][0]["parameter"]["value"]["owner_address"])
    except Exception as error:
        return {"result": {"code": "OTHER_ERROR", "message": _hex_text(str(error))}}
    out: JsonObject = {
        "result": {"code": "NOT_ENOUGH_PERMISSION"},
        "approved_list": [],
        "transaction": {"result": {"result": True}, "txid": txid,
                        "transaction": {"txID": txid, "raw_data": body["raw_data"],
                                        "signature": body.get("signature") or []}},
    }
    if chain.account(owner) is not None:
        out["permission"] = {"type": "Owner", "permission_name": "owner", "threshold": 1,
                             "keys": [{"address": owner, "weight": 1}]}
    return out


def _broadcast(chain: ChainView, body: JsonObject) -> JsonObject:
    try:
        txid = chain.broadcast(body)
    except Rejected as rejection:
        return {"result": False, "code": rejection.code, "txid": body.get("txID", ""),
                "message": _hex_text(rejection.message)}
    return {"result": True, "txid": txid}


def _tx_by_id(solid: bool) -> NodeRoute:
    def handler(chain: ChainView, body: JsonObject) -> JsonObject:
        txid = str(body.get("value", ""))
        number = chain.transaction_block(txid)
        if number is None or (solid and number > chain.solid_number):
            return {}
        return chain.transaction_json(txid)
    return handler


def _tx_info(solid: bool) -> NodeRoute:
    def handler(chain: ChainView, body: JsonObject) -> JsonObject:
        return chain.transaction_info(str(body.get("value", "")), solid=solid)
    return handler


def _block_infos(solid: bool) -> NodeRoute:
    def handler(chain: ChainView, body: JsonObject) -> list[JsonObject]:
        return chain.block_infos(int(body.get("num", -1)), solid=solid)
    return handler


def _block_by_num(solid: bool) -> NodeRoute:
    def handler(chain: ChainView, body: JsonObject) -> JsonObject:
        number = int(body.get("num", -1))
        if solid and number > chain.solid_number:
            return {}
        return chain.block_json(number)
    return handler


BLOCK_LIMIT = 100  # java-tron's GetBlockByLimitNextServlet answers {} for a longer range


def _blocks_by_range(solid: bool) -> NodeRoute:
    """Blocks startNum ≤ n < endNum, as java-tron answers: {} for a bad or too long range, and a
    backend lists only the blocks it has (a lagging one, or the solidity API, fewer)."""
    def handler(chain: ChainView, body: JsonObject) -> JsonObject:
        start, end = int(body.get("startNum", -1)), int(body.get("endNum", -1))
        if start < 0 or end <= start or end - start > BLOCK_LIMIT:
            return {}
        last = min(end - 1, chain.solid_number if solid else chain.head["number"])
        blocks = [block for block in (chain.block_json(n) for n in range(start, last + 1)) if block]
        return {"block": blocks} if blocks else {}
    return handler


def _block_by_id(chain: ChainView, body: JsonObject) -> JsonObject:
    value = str(body.get("value", ""))
    number = int(value[:16], 16) if len(value) == 64 else -1
    block = chain.block(number)
    return chain.block_json(number) if block and block["id"] == value else {}


def _now_block(solid: bool) -> NodeRoute:
    def handler(chain: ChainView, body: JsonObject) -> JsonObject:
        return chain.block_json(chain.solid_number if solid else chain.head["number"])
    return handler


def _chain_parameters(chain: ChainView, body: JsonObject) -> JsonObject:
    return {"chainParameter": [
        {"key": "getEnergyFee", "value": chain.energy_price},
        {"key": "getTransactionFee", "value": 1000},
        {"key": "getCreateAccountFee", "value": 100_000},
        {"key": "getCreateNewAccountFeeInSystemContract", "value": SUN},
    ]}


def _estimate_energy(chain: ChainView, body: JsonObject) -> JsonObject:
    return {"result": {"result": True}, "energy_required": 130_000}


NODE_ROUTES: dict[str, NodeRoute] = {
    "wallet/getnodeinfo": _node_info,
    "wallet/getaccount": _get_account,
    "walletsolidity/getaccount": _get_account,
    "wallet/getaccountresource": _account_resource,
    "wallet/getcontract": _get_contract,
    "wallet/triggerconstantcontract": _trigger_constant,
    "wallet/estimateenergy": _estimate_energy,
    "wallet/getsignweight": _sign_weight,
    "wallet/broadcasttransaction": _broadcast,
    "wallet/gettransactionbyid": _tx_by_id(False),
    "walletsolidity/gettransactionbyid": _tx_by_id(True),
    "wallet/gettransactioninfobyid": _tx_info(False),
    "walletsolidity/gettransactioninfobyid": _tx_info(True),
    "wallet/gettransactioninfobyblocknum": _block_infos(False),
    "walletsolidity/gettransactioninfobyblocknum": _block_infos(True),
    "wallet/getblockbynum": _block_by_num(False),
    "walletsolidity/getblockbynum": _block_by_num(True),
    "wallet/getblockbylimitnext": _blocks_by_range(False),
    "walletsolidity/getblockbylimitnext": _blocks_by_range(True),
    "wallet/getblockbyid": _block_by_id,
    "wallet/getnowblock": _now_block(False),
    "walletsolidity/getnowblock": _now_block(True),
    "wallet/getchainparameters": _chain_parameters,
}


# Operator endpoints ---------------------------------------------------------------------------


def _op_info(chain: Chain, body: JsonObject) -> JsonObject:
    return chain.info()


def _op_mine(chain: Chain, body: JsonObject) -> JsonObject:
    return chain.mine(int(body.get("blocks", 1)), advance_seconds=float(body.get("advance_seconds", 0)))


def _maybe_mine(chain: Chain, body: JsonObject, result: JsonObject) -> JsonObject:
    if body.get("mine"):
        result.update(chain.mine(int(body["mine"]) if not isinstance(body["mine"], bool) else 1))
    else:
        chain.save()
    return result


def _op_fund_trx(chain: Chain, body: JsonObject) -> JsonObject:
    txid = chain.send_trx(to=body["address"], amount_sun=int(body["amount"]))
    return _maybe_mine(chain, body, {"txid": txid})


def _op_mint(chain: Chain, body: JsonObject) -> JsonObject:
    txid = chain.send_token(to=body["address"], amount=int(body["amount"]), key_name="issuer",
                            token=body.get("token"))
    return _maybe_mine(chain, body, {"txid": txid})


def _op_deposit(chain: Chain, body: JsonObject) -> JsonObject:
    txid = chain.send_token(to=body["to"], amount=int(body["amount"]), key_name="outside",
                            token=body.get("token"), fail=body.get("fail"))
    return _maybe_mine(chain, body, {"txid": txid})


def _op_deposit_many(chain: Chain, body: JsonObject) -> JsonObject:
    """Many outside deposits, `per_block` to a block, mined at once (benchmarks)."""
    per_block = max(1, int(body.get("per_block", 10)))
    transfers = body.get("transfers", [])
    txids: list[str] = []
    with chain.lock:
        for start in range(0, len(transfers), per_block):
            for to, amount in transfers[start : start + per_block]:
                txids.append(chain.send_token(to=to, amount=int(amount), key_name="outside",
                                              token=body.get("token")))
            chain._mine_one()
        chain.save()
    return {"txids": txids, "head": chain.head["number"]}


def _op_create_token(chain: Chain, body: JsonObject) -> JsonObject:
    address = chain.create_token(name=body.get("name", "Tether USD"), symbol=body.get("symbol", "USDT"),
                                 decimals=int(body.get("decimals", 6)), address=body.get("address"))
    return {"address": address}


def _op_fault(chain: Chain, body: JsonObject) -> JsonObject:
    return {**chain.set_faults(**{key: body.get(key) for key in faults.DEFAULTS})}


def _op_fork(chain: Chain, body: JsonObject) -> JsonObject:
    depth = body.get("depth")
    return chain.fork(depth=None if depth is None else int(depth), txid=body.get("txid"),
                      reinclude=bool(body.get("reinclude")), deep=bool(body.get("deep")))


def _op_balances(chain: Chain, body: JsonObject) -> JsonObject:
    hex_address = _address(body["address"])
    account = chain.account(hex_address)
    return {
        "address": _base58(hex_address),
        "activated": account is not None,
        "trx_sun": account["balance"] if account else 0,
        "tokens": {_base58(c): t["balances"].get(hex_address, 0)
                   for c, t in chain.state["tokens"].items()},
    }


OPERATOR_ROUTES: dict[str, OperatorRoute] = {
    "devnode/info": _op_info,
    "devnode/mine": _op_mine,
    "devnode/fund_trx": _op_fund_trx,
    "devnode/mint_usdt": _op_mint,
    "devnode/deposit": _op_deposit,
    "devnode/deposit_many": _op_deposit_many,
    "devnode/create_token": _op_create_token,
    "devnode/fault": _op_fault,
    "devnode/fork": _op_fork,
    "devnode/balances": _op_balances,
}


class Handler(BaseHTTPRequestHandler):
    server: DevnodeHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each answer waits for a delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the signature is the base class's
        logger.debug("devnode %s", format % args)

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        chain = self.server.chain
        path = self.path.split("?", 1)[0].strip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with chain.lock:
            chain.requests[path] = chain.requests.get(path, 0) + 1
            node_call = path in NODE_ROUTES and self.server.serves(path, chain.state["faults"])
            answer = faults.error_answer(chain.state["faults"], path) if node_call else None
            backend = chain.balancer.backend(chain, path) if node_call else chain
        operator_call = path in OPERATOR_ROUTES and not self.server.solidity
        handler: Callable[[JsonObject], object]
        if operator_call:
            handler = partial(OPERATOR_ROUTES[path], chain)
        elif answer is not None:
            self._reply(*answer)
            return
        elif node_call:
            handler = partial(NODE_ROUTES[path], backend)
        else:
            self._reply(404, {"Error": f"unknown endpoint {path}"})
            return
        try:
            body = json.loads(raw) if raw.strip() else {}
            with chain.lock:
                result = handler(body)
        except Rejected as rejection:
            self._reply(400, {"Error": rejection.message, "code": rejection.code})
            return
        except Exception as error:
            if operator_call:
                self._reply(400, {"Error": str(error)})
                return
            logger.exception("devnode request %s failed", path)  # a node answers 200 with the error in the body
            self._reply(200, {"Error": f"class {type(error).__name__} : {error}"})
            return
        self._reply(200, result)

    def _reply(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# What java-tron's solidity port (HttpApiOnSolidityService) serves besides /walletsolidity/*.
SOLIDITY_PORT_EXTRAS = {"wallet/getnodeinfo"}


class DevnodeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], chain: Chain, *, solidity: bool = False) -> None:
        super().__init__(address, Handler)
        self.chain = chain
        self.solidity = solidity

    def serves(self, path: str, switches: faults.Faults) -> bool:
        """Whether this port answers a node endpoint (java-tron splits them over two ports)."""
        solidified = path.startswith("walletsolidity/")
        if self.solidity:
            return solidified or path in SOLIDITY_PORT_EXTRAS
        return not (solidified and switches["solidity_port_only"])


class Devnode:
    """A devnode in background threads: the HTTP server and, with block_time > 0, a block producer."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, block_time: float = 3.0, solid_lag: int = 19,
        snapshot_path: str | Path | None = None, usdt_address: str | None = None, energy_price: int = 100,
        solidity_port: int | None = None,
    ) -> None:
        """`solidity_port` (0: any free port) also serves /walletsolidity/* on a port of its own."""
        self.chain = Chain(solid_lag=solid_lag, snapshot_path=snapshot_path, energy_price=energy_price,
                           usdt_address=usdt_address or MAINNET_USDT)
        self.httpd = DevnodeHTTPServer((host, port), self.chain)
        self.solidity_httpd = (None if solidity_port is None else
                               DevnodeHTTPServer((host, solidity_port), self.chain, solidity=True))
        self.block_time = block_time
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return _url(self.httpd)

    @property
    def solidity_url(self) -> str | None:
        return None if self.solidity_httpd is None else _url(self.solidity_httpd)

    def start(self) -> Devnode:
        self._threads.append(threading.Thread(target=self.httpd.serve_forever, name="devnode-http", daemon=True))
        if self.solidity_httpd is not None:
            self._threads.append(threading.Thread(target=self.solidity_httpd.serve_forever,
                                                  name="devnode-http-solidity", daemon=True))
        if self.block_time > 0:
            self._threads.append(threading.Thread(target=self._produce, name="devnode-blocks", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def _produce(self) -> None:
        while not self._stop.wait(self.block_time):
            self.chain.mine(1)

    def stop(self) -> None:
        self._stop.set()
        for httpd in filter(None, (self.httpd, self.solidity_httpd)):
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.chain.save()


def _url(httpd: DevnodeHTTPServer) -> str:
    host, port = httpd.server_address[:2]
    # socketserver's types allow a bytes host; the devnode is always given a str
    return f"http://{host if isinstance(host, str) else host.decode()}:{port}/"
