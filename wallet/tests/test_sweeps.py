import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from tronpy.keys import PrivateKey

from accounts.tests.factories import UserFactory
from phonix.schedules import SCHEDULES
from wallet.custody.chain import ChainUnavailable, chain_client
from wallet.custody.deposits import custody_compare, deposit_address_get_or_create, deposits_scan
from wallet.custody.keys import deposit_private_key
from wallet.custody.reconciliation import custody_reconcile
from wallet.custody.sweeps import deposits_sweep, sweeps_advance
from wallet.ledger.accounts import platform_account
from wallet.models import AccountCode, ChainTransfer, DepositAddress, DepositSweep

from .conftest import assert_ledger_invariants
from .custody_fixtures import SUN, chain_settings, credited_address, devnode, signer  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposited(signer, devnode, settings):  # noqa: F811
    """A member's address that received 50 USDT, credited."""
    return credited_address(devnode, settings)


def test_a_sweep_sends_gas_then_the_usdt_to_the_hot_wallet(deposited, devnode, signer):  # noqa: F811
    hot_before = devnode.usdt_of(signer.hot_address)
    custody_before = platform_account(AccountCode.CUSTODY).balance
    report = deposits_sweep()
    assert report.planned == [deposited] and report.gas_sent == [deposited]
    sweep = DepositSweep.objects.get()
    assert sweep.status == DepositSweep.Status.NEEDS_GAS
    sweeps_advance()  # gas not mined yet: nothing new is signed
    assert sweep.transfers.count() == 1
    devnode.solidify()
    report = sweeps_advance()
    assert report.sweeps_sent == [deposited]
    sweep.refresh_from_db()
    assert sweep.status == DepositSweep.Status.SWEEPING
    devnode.solidify()
    assert sweeps_advance().completed == [deposited]
    sweep.refresh_from_db()
    assert sweep.status == DepositSweep.Status.COMPLETED
    assert devnode.usdt_of(deposited) == 0
    assert devnode.usdt_of(signer.hot_address) == hot_before + 50 * SUN
    purposes = set(sweep.transfers.values_list("purpose", "state"))
    assert purposes == {(ChainTransfer.Purpose.SWEEP_GAS, ChainTransfer.State.CONFIRMED),
                        (ChainTransfer.Purpose.SWEEP, ChainTransfer.State.CONFIRMED)}
    # Custody is the same money in another address: the ledger does not move.
    assert platform_account(AccountCode.CUSTODY).balance == custody_before
    report = custody_compare()
    assert report.deposit_addresses == 0 and report.hot_wallet == Decimal(hot_before + 50 * SUN) / SUN
    assert_ledger_invariants()


def test_running_the_sweep_again_signs_nothing_twice(deposited, devnode):  # noqa: F811
    deposits_sweep()
    deposits_sweep()
    assert DepositSweep.objects.count() == 1 and ChainTransfer.objects.count() == 1
    devnode.solidify()
    sweeps_advance()
    sweeps_advance()
    devnode.solidify()
    sweeps_advance()
    again = deposits_sweep()
    assert again.candidates == 0 and ChainTransfer.objects.count() == 2


def test_dry_run_lists_without_sending(deposited, devnode):  # noqa: F811
    out = []
    call_command("sweep_deposits", "--dry-run", stdout=type("W", (), {"write": lambda self, s: out.append(s)})())
    assert "1 to sweep" in out[0]
    assert not DepositSweep.objects.exists() and not ChainTransfer.objects.exists()
    assert devnode.chain.info()["pool"] == 0


def test_addresses_below_the_threshold_are_left(deposited, settings):
    settings.SWEEP_THRESHOLD = Decimal("51")
    report = deposits_sweep()
    assert report.candidates == 0 and report.planned == [] and not DepositSweep.objects.exists()


def test_an_address_that_already_has_gas_is_swept_directly(deposited, devnode):  # noqa: F811
    devnode.op("fund_trx", address=deposited, amount=25 * SUN)
    devnode.solidify()
    report = deposits_sweep()
    assert report.gas_sent == [] and report.sweeps_sent == [deposited]
    assert SCHEDULES["sweep-deposits"][1] == {"minute": "0", "hour": "3"}


def test_a_deposit_first_seen_while_its_address_was_being_swept_is_swept_later(deposited, devnode):  # noqa: F811
    deposits_sweep()
    devnode.solidify()
    sweeps_advance()  # the 50 USDT sweep is signed and broadcast
    devnode.op("deposit", to=deposited, amount=20 * SUN)
    devnode.mine()  # the sweep and the new deposit land in the same unsolidified block
    deposits_scan()  # the 20 USDT deposit is first seen in the tail, before the sweep completes
    devnode.solidify()
    deposits_scan()
    assert sweeps_advance().completed == [deposited]
    assert devnode.usdt_of(deposited) == 20 * SUN
    report = custody_compare()
    assert report.deposit_addresses == 20 and report.addresses_checked == 1
    again = deposits_sweep()
    assert again.planned == [deposited]
    devnode.solidify()
    sweeps_advance()
    devnode.solidify()
    assert sweeps_advance().completed == [deposited]
    assert devnode.usdt_of(deposited) == 0
    assert custody_compare().deposit_addresses == 0


def test_one_sweep_that_fails_is_recorded_as_stuck_and_the_others_go_on(deposited, devnode, monkeypatch):  # noqa: F811
    from phonix.models import StuckItem
    from wallet.custody import sweeps

    second = deposit_address_get_or_create(user=UserFactory()).address
    devnode.op("deposit", to=second, amount=30 * SUN)
    devnode.solidify()
    deposits_scan()
    deposits_sweep()
    devnode.solidify()
    first_sweep = DepositSweep.objects.get(deposit_address__address=deposited)
    real_key = sweeps.deposit_private_key

    def broken_key(*, index):
        if index == first_sweep.deposit_address.derivation_index:
            raise RuntimeError("key derivation failed")
        return real_key(index=index)

    monkeypatch.setattr(sweeps, "deposit_private_key", broken_key)
    report = sweeps_advance()
    assert report.stuck == [deposited] and report.sweeps_sent == [second]
    stuck = StuckItem.objects.get()
    assert stuck.job == "sweep_advance" and stuck.item_id == str(first_sweep.pk)
    assert "key derivation failed" in stuck.reason
    monkeypatch.setattr(sweeps, "deposit_private_key", real_key)
    assert sweeps_advance().sweeps_sent == [deposited]
    assert not StuckItem.objects.exists()


# Addresses whose money moves outside Phonix's records, and node outcomes --------------------

OUTSIDER = PrivateKey.random().public_key.to_base58check_address()


def _spend_from(address: str, *, trx_sun: int = 0, usdt_units: int = 0) -> None:
    """Someone else holding the address's key moves its TRX or USDT away (broadcast, not mined)."""
    client = chain_client()
    index = DepositAddress.objects.get(address=address).derivation_index
    if usdt_units:
        built = client.build_usdt_transfer(owner=address, to=OUTSIDER, amount_units=usdt_units, fee_limit=30 * SUN,
                                           expiration_seconds=60)
    else:
        built = client.build_trx_transfer(owner=address, to=OUTSIDER, amount_sun=trx_sun, expiration_seconds=60)
    assert client.broadcast(built.sign(deposit_private_key(index=index)).to_json()).accepted


def test_an_address_that_holds_less_than_the_records_say_is_reported_not_swept(deposited, devnode, caplog):  # noqa: F811
    devnode.op("fund_trx", address=deposited, amount=30 * SUN, mine=True)
    _spend_from(deposited, usdt_units=45 * SUN)
    devnode.solidify()
    with caplog.at_level("WARNING", logger="wallet.custody.sweeps"):
        report = deposits_sweep()
    assert report.candidates == 1 and report.planned == [] and not DepositSweep.objects.exists()
    assert f"deposit address {deposited} should hold 50000000 units but holds 5000000" in caplog.text
    problems = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert problems[f"address {deposited}"] == "holds 5.000000 USDT, the records say 50.000000 (received minus swept)"


def test_a_node_that_stops_answering_stops_the_run_without_marking_sweeps_stuck(deposited, devnode, settings):  # noqa: F811
    from phonix.models import StuckItem

    deposits_sweep()
    devnode.solidify()
    devnode.fault(http_errors=settings.TRON_RETRIES + 1)
    with pytest.raises(ChainUnavailable):
        sweeps_advance()
    assert not StuckItem.objects.exists()
    assert DepositSweep.objects.get().status == DepositSweep.Status.NEEDS_GAS
    assert sweeps_advance().sweeps_sent == [deposited]  # the node answers again: the run goes on


def test_gas_the_address_spent_before_the_sweep_fails_the_sweep(deposited, devnode):  # noqa: F811
    deposits_sweep()
    devnode.mine()  # the 20 TRX of gas arrive
    _spend_from(deposited, trx_sun=15 * SUN)
    devnode.solidify()
    report = sweeps_advance()
    assert report.failed == [deposited] and report.sweeps_sent == []
    sweep = DepositSweep.objects.get()
    assert sweep.status == DepositSweep.Status.FAILED
    assert sweep.failure_reason == "gas was sent but the address holds too little TRX"
    assert devnode.usdt_of(deposited) == 50 * SUN
    assert sweep.transfers.get().state == ChainTransfer.State.CONFIRMED  # the gas itself was delivered


def test_a_sweep_that_finds_the_address_empty_completes_having_moved_nothing(deposited, devnode, signer):  # noqa: F811
    hot_before = devnode.usdt_of(signer.hot_address)
    deposits_sweep()
    devnode.op("fund_trx", address=deposited, amount=40 * SUN, mine=True)
    _spend_from(deposited, usdt_units=50 * SUN)
    devnode.solidify()
    report = sweeps_advance()
    assert report.sweeps_sent == [] and report.failed == []
    sweep = DepositSweep.objects.get()
    assert (sweep.status, sweep.amount_units) == (DepositSweep.Status.COMPLETED, 0)
    assert not sweep.transfers.filter(purpose=ChainTransfer.Purpose.SWEEP).exists()
    assert devnode.usdt_of(signer.hot_address) == hot_before
    # The records still expect the 50 USDT on the address, so the custody check names it.
    problems = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert problems[f"address {deposited}"] == "holds 0.000000 USDT, the records say 50.000000 (received minus swept)"


def test_a_sweep_that_fails_on_chain_is_recorded_as_failed_and_the_usdt_stays(deposited, devnode, settings):  # noqa: F811
    settings.TRON_FEE_LIMIT_SUN = 1 * SUN  # too little energy for a USDT transfer
    deposits_sweep()
    devnode.solidify()
    assert sweeps_advance().sweeps_sent == [deposited]
    devnode.solidify()
    report = sweeps_advance()
    assert report.failed == [deposited] and report.completed == []
    sweep = DepositSweep.objects.get()
    assert sweep.status == DepositSweep.Status.FAILED
    assert sweep.failure_reason == "the sweep failed on chain (OUT_OF_ENERGY)"
    transfer = sweep.transfers.get(purpose=ChainTransfer.Purpose.SWEEP)
    assert (transfer.state, transfer.receipt_result) == (ChainTransfer.State.FAILED, "OUT_OF_ENERGY")
    assert transfer.fee_sun > 0 and devnode.usdt_of(deposited) == 50 * SUN
    assert custody_compare().deposit_addresses == 50


def test_a_sweep_transaction_the_node_lost_is_signed_again_once_provably_dead(deposited, devnode, signer, settings):  # noqa: F811
    settings.TRON_TX_EXPIRATION_SECONDS = 1
    settings.TRON_DEAD_AFTER_CHECKS, settings.TRON_DEAD_AFTER_SECONDS = 1, 0
    hot_before = devnode.usdt_of(signer.hot_address)
    deposits_sweep()
    devnode.solidify()  # the gas, well within its second
    devnode.fault(drop_broadcasts=1)
    assert sweeps_advance().sweeps_sent == [deposited]  # acknowledged, and lost
    time.sleep(1.2)
    devnode.solidify()  # solidified blocks past its expiration, none holding it
    sweeps_advance()
    sweep = DepositSweep.objects.get()
    lost = sweep.transfers.get(purpose=ChainTransfer.Purpose.SWEEP)
    assert lost.state == ChainTransfer.State.DEAD and sweep.status == DepositSweep.Status.READY
    assert sweeps_advance().sweeps_sent == [deposited]
    devnode.solidify()
    assert sweeps_advance().completed == [deposited]
    attempts = list(sweep.transfers.filter(purpose=ChainTransfer.Purpose.SWEEP).order_by("attempt")
                    .values_list("attempt", "state"))
    assert attempts == [(1, ChainTransfer.State.DEAD), (2, ChainTransfer.State.CONFIRMED)]
    assert devnode.usdt_of(deposited) == 0 and devnode.usdt_of(signer.hot_address) == hot_before + 50 * SUN


class _AnotherRunGetsInFirst:
    """The chain client of a run during which another run signs and stores the same sweep step."""

    def __init__(self, client):
        self._client = client
        self.interrupted = False

    def __getattr__(self, name):
        return getattr(self._client, name)

    def build_usdt_transfer(self, **fields):
        built = self._client.build_usdt_transfer(**fields)
        if not self.interrupted:
            self.interrupted = True
            sweeps_advance()  # the other run, from the same records
        return built


def test_two_runs_at_once_store_and_send_one_sweep_transaction(deposited, devnode, signer):  # noqa: F811
    hot_before = devnode.usdt_of(signer.hot_address)
    deposits_sweep()
    devnode.solidify()
    slow = _AnotherRunGetsInFirst(chain_client())
    report = sweeps_advance(client=slow)
    assert slow.interrupted and report.sweeps_sent == [] and report.stuck == []
    sweep = DepositSweep.objects.get()
    transfer = sweep.transfers.get(purpose=ChainTransfer.Purpose.SWEEP)
    assert sweep.status == DepositSweep.Status.SWEEPING and transfer.broadcast_count == 1
    devnode.solidify()
    assert sweeps_advance().completed == [deposited]
    assert devnode.usdt_of(signer.hot_address) == hot_before + 50 * SUN


def test_a_gas_transfer_the_node_refuses_stays_signed_and_is_sent_again_when_it_can_be_paid(
    deposited, devnode, signer, settings, caplog,  # noqa: F811
):
    settings.SWEEP_GAS_SUN = 15_000 * SUN  # more than the gas wallet's 10,000 TRX
    with caplog.at_level("WARNING", logger="wallet.transfers"):
        deposits_sweep()
    gas = ChainTransfer.objects.get(purpose=ChainTransfer.Purpose.SWEEP_GAS)
    assert (gas.state, gas.last_broadcast_code) == (ChainTransfer.State.SIGNED, "CONTRACT_VALIDATE_ERROR")
    assert f"broadcast of {gas.txid} refused: CONTRACT_VALIDATE_ERROR" in caplog.text
    devnode.op("fund_trx", address=signer.gas_address, amount=10_000 * SUN, mine=True)
    sweeps_advance()  # the same signed bytes, sent again
    gas.refresh_from_db()
    assert gas.state == ChainTransfer.State.BROADCAST and gas.broadcast_count == 2
    devnode.solidify()
    assert sweeps_advance().sweeps_sent == [deposited]
    assert ChainTransfer.objects.filter(purpose=ChainTransfer.Purpose.SWEEP_GAS).count() == 1
