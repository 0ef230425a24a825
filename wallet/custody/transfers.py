"""Following a stored, signed transaction until its outcome is proved: withdrawals and sweeps alike.

A stored transaction is re-sent byte for byte while it can still be mined. Its outcome is
"confirmed" or "failed" only on a receipt that proves it (`wallet.custody.chain.receipt_read`), and
"dead" (so that its owner may sign again) only when all of these hold:

- the solidified head, read from the solidity node, is past the transaction's expiration
  (expiration is judged by block time, not by our clock);
- the solidity node has answered "not found" at least TRON_DEAD_AFTER_CHECKS times, spread over
  at least TRON_DEAD_AFTER_SECONDS (one backend of a load balancer may lag far behind);
- every solidified block it could be in — from its reference block to the first block stamped
  at or after its expiration — was read with its transactions, and none holds it.

Any doubt (an unreadable block, a block that holds it, a lagging answer) means "pending".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import ChainTransfer, Withdrawal
from .chain import ChainClient, JsonObject, SolidBlock, is_contract_call

logger = logging.getLogger(__name__)

LIVE = (ChainTransfer.State.SIGNED, ChainTransfer.State.BROADCAST)
TAPOS_SPAN = 1 << 16  # ref_block_bytes holds the low 16 bits of the reference block's number


def transfer_broadcast(*, transfer: ChainTransfer, client: ChainClient) -> bool:
    """Send the stored bytes; safe to repeat (the node answers DUP for what it already has)."""
    outcome = client.broadcast(transfer.signed_tx)
    updates = {"broadcast_count": transfer.broadcast_count + 1, "last_broadcast_code": outcome.code[:60],
               "updated_at": timezone.now()}
    if outcome.accepted and transfer.state == ChainTransfer.State.SIGNED:
        updates["state"] = ChainTransfer.State.BROADCAST
    ChainTransfer.objects.filter(pk=transfer.pk).update(**updates)
    for name, value in updates.items():
        setattr(transfer, name, value)
    if not outcome.accepted:
        logger.warning("broadcast of %s refused: %s %s", transfer.txid, outcome.code, outcome.message)
    elif transfer.withdrawal_id:
        Withdrawal.objects.filter(pk=transfer.withdrawal_id, status=Withdrawal.Status.SIGNED).update(
            status=Withdrawal.Status.BROADCAST, updated_at=timezone.now()
        )
    return outcome.accepted


@dataclass(frozen=True)
class TransferOutcome:
    state: str  # "pending", "confirmed", "failed", "dead"
    receipt: JsonObject | None = None  # the proving receipt, for "confirmed" and "failed"


def transfer_check(*, transfer: ChainTransfer, client: ChainClient) -> TransferOutcome:
    """Where a stored transaction stands; re-sends it while it can still be mined."""
    contract_call = is_contract_call(transfer.signed_tx)
    receipt = client.receipt(transfer.txid, solid=True, contract_call=contract_call)
    if receipt is not None:
        return TransferOutcome("confirmed" if receipt.succeeded else "failed", receipt.raw)
    solid_head = client.solid_block()
    if solid_head is None or solid_head.timestamp <= transfer.expiration_ms:
        # It can still be packed: make sure the pool has it ("unknown" from the node included).
        if client.receipt(transfer.txid, solid=False, contract_call=contract_call) is None:
            transfer_broadcast(transfer=transfer, client=client)
        return TransferOutcome("pending")
    if _absence_noted(transfer) and _absent_from_blocks(transfer, client, solid_head):
        return TransferOutcome("dead")
    return TransferOutcome("pending")


def _absence_noted(transfer: ChainTransfer) -> bool:
    """Count one more "not found" past the expiration; True once there were enough, long enough."""
    now = timezone.now()
    checks, since = transfer.absent_checks + 1, transfer.absent_since or now
    ChainTransfer.objects.filter(pk=transfer.pk).update(absent_checks=checks, absent_since=since)
    transfer.absent_checks, transfer.absent_since = checks, since
    return (checks >= settings.TRON_DEAD_AFTER_CHECKS
            and now - since >= timedelta(seconds=settings.TRON_DEAD_AFTER_SECONDS))


def _absent_from_blocks(transfer: ChainTransfer, client: ChainClient, solid_head: SolidBlock) -> bool:
    """True only if every solidified block that could hold the transaction was read without it."""
    # The reference block was the solidified head when the transaction was built: the newest
    # block at or below today's solidified head with those low 16 bits (expiration is at most
    # 24 h, fewer blocks than TAPOS_SPAN). The transaction can only be in a later block.
    ref_low = int(transfer.signed_tx["raw_data"]["ref_block_bytes"], 16)
    first = solid_head.number - (solid_head.number - ref_low) % TAPOS_SPAN + 1
    for number in range(first, solid_head.number + 1):
        block = client.solid_block(number)
        if block is None:
            logger.info("transaction %s: block %s unreadable; not declared dead yet", transfer.txid, number)
            return False
        if transfer.txid in block.txids:
            logger.warning("transaction %s is in block %s although its receipt was not found", transfer.txid, number)
            return False
        if block.timestamp >= transfer.expiration_ms:
            return True  # a block is packed against its parent's time: no later block can hold it
    return False
