"""Withdrawals against a devnode answering the way java-tron and TronGrid really do."""

import json
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory, staff_member
from phonix.exceptions import WithdrawalRefused
from phonix.models import StuckItem
from wallet.custody.chain import ChainClient, ChainUnavailable, receipt_read
from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan
from wallet.custody.platform_addresses import ZERO_ADDRESS
from wallet.custody.sweeps import deposits_sweep, sweeps_advance
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_request, withdrawals_process
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, ChainTransfer, DepositSweep, Withdrawal

from .conftest import assert_ledger_invariants
from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401
from .factories import withdrawing_member

PASSWORD = "correct-horse-battery"
RECEIPT_PATH = "walletsolidity/gettransactioninfobyid"
RATE_LIMITED = {"Error": "class java.lang.IllegalAccessException : lack of computing resources"}


@pytest.fixture
def member(signer):  # noqa: F811
    return withdrawing_member(200)


def _approved(user, amount="100") -> Withdrawal:
    withdrawal = withdrawal_request(user=user, amount=amount, password=PASSWORD, token=str(uuid.uuid4()))
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff_member("wallet.approve_withdrawal"))
    return withdrawal


def _balance(user, code=AccountCode.MAIN) -> Decimal:
    return member_account(user_id=user.pk, code=code).balance


def _state(withdrawal) -> str:
    withdrawal.refresh_from_db()
    return withdrawal.status


# Receipts: only an answer that proves one counts (item 1) ---------------------------------

TXID = "ab" * 32
GOOD = {"id": TXID, "blockNumber": 7, "fee": 345, "receipt": {"result": "SUCCESS", "energy_usage_total": 65000}}


@pytest.mark.parametrize("answer", [
    RATE_LIMITED,
    {},
    [],
    None,
    {**GOOD, "id": "cd" * 32},  # another transaction's receipt
    {key: value for key, value in GOOD.items() if key != "blockNumber"},
    {**GOOD, "blockNumber": 0},
    {**GOOD, "receipt": {"energy_usage_total": 65000}},  # a contract call without its result
    {**GOOD, "result": "FAILED"},  # says SUCCESS and FAILED at once
])
def test_an_answer_without_txid_block_and_result_is_unknown(answer):
    assert receipt_read(answer, txid=TXID, contract_call=True) is None


def test_receipts_that_prove_their_outcome():
    assert receipt_read(GOOD, txid=TXID, contract_call=True).succeeded
    failed = receipt_read({**GOOD, "result": "FAILED", "receipt": {"result": "OUT_OF_ENERGY"}}, txid=TXID,
                          contract_call=True)
    assert (failed.succeeded, failed.result, failed.block_number, failed.fee_sun) == (False, "OUT_OF_ENERGY", 7, 345)
    # A TRX transfer has no receipt.result (java-tron omits the default); its contractResult says it ran.
    trx = {"id": TXID, "blockNumber": 9, "contractResult": [""], "receipt": {"net_usage": 267}}
    assert receipt_read(trx, txid=TXID, contract_call=False).succeeded
    assert receipt_read({"id": TXID, "blockNumber": 9}, txid=TXID, contract_call=False) is None


@pytest.mark.django_db
def test_an_error_body_for_the_receipt_never_completes_a_dropped_withdrawal(member, devnode):  # noqa: F811
    withdrawal = _approved(member)
    devnode.fault(drop_broadcasts=1)
    withdrawals_process()
    devnode.solidify()
    devnode.fault(error_bodies=2, error_path=RECEIPT_PATH)
    result = withdrawals_process()
    assert result.completed == [] and _state(withdrawal) == Withdrawal.Status.BROADCAST
    assert devnode.usdt_of(withdrawal.address) == 0
    assert _balance(member, AccountCode.WITHDRAWAL_HOLD) == 100
    devnode.solidify()  # the follow-up re-sent the bytes; now they are mined
    assert withdrawals_process().completed == [withdrawal.pk]
    assert devnode.usdt_of(withdrawal.address) == 95 * SUN
    assert_ledger_invariants()


@pytest.mark.django_db
def test_an_error_body_for_the_receipt_of_an_out_of_energy_withdrawal_refunds_it(member, devnode, settings):  # noqa: F811
    settings.TRON_FEE_LIMIT_SUN = 1 * SUN
    withdrawal = _approved(member)
    withdrawals_process()
    devnode.solidify()
    devnode.fault(error_bodies=2, error_path=RECEIPT_PATH)
    assert withdrawals_process().failed == [withdrawal.pk]
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.FAILED and "OUT_OF_ENERGY" in withdrawal.failure_reason
    assert _balance(member) == 200 and _balance(member, AccountCode.WITHDRAWAL_HOLD) == 0
    assert_ledger_invariants()


@pytest.mark.django_db
def test_an_error_body_for_a_sweeps_receipt_does_not_complete_it(signer, devnode, settings):  # noqa: F811
    settings.SWEEP_THRESHOLD = Decimal("10")
    settings.SWEEP_GAS_SUN = 20 * SUN
    address = deposit_address_get_or_create(user=UserFactory()).address
    devnode.op("deposit", to=address, amount=20 * SUN)
    devnode.solidify()
    deposits_scan()
    deposits_sweep()
    devnode.solidify()
    devnode.fault(drop_broadcasts=1)
    sweeps_advance()  # the gas arrived: the sweep is signed and sent, and dropped
    sweep = DepositSweep.objects.get()
    assert sweep.status == DepositSweep.Status.SWEEPING
    devnode.solidify()
    devnode.fault(error_bodies=2, error_path=RECEIPT_PATH)
    sweeps_advance()
    sweep.refresh_from_db()
    assert sweep.status == DepositSweep.Status.SWEEPING and devnode.usdt_of(address) == 20 * SUN


# "Not found" from a lagging backend never makes a withdrawal dead (item 3) -----------------


def _mined_and_expired(member, devnode, settings):  # noqa: F811
    """A withdrawal whose transaction was mined and solidified, its expiration long past."""
    settings.TRON_TX_EXPIRATION_SECONDS = 1
    withdrawal = _approved(member)
    withdrawals_process()
    devnode.mine()
    time.sleep(1.2)
    devnode.solidify()
    return withdrawal


@pytest.mark.django_db
def test_one_not_found_from_a_lagging_backend_does_not_pay_a_withdrawal_twice(member, devnode, settings):  # noqa: F811
    withdrawal = _mined_and_expired(member, devnode, settings)
    devnode.fault(lagging_blocks=30, lagging_path=RECEIPT_PATH)
    result = withdrawals_process()
    assert result.resigned == [] and result.sent == []
    assert withdrawals_process().completed == [withdrawal.pk]
    assert withdrawal.transfers.count() == 1
    assert devnode.usdt_of(withdrawal.address) == 95 * SUN
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_lagging_backend_on_every_call_never_gets_a_mined_withdrawal_signed_again(member, devnode, settings):  # noqa: F811
    # Even with the patience rules at their loosest, the block read finds the transaction.
    settings.TRON_DEAD_AFTER_CHECKS, settings.TRON_DEAD_AFTER_SECONDS = 1, 0
    withdrawal = _mined_and_expired(member, devnode, settings)
    devnode.fault(lagging_blocks=30)
    for _ in range(6):
        result = withdrawals_process()
        assert result.resigned == [] and result.sent == []
        if _state(withdrawal) == Withdrawal.Status.COMPLETED:
            break
    assert _state(withdrawal) == Withdrawal.Status.COMPLETED
    assert withdrawal.transfers.count() == 1 and devnode.usdt_of(withdrawal.address) == 95 * SUN


@pytest.mark.django_db
def test_a_transaction_is_dead_only_after_not_found_answers_spread_over_time(member, devnode, settings):  # noqa: F811
    settings.TRON_TX_EXPIRATION_SECONDS = 1
    settings.TRON_DEAD_AFTER_CHECKS, settings.TRON_DEAD_AFTER_SECONDS = 2, 60
    withdrawal = _approved(member)
    devnode.fault(drop_broadcasts=100)
    withdrawals_process()
    time.sleep(1.2)
    devnode.solidify()
    assert withdrawals_process().resigned == [] and withdrawals_process().resigned == []
    transfer = withdrawal.transfers.get()
    assert transfer.absent_checks == 2 and transfer.state == ChainTransfer.State.BROADCAST
    ChainTransfer.objects.filter(pk=transfer.pk).update(absent_since=timezone.now() - timedelta(seconds=61))
    devnode.fault(drop_broadcasts=0)
    assert withdrawals_process().resigned == [withdrawal.pk]
    devnode.solidify()
    withdrawals_process()
    assert _state(withdrawal) == Withdrawal.Status.COMPLETED and devnode.usdt_of(withdrawal.address) == 95 * SUN


# The solidity port (item 5) ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_java_tron_port_layout_solidified_reads_go_to_the_solidity_url(member, devnode, settings):  # noqa: F811
    devnode.fault(solidity_port_only=True)
    settings.TRON_SOLIDITY_URL = devnode.solidity_url
    withdrawal = _approved(member)
    withdrawals_process()
    devnode.solidify()
    assert withdrawals_process().completed == [withdrawal.pk]
    assert devnode.usdt_of(withdrawal.address) == 95 * SUN


@pytest.mark.django_db
def test_a_404_for_the_solidity_path_is_a_node_fault_that_changes_nothing(member, devnode, settings):  # noqa: F811
    withdrawal = _approved(member)
    withdrawals_process()
    devnode.solidify()
    devnode.fault(solidity_port_only=True)  # TRON_SOLIDITY_URL left at the full-node port
    with pytest.raises(ChainUnavailable, match="404"):
        withdrawals_process()
    assert _state(withdrawal) == Withdrawal.Status.BROADCAST
    assert _balance(member, AccountCode.WITHDRAWAL_HOLD) == 100


# API keys (item 7) ------------------------------------------------------------------------


@pytest.fixture
def header_recorder():
    """A local HTTP server whose URL contains "trongrid"; it records each request's headers."""
    seen: list[dict] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({key.lower(): value for key, value in self.headers.items()})
            body = json.dumps({"block": "Num:5,ID:" + "0" * 64, "solidityBlock": "Num:1,ID:" + "0" * 64}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/trongrid/", seen
    finally:
        server.shutdown()
        server.server_close()


def test_without_a_configured_key_no_api_key_is_sent_to_trongrid(header_recorder):
    url, seen = header_recorder
    ChainClient(url=url, usdt_contract=ZERO_ADDRESS).heights()
    assert "tron-pro-api-key" not in seen[-1]


def test_only_the_configured_key_is_sent(header_recorder):
    url, seen = header_recorder
    client = ChainClient(url=url, api_key="operator-key", usdt_contract=ZERO_ADDRESS)
    client.heights()
    client.heights()
    assert [headers["tron-pro-api-key"] for headers in seen] == ["operator-key", "operator-key"]


@pytest.mark.django_db
def test_healthz_and_the_worker_start_up_log_say_a_trongrid_url_has_no_key(client, settings, caplog):
    from celery.signals import worker_ready

    settings.TRON_NODE_URL, settings.TRON_API_KEY = "https://api.trongrid.io/", ""
    assert "TRON_API_KEY is not set" in client.get("/healthz").json()["tron_api_key"]
    with caplog.at_level("WARNING", logger="wallet.custody.chain"):
        worker_ready.send(sender=None)
    assert "TRON_API_KEY is not set" in caplog.text
    settings.TRON_API_KEY = "operator-key"
    assert client.get("/healthz").json()["tron_api_key"] == "ok"
    settings.TRON_NODE_URL, settings.TRON_API_KEY = "http://127.0.0.1:8090/", ""
    assert client.get("/healthz").json()["tron_api_key"] == "ok"


# Error answers from node-info and transaction-build calls (item 9) ------------------------


def test_error_bodies_from_node_info_are_retried_then_a_clear_failure(devnode):  # noqa: F811
    client = ChainClient(url=devnode.url, usdt_contract=devnode.usdt, backoff=0.01, retries=2)
    devnode.fault(error_bodies=2, error_path="wallet/getnodeinfo")
    assert client.heights().head == devnode.chain.head["number"]
    devnode.fault(error_bodies=3, error_path="wallet/getnodeinfo")
    with pytest.raises(ChainUnavailable, match="lack of computing resources"):
        client.heights()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["wallet/getnodeinfo", "wallet/getsignweight"])
def test_a_build_the_node_keeps_refusing_changes_nothing_and_is_tried_again(member, devnode, path):  # noqa: F811
    withdrawal = _approved(member)
    devnode.fault(error_bodies=1000, error_path=path)
    with pytest.raises(ChainUnavailable):
        withdrawals_process()
    assert _state(withdrawal) == Withdrawal.Status.APPROVED  # the claim is handed back at once
    assert not withdrawal.transfers.exists() and _balance(member, AccountCode.WITHDRAWAL_HOLD) == 100
    devnode.fault(error_bodies=0)
    assert withdrawals_process().sent == [withdrawal.pk]
    devnode.solidify()
    assert withdrawals_process().completed == [withdrawal.pk]


# The platform's own addresses (item 10) ---------------------------------------------------


def _platform_addresses(signer, devnode):  # noqa: F811
    deposit = deposit_address_get_or_create(user=UserFactory()).address
    return {"hot wallet": signer.hot_address, "gas wallet": signer.gas_address, "deposit address": deposit,
            "USDT token contract": devnode.usdt, "zero address": ZERO_ADDRESS}


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["hot wallet", "gas wallet", "deposit address", "USDT token contract",
                                   "zero address"])
def test_a_withdrawal_to_a_platform_address_is_refused(member, signer, devnode, which):  # noqa: F811
    member.trc20_wallet_address = _platform_addresses(signer, devnode)[which]
    member.save()
    with pytest.raises(WithdrawalRefused, match=which):
        withdrawal_request(user=member, amount="100", password=PASSWORD, token=str(uuid.uuid4()))
    assert not Withdrawal.objects.exists() and _balance(member) == 200


@pytest.mark.django_db
def test_a_withdrawal_to_the_members_own_deposit_address_is_refused_on_the_page(member, client):
    member.trc20_wallet_address = deposit_address_get_or_create(user=member).address
    member.save()
    client.force_login(member)
    response = client.post(reverse("wallet:withdraw"), {"amount": "25", "password": PASSWORD,
                                                         "token": str(uuid.uuid4())})
    assert response.status_code == 200
    assert "Withdrawals cannot go to a Phonix deposit address" in response.content.decode()
    assert not Withdrawal.objects.exists()


# The follow-up job goes item by item (stuck items) ----------------------------------------


@pytest.mark.django_db
def test_one_withdrawal_that_fails_to_follow_up_is_stuck_and_the_others_complete(member, devnode, monkeypatch):  # noqa: F811
    import wallet.custody.withdrawals as module

    first, second = _approved(member, "50"), _approved(member, "60")
    withdrawals_process()
    devnode.solidify()
    real = module._complete

    def broken(transfer, receipt):
        if transfer.withdrawal_id == first.pk:
            raise RuntimeError("ledger account locked by a migration")
        real(transfer, receipt)

    monkeypatch.setattr(module, "_complete", broken)
    assert withdrawals_process().completed == [second.pk]
    stuck = StuckItem.objects.get()
    assert (stuck.job, stuck.item_id) == ("withdrawal_follow_up", str(first.pk)) and "locked" in stuck.reason
    assert _state(first) == Withdrawal.Status.BROADCAST and _state(second) == Withdrawal.Status.COMPLETED
    monkeypatch.setattr(module, "_complete", real)
    assert withdrawals_process().completed == [first.pk]
    assert not StuckItem.objects.exists()
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_receipt_not_found_for_a_transaction_its_block_holds_is_not_taken_for_dead(member, devnode, settings, caplog):  # noqa: F811
    # With the patience rules at their loosest, the blocks are read on the first "not found".
    settings.TRON_DEAD_AFTER_CHECKS, settings.TRON_DEAD_AFTER_SECONDS = 1, 0
    withdrawal = _mined_and_expired(member, devnode, settings)
    devnode.fault(lagging_blocks=30, lagging_path=RECEIPT_PATH)  # the first receipt read lacks it
    with caplog.at_level("WARNING", logger="wallet.transfers"):
        result = withdrawals_process()
    assert result.resigned == [] and result.sent == [] and _state(withdrawal) == Withdrawal.Status.BROADCAST
    transfer = withdrawal.transfers.get()
    assert f"transaction {transfer.txid} is in block" in caplog.text
    assert withdrawals_process().completed == [withdrawal.pk]
    assert withdrawal.transfers.count() == 1 and devnode.usdt_of(withdrawal.address) == 95 * SUN
    assert_ledger_invariants()
