"""TRX given to deposit addresses for sweeps: what it cost, what is left, and taking it back.

A sweep sends SWEEP_GAS_SUN to the address first; the USDT transfer burns part of it and the rest
stays on the address. Staff see the totals on the custody page, and `manage.py reclaim_gas` sends
what is left back to the gas wallet from every swept address that has no sweep open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..models import ChainTransfer, DepositSweep
from .balances import trx_balances
from .chain import ChainClient, ChainUnavailable, chain_client
from .keys import deposit_private_key
from .transfers import LIVE, transfer_broadcast, transfer_check

logger = logging.getLogger(__name__)

STUCK_JOB = "gas_reclaim"
# Left on the address to pay the reclaim transfer's bandwidth once the day's free bandwidth is used.
BANDWIDTH_RESERVE_SUN = 300_000


@dataclass(frozen=True)
class GasTotals:
    sent_sun: int  # TRX sent to deposit addresses as gas
    fees_sun: int  # paid by the gas wallet to send it (activation, bandwidth)
    burned_sun: int  # burned by the sweeps themselves
    reclaimed_sun: int  # sent back to the gas wallet
    left_sun: int | None  # on chain, on swept addresses not reclaimed since their last gas
    addresses: int  # swept addresses whose gas was not reclaimed yet


def _totals_sql() -> tuple[int, int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(ct.amount) FILTER (WHERE purpose = 'sweep_gas'), 0),
                   coalesce(sum(ct.fee_sun) FILTER (WHERE purpose = 'sweep_gas'), 0),
                   coalesce(sum(ct.fee_sun) FILTER (WHERE purpose = 'sweep'), 0),
                   coalesce(sum(ct.amount) FILTER (WHERE purpose = 'gas_reclaim'), 0)
            FROM (SELECT purpose, fee_sun,
                         coalesce((signed_tx #>> '{raw_data,contract,0,parameter,value,amount}')::bigint, 0) AS amount
                  FROM wallet_chaintransfer WHERE sweep_id IS NOT NULL AND state = 'confirmed') ct
            """
        )
        totals: tuple[int, int, int, int] = cursor.fetchone()
        return totals


def _unreclaimed() -> list[tuple[int, str, int]]:
    """(address id, address, latest completed sweep) of swept addresses given gas since their last reclaim."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.address,
                   (SELECT max(s2.id) FROM wallet_depositsweep s2
                    WHERE s2.deposit_address_id = a.id AND s2.status = 'completed')
            FROM wallet_depositaddress a
            JOIN wallet_depositsweep s ON s.deposit_address_id = a.id
            JOIN wallet_chaintransfer ct ON ct.sweep_id = s.id
            GROUP BY a.id, a.address
            HAVING max(ct.id) FILTER (WHERE ct.purpose = 'sweep_gas' AND ct.state = 'confirmed')
                   > coalesce(max(ct.id) FILTER (WHERE ct.purpose = 'gas_reclaim'
                                                 AND ct.state IN ('signed', 'broadcast', 'confirmed')), 0)
               AND NOT bool_or(s.status IN ('needs_gas', 'ready', 'sweeping'))
            ORDER BY a.id
            """
        )
        return [row for row in cursor.fetchall() if row[2] is not None]


def gas_totals(*, client: ChainClient | None = None, read_chain: bool = True) -> GasTotals:
    sent, fees, burned, reclaimed = _totals_sql()
    addresses = _unreclaimed()
    left = None
    if read_chain:
        left = sum(trx_balances(client=client or chain_client(), addresses=[a for _, a, _ in addresses]).values())
    return GasTotals(sent_sun=sent, fees_sun=fees, burned_sun=burned, reclaimed_sun=reclaimed, left_sun=left,
                     addresses=len(addresses))


@dataclass
class ReclaimReport:
    addresses: int = 0
    holding_sun: int = 0
    planned: list[tuple[str, int]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)

    @property
    def planned_sun(self) -> int:
        return sum(amount for _, amount in self.planned)


def gas_reclaim(*, dry_run: bool = False, client: ChainClient | None = None) -> ReclaimReport:
    """Send the TRX left on swept addresses back to the gas wallet; first follow earlier reclaims."""
    from phonix.stuck import stuck_item_clear, stuck_item_record

    client = client or chain_client()
    report = ReclaimReport()
    if not dry_run:
        _follow(client, report)
    candidates = _unreclaimed()
    balances = trx_balances(client=client, addresses=[address for _, address, _ in candidates])
    report.addresses = len(candidates)
    report.holding_sun = sum(balances.values())
    for _address_id, address, sweep_id in candidates:
        amount = balances[address] - BANDWIDTH_RESERVE_SUN
        if amount <= 0:
            continue
        report.planned.append((address, amount))
        if dry_run:
            continue
        try:
            if _send(sweep_id, address, amount, client):
                report.sent.append(address)
        except ChainUnavailable:
            raise
        except Exception as error:
            stuck_item_record(job=STUCK_JOB, item_id=sweep_id, error=error)
            report.stuck.append(address)
        else:
            stuck_item_clear(job=STUCK_JOB, item_id=sweep_id)
    return report


def _send(sweep_id: int, address: str, amount: int, client: ChainClient) -> bool:
    sweep = DepositSweep.objects.select_related("deposit_address").get(pk=sweep_id)
    txn = client.build_trx_transfer(
        owner=address, to=settings.TRON_GAS_WALLET_ADDRESS, amount_sun=amount,
        expiration_seconds=settings.TRON_TX_EXPIRATION_SECONDS,
    ).sign(deposit_private_key(index=sweep.deposit_address.derivation_index))
    signed = txn.to_json()
    try:
        with transaction.atomic():  # stored and committed before it is broadcast
            transfer = ChainTransfer.objects.create(
                purpose=ChainTransfer.Purpose.GAS_RECLAIM, sweep=sweep, txid=txn.txid, signed_tx=signed,
                attempt=sweep.transfers.filter(purpose=ChainTransfer.Purpose.GAS_RECLAIM).count() + 1,
                expiration_ms=signed["raw_data"]["expiration"],
            )
    except IntegrityError:
        return False  # another run has a reclaim of this address in flight
    transfer_broadcast(transfer=transfer, client=client)
    return True


def _follow(client: ChainClient, report: ReclaimReport) -> None:
    live = ChainTransfer.objects.filter(purpose=ChainTransfer.Purpose.GAS_RECLAIM, state__in=LIVE) \
        .select_related("sweep__deposit_address").order_by("id")
    for transfer in live:
        outcome = transfer_check(transfer=transfer, client=client)
        if outcome.state == "pending":
            continue
        state = {"confirmed": ChainTransfer.State.CONFIRMED, "failed": ChainTransfer.State.FAILED,
                 "dead": ChainTransfer.State.DEAD}[outcome.state]
        receipt = outcome.receipt or {}
        ChainTransfer.objects.filter(pk=transfer.pk).update(
            state=state, block_number=receipt.get("blockNumber"), fee_sun=receipt.get("fee", 0),
            updated_at=timezone.now(),
        )
        if state == ChainTransfer.State.CONFIRMED:
            assert transfer.sweep is not None  # a reclaim belongs to its sweep
            report.confirmed.append(transfer.sweep.deposit_address.address)
