"""TRON_CONFIRMATION_RULE=blocks:N credits before solidification; a deeper fork is never silent."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.tests.factories import UserFactory, staff_member
from phonix.exceptions import WithdrawalRefused
from wallet.custody.deposits import custody_overview, deposit_address_get_or_create, deposits_scan
from wallet.custody.forks import MISSES_TO_REVERSE
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_request, withdrawals_process
from wallet.ledger.accounts import member_account, platform_account
from wallet.models import AccountCode, Deposit, Transaction, Withdrawal

from .conftest import assert_ledger_invariants
from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401
from .factories import fund

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def credited_early(signer, devnode, settings):  # noqa: F811
    """40 USDT credited two blocks after its block, before the block is solidified."""
    settings.TRON_CONFIRMATION_RULE = "blocks:2"
    user = UserFactory()
    user.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
    user.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
    user.save()
    address = deposit_address_get_or_create(user=user).address
    devnode.op("deposit", to=address, amount=40 * SUN)
    devnode.mine(3)
    deposits_scan()
    deposit = Deposit.objects.get(user=user)
    assert deposit.status == Deposit.Status.CREDITED and not deposit.final
    assert deposit.block_number > devnode.chain.info()["solid"]
    return user, deposit


def _main(user) -> Decimal:
    return member_account(user_id=user.pk, code=AccountCode.MAIN).balance


def _scan_until_solidified(devnode):  # noqa: F811
    devnode.solidify()
    for _ in range(MISSES_TO_REVERSE):
        deposits_scan()
        devnode.mine()


def test_a_credit_seen_in_its_solidified_block_becomes_final(credited_early, devnode, invariants):  # noqa: F811
    user, deposit = credited_early
    _scan_until_solidified(devnode)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.CREDITED and deposit.final and _main(user) == 40


def test_a_credit_a_deeper_fork_removed_is_reversed(credited_early, devnode, invariants):  # noqa: F811
    user, deposit = credited_early
    custody_before = platform_account(AccountCode.CUSTODY).balance
    assert txid_in(devnode.op("fork", depth=3)["removed"], deposit.txid)
    _scan_until_solidified(devnode)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.REVERSED and _main(user) == 0
    assert platform_account(AccountCode.CUSTODY).balance == custody_before + 40
    line = Transaction.objects.filter(user=user, type=Transaction.Type.ADJUSTMENT).get()
    assert line.amount == -40 and "removed it from the blockchain" in line.description
    deposits_scan()  # run again: nothing is reversed twice
    assert _main(user) == 0
    assert_ledger_invariants()


def test_a_credit_the_fork_moved_to_another_block_is_kept(credited_early, devnode, invariants):  # noqa: F811
    user, deposit = credited_early
    devnode.op("fork", depth=3, reinclude=True)  # the replacing blocks hold the same transaction again
    _scan_until_solidified(devnode)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.CREDITED and deposit.final and _main(user) == 40


def test_a_removed_credit_the_member_already_spent_freezes_withdrawals_until_covered(
    credited_early, devnode, invariants  # noqa: F811
):
    user, deposit = credited_early
    staff = staff_member("wallet.approve_withdrawal")
    spent = withdrawal_request(user=user, amount="40", password=PASSWORD, token=str(uuid.uuid4()))
    withdrawal_approve(withdrawal_id=spent.pk, staff=staff)
    devnode.op("fork", depth=3)
    _scan_until_solidified(devnode)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.REVERSAL_PENDING and _main(user) == 0
    # Frozen: no new request, and the approved one is not sent.
    fund(user, 15)
    with pytest.raises(WithdrawalRefused, match="paused"):
        withdrawal_request(user=user, amount="10", password=PASSWORD, token=str(uuid.uuid4()))
    withdrawals_process()
    assert Withdrawal.objects.get(pk=spent.pk).status == Withdrawal.Status.APPROVED
    # Staff see the shortfall.
    with pytest.raises(CommandError, match="DRIFT"):
        call_command("reconcile_ledger")
    overview = custody_overview()
    assert overview["reversals_pending"] == 1 and overview["reversals_pending_total"] == 40
    # Once the member's balance covers it, the next scan reverses it and withdrawals open again.
    fund(user, 30)
    deposits_scan()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.REVERSED and _main(user) == 5
    withdrawals_process()
    assert Withdrawal.objects.get(pk=spent.pk).status != Withdrawal.Status.APPROVED
    assert_ledger_invariants()


def txid_in(removed: list[str], txid: str) -> bool:
    return txid in removed
