"""Custody reconciled item by item: errors that cancel out in a total are each listed."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory, staff_member
from phonix.models import AuditLog
from phonix.stuck import stuck_items_count
from wallet.custody import withdrawals as withdrawal_flow
from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan
from wallet.custody.reconciliation import custody_reconcile
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_request, withdrawals_process
from wallet.models import ChainTransfer, CustodyProof, Deposit, DepositSweep, Withdrawal
from wallet.tasks import ledger_reconcile_task

from .conftest import assert_ledger_invariants
from .custody_fixtures import SUN, chain_settings, devnode, signer, swept_address  # noqa: F401
from .factories import withdrawing_member

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _member():
    return withdrawing_member(200)


def _approved(user) -> Withdrawal:
    withdrawal = withdrawal_request(user=user, amount="100", password=PASSWORD, token=str(uuid.uuid4()))
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff_member("wallet.approve_withdrawal"))
    return withdrawal




def _reconcile() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reconcile_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_matching_records_pass_and_proved_items_are_not_asked_again(signer, devnode, settings):  # noqa: F811
    swept_address(devnode, settings)
    withdrawal = _approved(_member())
    withdrawals_process()
    devnode.solidify()
    withdrawals_process()
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Withdrawal.Status.COMPLETED
    out, err = _reconcile()
    assert out.startswith("OK") and err == ""
    assert "proved 1 deposits, 1 sweeps, 1 withdrawals" in out
    assert CustodyProof.objects.count() == 3
    again = custody_reconcile()
    assert again.ok and not again.proved
    assert again.node_calls <= 2  # the hot wallet; the swept address is no longer in play


def test_unpaid_completions_a_double_payment_and_stranded_usdt_are_each_listed(signer, devnode, settings):  # noqa: F811
    address = swept_address(devnode, settings)
    # 20 USDT reach the swept address that no credited deposit explains (the scanner never saw them).
    devnode.op("deposit", to=address, amount=20 * SUN)
    devnode.solidify()
    # Two withdrawals marked completed although their broadcasts were dropped (nothing paid).
    unpaid = [_approved(_member()), _approved(_member())]
    devnode.op("fault", drop_broadcasts=2)
    withdrawals_process()
    for withdrawal in unpaid:
        transfer = ChainTransfer.objects.get(withdrawal=withdrawal)
        withdrawal_flow._complete(transfer, {"blockNumber": 1})
    # One withdrawal paid twice: its first transaction was mined, taken for dead and signed again.
    twice = _approved(_member())
    withdrawals_process()
    devnode.mine()
    withdrawal_flow._requeue(ChainTransfer.objects.get(withdrawal=twice))
    withdrawals_process()
    devnode.solidify()
    withdrawals_process()
    assert Withdrawal.objects.filter(status=Withdrawal.Status.COMPLETED).count() == 3
    assert ChainTransfer.objects.filter(withdrawal=twice).count() == 2

    with pytest.raises(CommandError, match="DRIFT.*4 problems"):
        _reconcile()
    report = custody_reconcile()
    listed = {problem.item: problem.detail for problem in report.problems}
    assert listed == {
        f"withdrawal {unpaid[0].pk}": f"completed but no solidified transfer pays 95.000000 to {unpaid[0].address}",
        f"withdrawal {unpaid[1].pk}": f"completed but no solidified transfer pays 95.000000 to {unpaid[1].address}",
        f"withdrawal {twice.pk}": listed[f"withdrawal {twice.pk}"],
        f"address {address}": "holds 20.000000 USDT, the records say 0.000000 (received minus swept)",
    }
    assert listed[f"withdrawal {twice.pk}"].startswith("paid 2 times: 95.000000 in ")
    # In total the errors sum to a surplus (+190 unpaid, -95 paid twice, +20 stranded, +the float).
    assert report.difference > 0
    assert not CustodyProof.objects.filter(kind="withdrawal").exists()

    # What an operator does: read the missed block again, and accept each withdrawal once its money
    # was put right by other means (paid by hand, returned with adjust_balance, booked as a loss).
    deposits_scan(from_block=0)
    staff = staff_member()
    for withdrawal in (*unpaid, twice):
        call_command("reconcile_ledger", "--accept", f"withdrawal:{withdrawal.pk}", "--by", staff.username,
                     "--reason", "put right by hand", stdout=StringIO())
    assert AuditLog.objects.filter(action="custody_item_accept", actor=staff).count() == 3
    out, err = _reconcile()
    assert out.startswith("OK") and err == ""
    assert_ledger_invariants()


def test_accepting_needs_a_staff_member_and_a_reason(signer):  # noqa: F811
    withdrawal = _approved(_member())
    with pytest.raises(CommandError, match="staff member"):
        call_command("reconcile_ledger", "--accept", f"withdrawal:{withdrawal.pk}", "--by", "nobody",
                     "--reason", "x")
    with pytest.raises(CommandError, match="say why"):
        call_command("reconcile_ledger", "--accept", f"withdrawal:{withdrawal.pk}",
                     "--by", staff_member().username)
    assert not CustodyProof.objects.exists()


def test_addresses_holding_usdt_are_read_in_batches(signer, devnode, settings):  # noqa: F811
    settings.TRON_BALANCE_BATCH = 10
    addresses = [deposit_address_get_or_create(user=UserFactory.create()).address for _ in range(25)]
    for address in addresses:
        devnode.op("deposit", to=address, amount=3 * SUN)
    devnode.solidify()
    deposits_scan()
    first = custody_reconcile()
    assert first.ok and first.addresses_checked == 25 and first.deposit_addresses == 75
    assert first.proved == {"deposit": 25}
    assert first.node_calls == 1 + 1 + 3  # the deposits' one block, the hot wallet, 3 batches of addresses
    again = custody_reconcile()
    assert again.ok and again.node_calls == 1 + 3  # the hot wallet, then 25 addresses in batches of 10


def _deposits_one_a_block(devnode, count: int, amount: int = 2) -> list[str]:  # noqa: F811
    addresses = [deposit_address_get_or_create(user=UserFactory.create()).address for _ in range(count)]
    devnode.op("deposit_many", transfers=[[address, amount * SUN] for address in addresses], per_block=1)
    devnode.solidify()
    deposits_scan(max_blocks=count + 50)
    return addresses


def test_deposits_are_proved_by_their_blocks_a_hundred_blocks_a_call(signer, devnode, settings):  # noqa: F811
    settings.TRON_BALANCE_BATCH = 100
    _deposits_one_a_block(devnode, 120)
    first = custody_reconcile()
    assert first.ok and first.proved == {"deposit": 120}, first.line()
    # 120 blocks in two ranges of at most 100, the hot wallet, 120 addresses in two batches; not a call a block.
    assert first.node_calls == 2 + 1 + 2


def test_blocks_the_node_does_not_return_are_proved_by_their_receipts(signer, devnode, settings):  # noqa: F811
    _deposits_one_a_block(devnode, 3)
    refused = settings.TRON_RETRIES + 1
    devnode.fault(error_bodies=refused, error_path="walletsolidity/getblockbylimitnext")
    report = custody_reconcile()
    assert report.ok and report.proved == {"deposit": 3}, report.line()
    assert report.node_calls == refused + 3 + 1 + 1  # refused range reads, a block's receipts each, hot, addresses


def test_a_lagging_backend_missing_the_blocks_proves_nothing_and_fails_nothing(signer, devnode, settings):  # noqa: F811
    _deposits_one_a_block(devnode, 2)
    devnode.fault(lagging_blocks=50)  # every other call goes to a backend that lacks the deposits' blocks
    report = custody_reconcile()
    assert not report.problems, report.line()
    devnode.fault(lagging_blocks=0)
    assert custody_reconcile().proved.get("deposit", 0) + report.proved.get("deposit", 0) == 2


def test_a_credit_the_block_does_not_show_is_listed(signer, devnode, settings):  # noqa: F811
    address, = _deposits_one_a_block(devnode, 1)
    other = deposit_address_get_or_create(user=UserFactory.create())
    deposit = Deposit.objects.get(deposit_address__address=address)
    Deposit.objects.filter(pk=deposit.pk).update(deposit_address=other)  # the records now say it paid `other`
    listed = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert listed[f"deposit {deposit.txid}:{deposit.log_index}"] == (
        f"credited 2.000000 to {other.address}, but block {deposit.block_number} on the solidified chain has no "
        f"such USDT transfer")
    assert not CustodyProof.objects.filter(kind="deposit").exists()


def test_the_nightly_task_checks_custody_item_by_item_too(signer, devnode, settings, caplog):  # noqa: F811
    address = swept_address(devnode, settings)
    devnode.op("deposit", to=address, amount=20 * SUN)  # on chain, not yet seen by the scanner
    devnode.solidify()
    assert ledger_reconcile_task() is False
    assert f"address {address}: holds 20.000000 USDT, the records say 0.000000" in caplog.text
    assert stuck_items_count() == {"reconcile_ledger": 1}
    deposits_scan(from_block=0)
    assert ledger_reconcile_task() is True
    assert stuck_items_count() == {}


def test_an_unknown_kind_or_a_missing_item_cannot_be_accepted(signer):  # noqa: F811
    staff = staff_member().username
    with pytest.raises(CommandError, match="unknown kind 'payout': one of withdrawal, sweep, deposit"):
        call_command("reconcile_ledger", "--accept", "payout:1", "--by", staff, "--reason", "paid by hand")
    with pytest.raises(CommandError, match="no withdrawal 999999"):
        call_command("reconcile_ledger", "--accept", "withdrawal:999999", "--by", staff, "--reason", "paid by hand")
    assert not CustodyProof.objects.exists() and not AuditLog.objects.filter(action="custody_item_accept").exists()


def test_a_node_that_does_not_answer_leaves_custody_uncompared_and_the_ledger_checked(signer, devnode, settings):  # noqa: F811
    devnode.fault(http_errors=settings.TRON_RETRIES + 1, http_status=503)
    out, err = _reconcile()
    assert out.startswith("OK") and "custody: TRON node unavailable (" in out and "chain not compared" in out
    assert err == "" and not CustodyProof.objects.exists()


def _paid_withdrawal(devnode) -> tuple[Withdrawal, ChainTransfer]:  # noqa: F811
    """A withdrawal whose transfer is mined and solidified, its outcome not yet followed up."""
    withdrawal = _approved(_member())
    withdrawals_process()
    devnode.solidify()
    return withdrawal, ChainTransfer.objects.get(withdrawal=withdrawal)


def test_a_withdrawal_refunded_although_its_payment_went_through_is_listed(signer, devnode):  # noqa: F811
    withdrawal, transfer = _paid_withdrawal(devnode)
    # The outcome taken from a wrong receipt: the member gets the amount back and was paid as well.
    withdrawal_flow._fail(transfer, {"blockNumber": 1, "receipt": {"result": "REVERT"}})
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Withdrawal.Status.FAILED
    listed = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert listed == {f"withdrawal {withdrawal.pk}": f"failed but paid on chain: 95.000000 in {transfer.txid}"}
    assert_ledger_invariants()


def test_a_withdrawal_paid_another_amount_than_its_net_amount_is_listed(signer, devnode):  # noqa: F811
    withdrawal, transfer = _paid_withdrawal(devnode)
    withdrawals_process()
    Withdrawal.objects.filter(pk=withdrawal.pk).update(fee="10", net_amount="90")  # what the records say it owes
    listed = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert listed == {
        f"withdrawal {withdrawal.pk}": f"paid 95.000000 in {transfer.txid}, its net amount is 90.000000"}
    assert not CustodyProof.objects.filter(kind="withdrawal").exists()


def test_a_sweep_recorded_as_moving_another_amount_is_listed(signer, devnode, settings):  # noqa: F811
    address = swept_address(devnode, settings)
    sweep = DepositSweep.objects.get()
    DepositSweep.objects.filter(pk=sweep.pk).update(amount_units=40 * SUN)
    listed = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert listed[f"sweep {sweep.pk}"] == (
        f"recorded as moving 40.000000 from {address}, the solidified chain shows 50.000000")
    assert not CustodyProof.objects.filter(kind="sweep").exists()


def _deposit_among_other_transactions(devnode) -> tuple[str, dict]:  # noqa: F811
    """A deposit mined in one block with a TRX transfer, a failed USDT transfer and another token's."""
    address = deposit_address_get_or_create(user=UserFactory.create()).address
    other_token = devnode.op("create_token", name="Other", symbol="OTH")["address"]
    txids = {
        "trx": devnode.op("fund_trx", address=address, amount=5 * SUN)["txid"],
        "failed": devnode.op("deposit", to=address, amount=4 * SUN, fail="revert")["txid"],
        "other token": devnode.op("deposit", to=address, amount=3 * SUN, token=other_token)["txid"],
        "deposit": devnode.op("deposit", to=address, amount=2 * SUN)["txid"],
    }
    devnode.solidify()
    deposits_scan()
    return address, txids


def test_a_deposit_among_other_transactions_is_proved_by_its_block(signer, devnode):  # noqa: F811
    _, txids = _deposit_among_other_transactions(devnode)
    deposit = Deposit.objects.get()
    assert deposit.txid == txids["deposit"]
    report = custody_reconcile()
    assert report.ok and report.proved == {"deposit": 1}, report.line()
    assert report.node_calls == 1 + 1 + 1  # the block (no receipts needed), the hot wallet, the address


@pytest.mark.parametrize("records", ["log index the receipt lacks", "failed", "other token"])
def test_a_credit_its_blocks_receipts_do_not_show_is_listed(signer, devnode, records):  # noqa: F811
    address, txids = _deposit_among_other_transactions(devnode)
    deposit = Deposit.objects.get()
    if records == "log index the receipt lacks":
        Deposit.objects.filter(pk=deposit.pk).update(log_index=3)
    else:
        Deposit.objects.filter(pk=deposit.pk).update(txid=txids[records])
    deposit.refresh_from_db()
    listed = {problem.item: problem.detail for problem in custody_reconcile().problems}
    assert listed[f"deposit {deposit.txid}:{deposit.log_index}"] == (
        f"credited 2.000000 to {address}, but block {deposit.block_number} on the solidified chain has no "
        f"such USDT transfer")
    assert not CustodyProof.objects.filter(kind="deposit").exists()


class _Answering:
    """The chain client, except that the given node paths answer what the test says."""

    def __init__(self, client, answers: dict):
        self._client = client
        self._answers = answers

    def __getattr__(self, name):
        return getattr(self._client, name)

    def request(self, method: str, params: dict | None = None):
        answer = self._answers.get(method)
        return answer(params) if callable(answer) else self._client.request(method, params)


def test_a_receipt_for_another_transaction_stops_the_check_until_the_node_answers(signer, devnode):  # noqa: F811
    from wallet.custody.chain import ChainUnavailable, chain_client

    withdrawal, transfer = _paid_withdrawal(devnode)
    withdrawals_process()
    real = chain_client()
    someone_elses = _Answering(real, {"walletsolidity/gettransactioninfobyid": lambda params: {
        **real.request("walletsolidity/gettransactioninfobyid", params), "id": "cd" * 32}})
    with pytest.raises(ChainUnavailable, match=f"no usable receipt for {transfer.txid}"):
        custody_reconcile(client=someone_elses)
    assert not CustodyProof.objects.exists()
    # A log that names no valid contract is no USDT transfer; the payment beside it still counts.
    def with_a_garbled_log(params):
        info = real.request("walletsolidity/gettransactioninfobyid", params)
        return {**info, "log": [{**info["log"][0], "address": "not an address"}, *info["log"]]}

    report = custody_reconcile(client=_Answering(real, {"walletsolidity/gettransactioninfobyid": with_a_garbled_log}))
    assert report.ok and report.proved["withdrawal"] == 1, report.line()


def test_receipts_that_are_not_a_list_stop_the_check_of_a_deposit_its_block_does_not_prove(signer, devnode):  # noqa: F811
    from wallet.custody.chain import ChainUnavailable, chain_client

    _deposits_one_a_block(devnode, 1)
    client = _Answering(chain_client(), {"walletsolidity/getblockbylimitnext": lambda params: {},
                                         "walletsolidity/gettransactioninfobyblocknum": lambda params: {}})
    with pytest.raises(ChainUnavailable, match="no usable receipts for block"):
        custody_reconcile(client=client)
    assert custody_reconcile().proved == {"deposit": 1}
