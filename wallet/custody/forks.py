"""Deposits credited before their block was solidified, re-checked until it is.

Under TRON_CONFIRMATION_RULE=blocks:N a deposit is credited N blocks after its block, before
TRON solidifies it (about 19 blocks). A fork deeper than N can still remove it. Each scan reads
the solidified blocks of such credits again: a deposit found there becomes final; one found in
another block (the fork re-included it) follows its new block; one found nowhere on several runs
in a row was removed. Its credit is then reversed by a reversing posting when the member's main
balance covers it; otherwise the deposit waits as `reversal_pending`, the member's withdrawals
are frozen (wallet/custody/withdrawals.py), staff see it in the admin and reconcile_ledger lists it, and
every scan tries the reversal again. Nothing of this is silent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from phonix.exceptions import InsufficientFunds

from ..ledger.accounts import member_account, platform_account
from ..ledger.postings import HistoryLine, ledger_post
from ..models import AccountCode, Deposit, LedgerTransaction, Transaction
from .blocks import BlockUnproved, block_transfers
from .chain import ChainClient, Heights

logger = logging.getLogger(__name__)

MISSES_TO_REVERSE = 3  # scans in a row (minutes apart) that find the deposit nowhere
BLOCKS_PER_RUN = 100


@dataclass
class RecheckResult:
    final: int = 0
    moved: int = 0
    missing: int = 0
    reversed: list[int] = field(default_factory=list)
    reversal_pending: list[int] = field(default_factory=list)


def deposits_recheck(*, client: ChainClient, heights: Heights) -> RecheckResult:
    result = RecheckResult()
    pending = Deposit.objects.filter(status=Deposit.Status.CREDITED, final=False, block_number__lte=heights.solid)
    blocks = sorted(set(pending.values_list("block_number", flat=True)))[:BLOCKS_PER_RUN]
    by_block: dict[int, list[Deposit]] = defaultdict(list)
    for deposit in pending.filter(block_number__in=blocks).select_related("deposit_address").order_by("id"):
        by_block[deposit.block_number].append(deposit)
    for number, deposits in by_block.items():
        try:
            found = {(t.txid, t.log_index): t for t in block_transfers(client=client, number=number)}
        except BlockUnproved as unproved:
            logger.warning("re-check of credited deposits waits: %s", unproved)
            continue
        for deposit in deposits:
            transfer = found.get((deposit.txid, deposit.log_index))
            units = int(deposit.amount * 10**settings.USDT_DECIMALS)
            if transfer and transfer.to_address == deposit.deposit_address.address and transfer.amount_units == units:
                Deposit.objects.filter(pk=deposit.pk).update(final=True, recheck_misses=0)
                result.final += 1
            else:
                _elsewhere_or_missing(client, deposit, result)
    for deposit_id in Deposit.objects.filter(status=Deposit.Status.REVERSAL_PENDING).values_list("pk", flat=True):
        _reverse(deposit_id, result)
    return result


def _elsewhere_or_missing(client: ChainClient, deposit: Deposit, result: RecheckResult) -> None:
    """Not in its block: the fork may have put the transaction in another one. Doubt means wait."""
    for _attempt in range(2):  # a load balancer sends the second ask to another backend
        info = client.request("wallet/gettransactioninfobyid", {"value": deposit.txid})
        if isinstance(info, dict) and info.get("id") == deposit.txid and info.get("blockNumber") is not None:
            Deposit.objects.filter(pk=deposit.pk).update(block_number=info["blockNumber"], recheck_misses=0)
            result.moved += 1
            return
        if info != {}:
            return  # an error body or a partial answer proves nothing: ask again next scan
    Deposit.objects.filter(pk=deposit.pk).update(recheck_misses=F("recheck_misses") + 1)
    result.missing += 1
    if deposit.recheck_misses + 1 >= MISSES_TO_REVERSE:
        logger.error("deposit %s:%s credited to member %s is no longer on the chain", deposit.txid,
                     deposit.log_index, deposit.user_id)
        _reverse(deposit.pk, result)


def _reverse(deposit_id: int, result: RecheckResult) -> None:
    """Take the credit back if the member's main balance covers it; otherwise freeze and wait."""
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit_id)
        if deposit.status not in (Deposit.Status.CREDITED, Deposit.Status.REVERSAL_PENDING):
            return
        main = member_account(user_id=deposit.user_id, code=AccountCode.MAIN)
        try:
            with transaction.atomic():
                ledger_post(
                    key=f"deposit:{deposit.txid}:{deposit.log_index}:reversal",
                    kind=LedgerTransaction.Kind.DEPOSIT,
                    entries=[(main.id, -deposit.amount), (platform_account(AccountCode.CUSTODY).id, deposit.amount)],
                    memo=f"USDT deposit {deposit.txid}:{deposit.log_index} removed by a fork",
                    history=[HistoryLine(
                        user_id=deposit.user_id, type=Transaction.Type.ADJUSTMENT, amount=-deposit.amount,
                        description=_("Deposit reversed: the network removed it from the blockchain"),
                        txn_hash=deposit.txid,
                    )],
                )
        except InsufficientFunds:
            if deposit.status != Deposit.Status.REVERSAL_PENDING:
                deposit.status = Deposit.Status.REVERSAL_PENDING
                deposit.save(update_fields=["status"])
                logger.error("deposit %s:%s removed by a fork cannot be reversed: member %s holds less than %s; "
                             "their withdrawals are frozen", deposit.txid, deposit.log_index, deposit.user_id,
                             deposit.amount)
            result.reversal_pending.append(deposit.pk)
            return
        deposit.status = Deposit.Status.REVERSED
        deposit.final = True
        deposit.save(update_fields=["status", "final"])
        result.reversed.append(deposit.pk)


def withdrawals_frozen(*, user_id: int) -> bool:
    """A member with a deposit removed by a fork and not yet reversed cannot withdraw."""
    return Deposit.objects.filter(user_id=user_id, status=Deposit.Status.REVERSAL_PENDING).exists()
