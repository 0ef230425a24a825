from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from phonix.schedules import SCHEDULES
from wallet.custody.deposits import custody_compare, deposit_address_get_or_create, deposits_scan
from wallet.custody.sweeps import deposits_sweep, sweeps_advance
from wallet.ledger.accounts import platform_account
from wallet.models import AccountCode, ChainTransfer, DepositSweep

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
