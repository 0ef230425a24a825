"""Deposit scanning against the devnode, with deposits sent by unmodified tronpy-compatible txs."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from tronpy.keys import PrivateKey

from accounts.tests.factories import UserFactory
from phonix.schedules import SCHEDULES
from wallet.custody.deposits import custody_compare, deposit_address_get_or_create, deposits_scan
from wallet.ledger.accounts import member_account, platform_account
from wallet.models import AccountCode, Deposit, LedgerTransaction, ScanCursor, Transaction
from wallet.tasks import deposits_scan_task

from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401
from .factories import policy_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(signer):  # noqa: F811
    user = UserFactory()
    return user, deposit_address_get_or_create(user=user).address


def _main(user) -> Decimal:
    return member_account(user_id=user.pk, code=AccountCode.MAIN).balance


def _deposits_ledger() -> int:
    return LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.DEPOSIT).count()


def test_the_address_comes_from_the_xpub_at_the_members_id(member, signer):  # noqa: F811
    from wallet.custody.keys import deposit_private_key

    user, address = member
    assert deposit_address_get_or_create(user=user).address == address  # stable
    assert deposit_private_key(index=user.pk).public_key.to_base58check_address() == address


def test_a_deposit_is_credited_once_after_solidification_and_not_before(
    member, devnode, invariants, django_capture_on_commit_callbacks  # noqa: F811
):
    user, address = member
    devnode.op("deposit", to=address, amount=25_500_000)
    devnode.mine()
    deposits_scan()
    deposit = Deposit.objects.get(user=user)
    assert deposit.status == Deposit.Status.SEEN and deposit.amount == Decimal("25.5")
    assert _main(user) == 0
    devnode.mine()
    deposits_scan()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.CONFIRMING and _main(user) == 0
    devnode.solidify()
    with django_capture_on_commit_callbacks(execute=True):
        deposits_scan()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.CREDITED
    assert _main(user) == Decimal("25.5")
    assert platform_account(AccountCode.CUSTODY).balance == Decimal("-25.5")
    history = Transaction.objects.get(user=user, type=Transaction.Type.DEPOSIT)
    assert history.txn_hash == deposit.txid and history.wallet_address == address
    assert deposit.ledger_transaction.idempotency_key == f"deposit:{deposit.txid}:{deposit.log_index}"
    assert len(mail.outbox) == 1 and "25.50" in mail.outbox[0].body
    deposits_scan()
    assert _main(user) == Decimal("25.5") and _deposits_ledger() == 1


def test_the_same_blocks_scanned_twice_credit_nothing_twice(member, devnode, invariants):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=10 * SUN)
    devnode.op("deposit", to=address, amount=5 * SUN)
    devnode.solidify()
    first = deposits_scan()
    assert first.credited == 2
    again = deposits_scan(from_block=0)
    call_command("scan_deposits", "--from-block", "0", stdout=open("/dev/null", "w"))
    assert again.credited == 0 and again.recorded == 2
    assert _main(user) == 15 and _deposits_ledger() == 2 and Deposit.objects.count() == 2


def test_a_fork_that_removes_an_unsolidified_deposit_orphans_it(member, devnode, invariants):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=40 * SUN)
    devnode.mine(2)
    deposits_scan()
    assert Deposit.objects.get().status in (Deposit.Status.SEEN, Deposit.Status.CONFIRMING)
    devnode.op("fork")
    result = deposits_scan()
    assert result.orphaned == 1
    devnode.solidify()
    deposits_scan()
    assert Deposit.objects.get().status == Deposit.Status.ORPHANED
    assert _main(user) == 0 and _deposits_ledger() == 0
    assert devnode.usdt_of(address) == 0


def test_a_deposit_moved_to_another_block_by_a_fork_is_credited_once(member, devnode, invariants):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=3 * SUN)
    devnode.mine()
    deposits_scan()
    devnode.op("fork", reinclude=True)
    devnode.solidify()
    deposits_scan()
    deposit = Deposit.objects.get()
    assert deposit.status == Deposit.Status.CREDITED and _main(user) == 3


def test_a_fake_token_named_usdt_is_ignored(member, devnode, invariants):  # noqa: F811
    user, address = member
    fake = devnode.op("create_token", name="Tether USD", symbol="USDT", decimals=6)["address"]
    devnode.op("deposit", to=address, amount=1000 * SUN, token=fake)
    devnode.solidify()
    result = deposits_scan()
    assert result.recorded == 0 and not Deposit.objects.exists() and _main(user) == 0


@pytest.mark.parametrize("fail", ["revert", "out_of_energy"])
def test_a_failed_transfer_is_ignored(member, devnode, fail, invariants):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=50 * SUN, fail=fail)
    devnode.solidify()
    deposits_scan()
    assert not Deposit.objects.exists() and _main(user) == 0


def test_an_amount_below_the_minimum_is_recorded_but_not_credited(member, devnode, invariants):  # noqa: F811
    policy_set(deposit_minimum=Decimal("1"))
    user, address = member
    devnode.op("deposit", to=address, amount=999_999)
    devnode.solidify()
    result = deposits_scan()
    deposit = Deposit.objects.get()
    assert deposit.status == Deposit.Status.BELOW_MINIMUM and deposit.amount == Decimal("0.999999")
    assert result.below_minimum == 1 and _main(user) == 0 and _deposits_ledger() == 0


def test_transfers_to_addresses_that_are_not_ours_are_ignored(member, devnode):  # noqa: F811
    devnode.op("deposit", to=PrivateKey.random().public_key.to_base58check_address(), amount=9 * SUN)
    devnode.solidify()
    assert deposits_scan().recorded == 0 and not Deposit.objects.exists()


def test_node_calls_grow_with_blocks_not_with_members(signer, devnode):  # noqa: F811
    addresses = [deposit_address_get_or_create(user=UserFactory()).address for _ in range(30)]
    for address in addresses:
        devnode.op("deposit", to=address, amount=2 * SUN)
    devnode.solidify()
    result = deposits_scan()
    assert result.credited == 30
    # One getnodeinfo, one receipts call per block read, and for a block without receipts the block
    # itself, which proves it empty.
    blocks = devnode.chain.state["blocks"][result.from_block : result.to_block + 1]
    empty = sum(1 for block in blocks if not block["txids"])
    assert result.node_calls == 1 + result.blocks_read + empty


def test_the_cursor_moves_only_over_confirmed_blocks(member, devnode):  # noqa: F811
    devnode.mine(10)
    deposits_scan()
    cursor = ScanCursor.objects.get()
    assert cursor.next_block == devnode.chain.solid_number + 1
    assert cursor.head_seen == devnode.chain.head["number"]


def test_the_block_count_rule_credits_after_n_blocks(member, devnode, settings):  # noqa: F811
    settings.TRON_CONFIRMATION_RULE = "blocks:2"
    user, address = member
    devnode.op("deposit", to=address, amount=5 * SUN)
    devnode.mine(2)
    deposits_scan()
    assert _main(user) == 0
    devnode.mine()
    deposits_scan()
    assert _main(user) == 5


def test_the_scan_task_run_twice_leaves_the_same_state(member, devnode, invariants):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=7 * SUN)
    devnode.solidify()
    deposits_scan_task.delay()
    state = list(Deposit.objects.values_list("status", "amount"))
    deposits_scan_task.delay()
    assert list(Deposit.objects.values_list("status", "amount")) == state and _main(user) == 7
    assert SCHEDULES["scan-deposits"][0] == "wallet.tasks.deposits_scan_task"


def test_every_scan_stamps_the_cursor_for_healthz(member, devnode):  # noqa: F811
    from django.utils import timezone

    from wallet.custody.deposits import scan_lag

    deposits_scan()
    first = scan_lag()["updated_at"]
    before_second = timezone.now()
    devnode.op("mine", blocks=1)
    deposits_scan()
    assert scan_lag()["updated_at"] >= before_second > first


def test_custody_is_compared_with_what_the_chain_holds(member, devnode, signer):  # noqa: F811
    user, address = member
    devnode.op("deposit", to=address, amount=12 * SUN)
    devnode.solidify()
    deposits_scan()
    report = custody_compare()
    assert report.ledger_custody == 12 and report.deposit_addresses == 12
    assert report.hot_wallet == 1_000_000  # the operator's own float, not owed to anyone
    assert report.difference == 1_000_000


def test_the_deposit_page_shows_the_address_network_minimum_and_states(
    member, devnode, client, django_assert_max_num_queries  # noqa: F811
):
    user, address = member
    devnode.op("deposit", to=address, amount=8 * SUN)
    devnode.mine()
    deposits_scan()
    client.force_login(user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("wallet:deposit"))
    page = response.content.decode()
    assert response.status_code == 200
    assert address in page and "TRC20" in page and "<svg" in page and "1.00 USDT" in page
    assert "8.00" in page and "Seen" in page
    partial = client.get(reverse("wallet:deposit"), HTTP_HX_REQUEST="true").content.decode()
    assert "8.00" in partial and "<html" not in partial


def test_reconcile_ledger_reports_custody_and_fails_on_a_shortfall(member, devnode, signer, capsys):  # noqa: F811
    from django.core.management.base import CommandError
    from tronpy import Tron
    from tronpy.contract import Contract
    from tronpy.providers import HTTPProvider

    from wallet.custody.chain import TRC20_ABI
    from wallet.custody.keys import deposit_private_key

    user, address = member
    devnode.op("deposit", to=address, amount=30 * SUN)
    devnode.solidify()
    deposits_scan()
    call_command("reconcile_ledger")
    assert "custody: ledger 30.000000" in capsys.readouterr().out
    # The whole float and the deposit leave behind Phonix's back: the chain now holds less than owed.
    devnode.op("fund_trx", address=address, amount=50 * SUN)
    devnode.op("fund_trx", address=signer.hot_address, amount=50 * SUN)
    devnode.solidify()
    tron = Tron(HTTPProvider(endpoint_uri=devnode.url))
    usdt = Contract(addr=devnode.usdt, abi=TRC20_ABI, client=tron)
    outside = devnode.chain.info()["outside"]
    for key, owner, amount in ((deposit_private_key(index=user.pk), address, 30 * SUN),
                               (signer.hot, signer.hot_address, 1_000_000 * SUN)):
        usdt.functions.transfer(outside, amount).with_owner(owner).fee_limit(50 * SUN).build().sign(key).broadcast()
    devnode.solidify()
    with pytest.raises(CommandError, match="difference -30"):
        call_command("reconcile_ledger")


def test_without_an_xpub_the_deposit_page_says_deposits_are_unavailable(client, settings):
    settings.TRON_XPUB = ""
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("wallet:deposit"))
    assert response.status_code == 200 and "not available" in response.content.decode()


def test_the_deposit_qr_code_is_large_and_on_white_so_a_phone_can_scan_it(member, devnode, client):  # noqa: F811
    user, address = member
    client.force_login(user)
    page = client.get(reverse("wallet:deposit")).content.decode()
    assert 'class="qr-code' in page and "style=" not in page and "<script>" not in page
    css = (settings.BASE_DIR / "static" / "phonix.css").read_text()
    rule = css.split(".qr-code {", 1)[1].split("}", 1)[0]
    assert "background: #fff" in rule and "width: min(300px" in rule


def test_the_first_scan_starts_where_the_first_address_was_issued(member, devnode, settings):  # noqa: F811
    devnode.mine(40)
    settings.TRON_SCAN_START_BLOCK = -1
    user, _ = member
    late = UserFactory()
    issued_at = devnode.chain.info()["head"]
    address = deposit_address_get_or_create(user=late).address
    devnode.op("deposit", to=address, amount=7 * SUN)
    devnode.solidify()
    devnode.mine(10)  # the deposit's block is well below the solidified head when the scanner first runs
    result = deposits_scan()
    assert result.from_block <= issued_at
    assert Deposit.objects.get(user=late).status == Deposit.Status.CREDITED


def test_tron_scan_start_block_decides_where_the_first_scan_starts(member, devnode, settings):  # noqa: F811
    devnode.mine(30)
    settings.TRON_SCAN_START_BLOCK = 12
    assert deposits_scan().from_block == 12
    assert ScanCursor.objects.get().next_block > 12


def test_without_any_address_the_first_scan_starts_at_the_solidified_head(signer, devnode, settings):  # noqa: F811
    devnode.mine(30)
    settings.TRON_SCAN_START_BLOCK = -1
    assert deposits_scan().from_block == devnode.chain.info()["solid"]
