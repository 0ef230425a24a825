"""The chain client and the block reader against answers a node, a proxy or a load balancer really gives."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from tronpy.keys import PrivateKey

from wallet.custody import blocks
from wallet.custody.blocks import BlockUnproved, block_transfers, solid_blocks
from wallet.custody.chain import (
    TRANSFER_TOPIC,
    ChainClient,
    ChainUnavailable,
    chain_client,
    chain_clients_reset,
    receipt_read,
)

from .custody_fixtures import chain_settings, devnode  # noqa: F401

USDT = PrivateKey.random().public_key.to_base58check_address()
OTHER_TOKEN = PrivateKey.random().public_key.to_base58check_address()
NODE_INFO = {"block": "Num:12,ID:" + "0" * 64, "solidityBlock": "Num:8,ID:" + "0" * 64}
ERROR_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class ScriptedNode:
    """A local HTTP server that answers each path from a script, one answer a call.

    The last answer for a path is repeated; bytes are sent as an HTML page, anything else as JSON.
    """

    def __init__(self):
        self.script: dict[str, list] = defaultdict(list)
        self.calls: list[str] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.strip("/")
                node.calls.append(path)
                answers = node.script[path]
                answer = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else {}
                html = isinstance(answer, bytes)
                body = answer if html else json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if html else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def answer(self, path: str, *answers) -> None:
        self.script[path] = list(answers)

    def client(self, retries: int = 2) -> ChainClient:
        return ChainClient(url=self.url, usdt_contract=USDT, backoff=0.001, retries=retries, rate_limit=0)


@pytest.fixture
def node():
    scripted = ScriptedNode()
    thread = threading.Thread(target=scripted.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        scripted.server.shutdown()
        scripted.server.server_close()


# Retries ----------------------------------------------------------------------------------


def test_a_proxys_error_page_and_a_busy_server_are_asked_again(node):
    node.answer("wallet/getnodeinfo", ERROR_PAGE, {"code": "SERVER_BUSY"}, NODE_INFO)
    assert node.client().heights().head == 12
    assert node.calls == ["wallet/getnodeinfo"] * 3


def test_a_node_that_only_answers_error_pages_is_unavailable(node):
    node.answer("wallet/getnodeinfo", ERROR_PAGE)
    with pytest.raises(ChainUnavailable, match="wallet/getnodeinfo"):
        node.client(retries=2).heights()
    assert len(node.calls) == 3


def test_a_node_info_without_the_expected_fields_is_asked_again_then_refused(node):
    node.answer("wallet/getnodeinfo", {"block": "unknown"}, NODE_INFO)
    assert node.client().heights().solid == 8
    node.answer("wallet/getnodeinfo", {"block": "unknown"})
    with pytest.raises(ChainUnavailable, match="unusable answer"):
        node.client(retries=1).heights()


# Broadcasts -------------------------------------------------------------------------------


def test_a_refused_broadcast_keeps_the_nodes_code_and_message(node):
    node.answer("wallet/broadcasttransaction",
                {"result": False, "code": "SIGERROR", "message": b"Validate signature error".hex()})
    refused = node.client().broadcast({"txID": "ab" * 32, "raw_data": {}, "signature": []})
    assert (refused.accepted, refused.code, refused.message) == (False, "SIGERROR", "Validate signature error")
    # Some gateways put the message in plain words instead of java-tron's hex.
    node.answer("wallet/broadcasttransaction",
                {"result": False, "code": "CONTRACT_VALIDATE_ERROR", "message": "balance is not sufficient"})
    refused = node.client().broadcast({"txID": "ab" * 32, "raw_data": {}, "signature": []})
    assert (refused.accepted, refused.message) == (False, "balance is not sufficient")


# Receipts and transfer logs ---------------------------------------------------------------

TXID = "ab" * 32


def test_a_failed_trx_transfer_receipt_says_failed():
    receipt = receipt_read({"id": TXID, "blockNumber": 9, "result": "FAILED", "receipt": {"net_usage": 267}},
                           txid=TXID, contract_call=False)
    assert (receipt.succeeded, receipt.result, receipt.block_number) == (False, "FAILED", 9)


def _topic(address: str) -> str:
    from tronpy.keys import to_hex_address

    return "0" * 24 + to_hex_address(address)[2:]


def _receipt(txid: str, *logs, failed: bool = False) -> dict:
    info = {"id": txid, "blockNumber": 7, "receipt": {"result": "REVERT" if failed else "SUCCESS"}, "log": list(logs)}
    if failed:
        info["result"] = "FAILED"
    return info


def _transfer_log(contract: str, source: str, to: str, units: int, *, topic: str = TRANSFER_TOPIC) -> dict:
    from tronpy.keys import to_hex_address

    return {"address": to_hex_address(contract)[2:], "topics": [topic, _topic(source), _topic(to)],
            "data": f"{units:064x}"}


def test_only_usdt_transfer_logs_of_successful_receipts_are_transfers():
    client = ChainClient(url="http://127.0.0.1:1/", usdt_contract=USDT)
    sender, member = (PrivateKey.random().public_key.to_base58check_address() for _ in range(2))
    approval = "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
    base58_log = {**_transfer_log(USDT, sender, member, 2), "address": USDT}
    receipts = [
        _receipt("01" * 32, _transfer_log(USDT, sender, member, 1_000_000)),
        _receipt("02" * 32, _transfer_log(USDT, sender, member, 5), failed=True),
        _receipt("03" * 32, _transfer_log(USDT, sender, member, 7, topic=approval), base58_log),
        _receipt("04" * 32, _transfer_log(OTHER_TOKEN, sender, member, 9)),
        _receipt("05" * 32, {**_transfer_log(USDT, sender, member, 11), "address": "not an address"}),
    ]
    transfers = client.usdt_transfers_in(receipts, 7)
    assert [(t.txid, t.log_index, t.to_address, t.amount_units) for t in transfers] == [
        ("01" * 32, 0, member, 1_000_000),
        ("03" * 32, 1, member, 2),  # the contract named in base58, as some gateways do
    ]
    assert transfers[0].from_address == sender and transfers[0].block_number == 7


# Blocks -----------------------------------------------------------------------------------

BLOCK_7 = {"blockID": "07" * 32, "block_header": {"raw_data": {"number": 7}}, "transactions": []}


@pytest.mark.parametrize("receipts, block, reason", [
    ({"Result": "busy"}, BLOCK_7, "the node answered {'Result': 'busy'}"),
    ([{"id": TXID, "blockNumber": 6}], BLOCK_7, "the receipts are not this block's"),
    ([], {}, "the node does not have the block yet"),
    ([], {**BLOCK_7, "transactions": [{"txID": TXID}]}, "no receipts for a block of 1 transactions"),
])
def test_a_block_no_answer_proves_is_unproved_after_every_try(node, monkeypatch, receipts, block, reason):
    monkeypatch.setattr(blocks, "RETRY_PAUSE_S", 0)
    node.answer("wallet/gettransactioninfobyblocknum", receipts)
    node.answer("wallet/getblockbynum", block)
    with pytest.raises(BlockUnproved) as unproved:
        block_transfers(client=node.client(), number=7)
    assert unproved.value.number == 7 and unproved.value.reason.startswith(reason)
    assert node.calls.count("wallet/gettransactioninfobyblocknum") == blocks.ATTEMPTS


def test_an_empty_block_is_proved_by_the_block_itself(node):
    node.answer("wallet/gettransactioninfobyblocknum", [])
    node.answer("wallet/getblockbynum", BLOCK_7)
    assert block_transfers(client=node.client(), number=7) == []


def test_solidified_blocks_without_an_id_or_outside_the_range_are_left_out(node):
    node.answer("walletsolidity/getblockbylimitnext", {"block": [
        BLOCK_7,
        {"block_header": {"raw_data": {"number": 8}}},  # no blockID
        {"blockID": "09" * 32, "block_header": {"raw_data": {"number": "9"}}},
        {"blockID": "ff" * 32, "block_header": {"raw_data": {"number": 500}}},  # not asked for
        "junk",
    ]})
    assert solid_blocks(client=node.client(), numbers=[7, 8, 9]) == {7: BLOCK_7}


# The USDT contract ------------------------------------------------------------------------


def test_a_usdt_contract_with_other_decimals_is_refused(chain_settings, devnode):  # noqa: F811
    chain_settings.USDT_CONTRACT = devnode.op("create_token", name="Not Tether", symbol="USDT", decimals=18)["address"]
    chain_clients_reset()
    with pytest.raises(ImproperlyConfigured, match="has 18 decimals, expected 6"):
        chain_client()
