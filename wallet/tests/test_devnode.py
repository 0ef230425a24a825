"""The devnode, driven through unmodified tronpy."""

import pytest
import requests
from tronpy import Tron
from tronpy.contract import Contract
from tronpy.exceptions import BadSignature, TransactionError, TvmError, ValidationError
from tronpy.keys import PrivateKey
from tronpy.proto import calculate_txid_from_raw_data
from tronpy.providers import HTTPProvider

from devnode.server import Devnode
from devnode.state import ACCOUNT_CREATE_FEE, ENERGY_TRANSFER_NEW_HOLDER
from wallet.custody.chain import TRC20_ABI, ChainClient, ChainUnavailable

from .custody_fixtures import SOLID_LAG, SUN, devnode  # noqa: F401


@pytest.fixture
def tron(devnode):  # noqa: F811
    return Tron(HTTPProvider(endpoint_uri=devnode.url, timeout=10))


@pytest.fixture
def funded(devnode):  # noqa: F811
    """A key holding 1,000 TRX and 500 USDT, solidified."""
    key = PrivateKey.random()
    address = key.public_key.to_base58check_address()
    devnode.op("fund_trx", address=address, amount=1000 * SUN)
    devnode.op("mint_usdt", address=address, amount=500 * SUN)
    devnode.solidify()
    return key, address


def _usdt(tron, devnode):  # noqa: F811
    return Contract(addr=devnode.usdt, abi=TRC20_ABI, client=tron)


def _new_address() -> str:
    return PrivateKey.random().public_key.to_base58check_address()


def test_usdt_transfer_signed_by_tronpy_moves_balances_and_emits_transfer_log(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    to = _new_address()
    usdt = _usdt(tron, devnode)
    txn = usdt.functions.transfer(to, 12_345_678).with_owner(owner).fee_limit(50 * SUN).build().sign(key)
    assert txn.txid == calculate_txid_from_raw_data(txn._raw_data)  # protobuf hash, as java-tron computes
    sent = txn.broadcast()
    devnode.mine()
    assert sent.result() is True
    receipt = tron.get_transaction_info(sent.txid)
    assert receipt["receipt"]["result"] == "SUCCESS"
    assert receipt["receipt"]["energy_usage_total"] == ENERGY_TRANSFER_NEW_HOLDER
    event = list(usdt.events.Transfer.parse_logs(
        [{**log, "address": devnode.usdt} for log in receipt["log"]]
    ))[0]
    assert event["args"]["value"] == 12_345_678
    assert usdt.functions.balanceOf(to) == 12_345_678
    assert usdt.functions.balanceOf(owner) == 500 * SUN - 12_345_678
    assert usdt.functions.decimals() == 6
    # The energy was paid by burning TRX at 100 sun per unit.
    assert tron.get_account_balance(owner) * SUN == 1000 * SUN - receipt["fee"]


def test_a_signature_by_another_key_is_refused(devnode, tron, funded):  # noqa: F811
    _key, owner = funded
    txn = _usdt(tron, devnode).functions.transfer(_new_address(), 1).with_owner(owner).build()
    intruder = PrivateKey.random()
    txn.set_signature([intruder.sign_msg_hash(bytes.fromhex(txn.txid)).hex()])
    with pytest.raises(BadSignature):
        txn.broadcast()


def test_receipts_reach_the_solidity_endpoints_only_after_the_lag(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    sent = tron.trx.transfer(owner, _new_address(), 5 * SUN).build().sign(key).broadcast()
    assert tron.provider.make_request("wallet/gettransactioninfobyid", {"value": sent.txid}) == {}
    devnode.mine()
    assert tron.get_transaction_info(sent.txid)["blockNumber"] > 0
    devnode.mine(SOLID_LAG - 1)
    assert tron.provider.make_request("walletsolidity/gettransactioninfobyid", {"value": sent.txid}) == {}
    devnode.mine()
    assert tron.get_solid_transaction_info(sent.txid)["id"] == sent.txid
    head, solid = tron.get_latest_block_number(), tron.get_latest_solid_block_number()
    assert head - solid == SOLID_LAG


def test_trx_to_a_new_address_activates_it_and_burns_the_creation_fee(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    to = _new_address()
    assert ChainClient(url=devnode.url, usdt_contract=devnode.usdt).trx_balance(to) == 0
    tron.trx.transfer(owner, to, 3 * SUN).build().sign(key).broadcast()
    devnode.mine()
    assert tron.get_account_balance(to) == 3
    assert devnode.trx_of(owner) == 1000 * SUN - 3 * SUN - ACCOUNT_CREATE_FEE - 100_000


def test_a_too_small_fee_limit_runs_out_of_energy_and_still_burns(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    usdt = _usdt(tron, devnode)
    sent = usdt.functions.transfer(_new_address(), SUN).with_owner(owner).fee_limit(10 * SUN).build().sign(key).broadcast()
    devnode.mine()
    with pytest.raises(TvmError):
        sent.result()
    receipt = tron.get_transaction_info(sent.txid)
    assert receipt["receipt"]["result"] == "OUT_OF_ENERGY"
    assert receipt["result"] == "FAILED" and "log" not in receipt
    assert usdt.functions.balanceOf(owner) == 500 * SUN
    assert receipt["receipt"]["energy_fee"] == 10 * SUN


def test_a_transfer_above_the_balance_reverts(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    sent = _usdt(tron, devnode).functions.transfer(_new_address(), 501 * SUN).with_owner(owner).build().sign(key).broadcast()
    devnode.mine()
    receipt = tron.get_transaction_info(sent.txid)
    assert receipt["receipt"]["result"] == "REVERT"
    with pytest.raises(TvmError, match="exceeds balance"):
        sent.result()


def test_an_account_that_was_never_activated_cannot_send(devnode, tron):  # noqa: F811
    key = PrivateKey.random()
    address = key.public_key.to_base58check_address()
    devnode.op("mint_usdt", address=address, amount=SUN, mine=True)  # TRC20 does not activate
    txn = _usdt(tron, devnode).functions.transfer(_new_address(), 1).with_owner(address).build().sign(key)
    with pytest.raises(ValidationError, match="no OwnerAccount"):
        txn.broadcast()


def test_an_expired_transaction_is_refused(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    txn = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key)
    devnode.mine(advance_seconds=120)  # the node's clock passes the 60 s expiration
    with pytest.raises(TransactionError, match="expired"):
        txn.broadcast()


def test_the_same_bytes_broadcast_twice_are_one_transaction(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    txn = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key)
    client = ChainClient(url=devnode.url, usdt_contract=devnode.usdt)
    assert client.broadcast(txn.to_json()).accepted
    again = client.broadcast(txn.to_json())
    assert again.accepted and again.code == "DUP_TRANSACTION_ERROR"
    devnode.mine()
    assert len(devnode.chain.block(devnode.chain.head["number"])["txids"]) == 1


def test_a_dropped_broadcast_is_acknowledged_but_never_mined(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    devnode.op("fault", drop_broadcasts=1)
    sent = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    assert sent["result"] is True
    devnode.mine(3)
    assert tron.provider.make_request("wallet/gettransactioninfobyid", {"value": sent.txid}) == {}


def test_delayed_inclusion_waits_the_given_number_of_blocks(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    devnode.op("fault", delay_blocks=3)
    sent = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.mine(3)
    assert tron.provider.make_request("wallet/gettransactioninfobyid", {"value": sent.txid}) == {}
    devnode.mine()
    assert tron.get_transaction_info(sent.txid)["blockNumber"] == devnode.chain.head["number"]


@pytest.mark.parametrize("status", [429, 503])
def test_error_answers_reach_tronpy_and_are_retried_by_the_chain_client(devnode, tron, status):  # noqa: F811
    devnode.op("fault", http_errors=2, http_status=status)
    with pytest.raises(requests.HTTPError):
        tron.get_latest_block_number()
    client = ChainClient(url=devnode.url, usdt_contract=devnode.usdt, backoff=0.01, retries=3)
    assert client.heights().head == devnode.chain.head["number"]  # one more error, then an answer
    assert client.calls == 2
    devnode.op("fault", http_errors=5, http_status=status)
    with pytest.raises(ChainUnavailable):
        client.heights()


def test_a_fork_of_the_unsolidified_tail_undoes_its_transactions(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    to = _new_address()
    sent = _usdt(tron, devnode).functions.transfer(to, 7 * SUN).with_owner(owner).fee_limit(50 * SUN).build().sign(key).broadcast()
    devnode.mine(2)
    head_before = devnode.chain.head
    assert devnode.usdt_of(to) == 7 * SUN
    result = devnode.op("fork")
    assert sent.txid in result["removed"]
    assert result["head"] == head_before["number"]
    assert devnode.chain.head["id"] != head_before["id"]
    assert devnode.usdt_of(to) == 0 and devnode.usdt_of(owner) == 500 * SUN
    assert devnode.trx_of(owner) == 1000 * SUN
    assert tron.provider.make_request("wallet/gettransactioninfobyid", {"value": sent.txid}) == {}


def test_a_fork_can_put_the_transactions_back_in_a_new_block(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    to = _new_address()
    sent = tron.trx.transfer(owner, to, 2 * SUN).build().sign(key).broadcast()
    devnode.mine()
    first_block = tron.get_block(tron.get_transaction_info(sent.txid)["blockNumber"])["blockID"]
    devnode.op("fork", reinclude=True)
    again = tron.get_block(tron.get_transaction_info(sent.txid)["blockNumber"])
    assert again["blockID"] != first_block
    assert [t["txID"] for t in again["transactions"]] == [sent.txid]
    assert tron.get_account_balance(to) == 2


def test_solidified_blocks_cannot_be_forked(devnode, funded):  # noqa: F811
    solid_id = devnode.chain.block(devnode.chain.solid_number)["id"]
    devnode.op("fork", depth=100)
    assert devnode.chain.block(devnode.chain.solid_number)["id"] == solid_id


def test_state_survives_a_restart_from_the_snapshot(tmp_path):
    path = tmp_path / "node.json"
    node = Devnode(port=0, block_time=0, solid_lag=2, snapshot_path=path).start()
    try:
        to = _new_address()
        node.chain.send_token(to=to, amount=9 * SUN)
        node.chain.mine(3)
        head = node.chain.head
        usdt = node.chain.info()["usdt"]
    finally:
        node.stop()
    again = Devnode(port=0, block_time=0, solid_lag=2, snapshot_path=path).start()
    try:
        client = ChainClient(url=again.url, usdt_contract=usdt)
        assert client.heights().head == head["number"]
        assert client.heights().head_id == head["id"]
        assert client.usdt_balance(to) == 9 * SUN
        again.chain.mine(1)
        assert client.heights().head == head["number"] + 1
    finally:
        again.stop()


def test_the_block_producer_mines_on_its_own():
    node = Devnode(port=0, block_time=0.05, solid_lag=2).start()
    try:
        import time

        deadline = time.time() + 5
        while node.chain.head["number"] < 3 and time.time() < deadline:
            time.sleep(0.05)
        assert node.chain.head["number"] >= 3
    finally:
        node.stop()


def test_blocks_and_node_info_have_the_java_tron_shape(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    devnode.mine()
    empty = tron.get_block(devnode.chain.head["number"])
    assert "transactions" not in empty
    tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.mine()
    block = tron.get_block(devnode.chain.head["number"])
    assert len(block["transactions"]) == 1 and block["transactions"][0]["ret"][0]["contractRet"] == "SUCCESS"
    assert block["blockID"][:16] == f"{devnode.chain.head['number']:016x}"
    assert tron.get_block(block["blockID"])["blockID"] == block["blockID"]
    receipts = tron.provider.make_request("wallet/gettransactioninfobyblocknum", {"num": block["block_header"]["raw_data"]["number"]})
    assert [r["id"] for r in receipts] == [block["transactions"][0]["txID"]]


def test_the_tron_devnode_command_serves_and_keeps_its_state_across_restarts(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys

    from django.conf import settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    snapshot = tmp_path / "node.json"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        solidity_port = sock.getsockname()[1]
    command = [sys.executable, "manage.py", "tron_devnode", "--port", str(port), "--block-time", "0",
               "--solid-lag", "2", "--snapshot", str(snapshot), "--solidity-port", str(solidity_port)]
    url = f"http://127.0.0.1:{port}/"

    def start(*options):
        process = subprocess.Popen([*command, *options], cwd=settings.BASE_DIR, env=os.environ.copy(),
                                   stdout=subprocess.PIPE, text=True)
        assert "devnode on" in process.stdout.readline()
        return process

    def stop(process):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    process = start("--fault", "error_bodies=1")
    try:
        assert "Error" in requests.post(url + "wallet/getnodeinfo", timeout=10).json()
        assert requests.post(url + "walletsolidity/getnowblock", timeout=10).status_code == 404
        solid = requests.post(f"http://127.0.0.1:{solidity_port}/walletsolidity/getnowblock", timeout=10)
        assert solid.status_code == 200
        requests.post(url + "devnode/mine", json={"blocks": 5}, timeout=10).raise_for_status()
        head = Tron(HTTPProvider(endpoint_uri=url)).get_latest_block_id()
    finally:
        stop(process)
    process = start()
    try:
        assert Tron(HTTPProvider(endpoint_uri=url)).get_latest_block_id() == head
    finally:
        stop(process)


# Answers of the real network --------------------------------------------------------------


def _post(url: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.post(url + path, json=body or {}, timeout=10)


def test_error_bodies_answer_http_200_with_the_rate_limiter_message_on_any_endpoint(devnode, funded):  # noqa: F811
    devnode.fault(error_bodies=2)
    for url, path in ((devnode.url, "wallet/getnodeinfo"), (devnode.solidity_url, "walletsolidity/getnowblock")):
        answer = _post(url, path)
        assert answer.status_code == 200
        assert answer.json() == {"Error": "class java.lang.IllegalAccessException : lack of computing resources"}
    assert "block" in _post(devnode.url, "wallet/getnodeinfo").json()


def test_error_bodies_can_be_aimed_at_one_path(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    sent = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.solidify()
    devnode.fault(error_bodies=1, error_path="walletsolidity/gettransactioninfobyid")
    assert "block" in _post(devnode.url, "wallet/getnodeinfo").json()
    path = "walletsolidity/gettransactioninfobyid"
    assert "Error" in _post(devnode.url, path, {"value": sent.txid}).json()
    assert _post(devnode.url, path, {"value": sent.txid}).json()["id"] == sent.txid


def test_a_lagging_backend_is_served_round_robin_and_lacks_the_newest_blocks(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    devnode.mine(10)
    sent = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.mine()
    head = devnode.chain.head["number"]
    devnode.fault(lagging_blocks=3)
    # Calls alternate: the lagging backend first, then the real one.
    lagging, real = _post(devnode.url, "wallet/getnodeinfo").json(), _post(devnode.url, "wallet/getnodeinfo").json()
    assert lagging["block"].startswith(f"Num:{head - 3},")
    assert lagging["solidityBlock"].startswith(f"Num:{head - 3 - SOLID_LAG},")
    assert real["block"].startswith(f"Num:{head},")
    for path, body, missing in (
        ("wallet/getblockbynum", {"num": head}, {}),
        ("wallet/gettransactioninfobyblocknum", {"num": head}, []),
        ("wallet/gettransactioninfobyid", {"value": sent.txid}, {}),
        ("wallet/gettransactionbyid", {"value": sent.txid}, {}),
    ):
        assert _post(devnode.url, path, body).json() == missing, path
        assert _post(devnode.url, path, body).json() != missing, path
    now = _post(devnode.url, "wallet/getnowblock").json()
    assert now["block_header"]["raw_data"]["number"] == head - 3
    devnode.fault(lagging_blocks=0)
    assert _post(devnode.url, "wallet/getblockbynum", {"num": head}).json()["blockID"]


def test_a_lagging_backend_can_be_aimed_at_one_path(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    sent = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.solidify()
    devnode.fault(lagging_blocks=30, lagging_path="walletsolidity/gettransactioninfobyid")
    assert _post(devnode.url, "wallet/getnodeinfo").json()["block"].startswith(f"Num:{devnode.chain.head['number']},")
    path = "walletsolidity/gettransactioninfobyid"
    assert _post(devnode.url, path, {"value": sent.txid}).json() == {}
    assert _post(devnode.url, path, {"value": sent.txid}).json()["id"] == sent.txid


def test_the_java_tron_port_layout_serves_walletsolidity_only_on_the_solidity_port(devnode, funded):  # noqa: F811
    assert _post(devnode.url, "walletsolidity/getnowblock").status_code == 200  # TronGrid: one host
    devnode.fault(solidity_port_only=True)
    assert _post(devnode.url, "walletsolidity/getnowblock").status_code == 404
    assert _post(devnode.url, "wallet/getnowblock").status_code == 200
    solid = _post(devnode.solidity_url, "walletsolidity/getnowblock")
    assert solid.status_code == 200
    assert solid.json()["block_header"]["raw_data"]["number"] == devnode.chain.solid_number
    assert "solidityBlock" in _post(devnode.solidity_url, "wallet/getnodeinfo").json()
    assert _post(devnode.solidity_url, "wallet/broadcasttransaction").status_code == 404
    assert _post(devnode.solidity_url, "devnode/info").status_code == 404


def test_a_deep_fork_removes_a_solidified_transaction_and_undoes_its_transfer(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    to, other = _new_address(), _new_address()
    usdt = _usdt(tron, devnode)
    gone = usdt.functions.transfer(to, 40 * SUN).with_owner(owner).fee_limit(50 * SUN).build().sign(key).broadcast()
    kept = tron.trx.transfer(owner, other, 2 * SUN).build().sign(key).broadcast()
    devnode.mine()
    devnode.mine(SOLID_LAG + 2)
    number = tron.get_transaction_info(gone.txid)["blockNumber"]
    assert number < devnode.chain.solid_number and devnode.usdt_of(to) == 40 * SUN
    refused = requests.post(devnode.url + "devnode/fork", json={"txid": gone.txid}, timeout=10)
    assert refused.status_code == 400  # a normal fork never reaches below the solidified head
    head = devnode.chain.head["number"]
    result = devnode.op("fork", txid=gone.txid, deep=True, reinclude=True)
    assert gone.txid in result["removed"] and result["head"] == head
    assert tron.provider.make_request("walletsolidity/gettransactioninfobyid", {"value": gone.txid}) == {}
    assert devnode.usdt_of(to) == 0 and devnode.usdt_of(owner) == 500 * SUN
    assert tron.get_transaction_info(kept.txid)["blockNumber"] == number  # put back in the new block
    assert tron.get_account_balance(other) == 2


def test_a_fork_can_be_limited_to_the_given_depth(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    early = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.mine()
    late = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key).broadcast()
    devnode.mine()
    assert devnode.op("fork", depth=1)["removed"] == [late.txid]
    assert tron.get_transaction_info(early.txid)["id"] == early.txid


def test_expiration_at_packing_is_judged_by_the_parent_block_time_not_the_wall_clock(devnode, tron, funded):  # noqa: F811
    import time

    key, owner = funded
    devnode.mine()
    time.sleep(0.3)  # no block for a while: the head is older than the wall clock
    txn = tron.trx.transfer(owner, _new_address(), SUN).expiration(400).build().sign(key)
    time.sleep(0.6)
    assert devnode.chain.head["timestamp"] < txn._raw_data["expiration"] < time.time() * 1000
    sent = txn.broadcast()  # expired by the wall clock, not by the head block's time
    devnode.mine()
    assert tron.get_transaction_info(sent.txid)["blockNumber"] == devnode.chain.head["number"]


def test_chain_time_can_run_ahead_of_the_wall_clock_and_expires_a_fresh_transaction(devnode, tron, funded):  # noqa: F811
    key, owner = funded
    devnode.fault(block_interval_ms=3000)
    txn = tron.trx.transfer(owner, _new_address(), SUN).build().sign(key)  # expires in 60 s by the wall clock
    before = devnode.chain.head["timestamp"]
    devnode.mine(30)
    assert devnode.chain.head["timestamp"] == before + 30 * 3000
    with pytest.raises(TransactionError, match="expired"):
        txn.broadcast()
