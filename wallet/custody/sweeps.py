"""Sweeps: move USDT from deposit addresses to the hot wallet.

A deposit address holds USDT but no TRX and is not even activated, so a sweep is two recorded
steps: the gas wallet sends it TRX (activating it), then the address sends its USDT to the hot
wallet, signed with its key derived from the mnemonic. Each transaction is a ChainTransfer
stored before it is broadcast and re-sent byte for byte until mined or provably dead, exactly
like withdrawals. The ledger does not change: USDT on a deposit address is already custody.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ChainTransfer, DepositSweep
from .balances import usdt_balances
from .chain import ChainClient, ChainUnavailable, chain_client
from .deposits import amount_to_units
from .holdings import Holding, holdings
from .keys import deposit_private_key, gas_wallet_key
from .transfers import LIVE, transfer_broadcast, transfer_check

if TYPE_CHECKING:
    from tronpy.tron import Transaction as TronTransaction

logger = logging.getLogger(__name__)

STUCK_JOB = "sweep_advance"
OPEN = (DepositSweep.Status.NEEDS_GAS, DepositSweep.Status.READY, DepositSweep.Status.SWEEPING)


@dataclass
class SweepReport:
    candidates: int = 0
    planned: list[str] = field(default_factory=list)
    gas_sent: list[str] = field(default_factory=list)
    sweeps_sent: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)


def _candidates() -> list[Holding]:
    """Addresses that by the records hold at least SWEEP_THRESHOLD and have no sweep open."""
    threshold = amount_to_units(settings.SWEEP_THRESHOLD)
    open_ids = set(DepositSweep.objects.filter(status__in=OPEN).values_list("deposit_address_id", flat=True))
    return [h for h in holdings() if h.expected_units >= threshold and h.address_id not in open_ids]


def deposits_sweep(*, dry_run: bool = False, client: ChainClient | None = None) -> SweepReport:
    """Open a sweep for every address holding at least SWEEP_THRESHOLD USDT, then advance all sweeps.

    Which addresses is decided by the records (received minus swept); only those are read on
    chain, in batches, so a run's node calls do not grow with addresses below the threshold.
    """
    client = client or chain_client()
    report = SweepReport()
    threshold = amount_to_units(settings.SWEEP_THRESHOLD)
    candidates = _candidates()
    report.candidates = len(candidates)
    on_chain = usdt_balances(client=client, addresses=[h.address for h in candidates])
    for holding in candidates:
        units = on_chain[holding.address]
        if units < threshold:
            logger.warning("deposit address %s should hold %s units but holds %s; not swept",
                           holding.address, holding.expected_units, units)
            continue
        report.planned.append(holding.address)
        if dry_run:
            continue
        # The gas step reads the TRX balance and moves straight on when the address already has enough.
        DepositSweep.objects.bulk_create(
            [DepositSweep(deposit_address_id=holding.address_id, amount_units=units,
                          status=DepositSweep.Status.NEEDS_GAS)],
            ignore_conflicts=True,  # one open sweep per address (a partial unique constraint)
        )
    if not dry_run:
        sweeps_advance(client=client, report=report)
    return report


def sweeps_advance(*, client: ChainClient | None = None, report: SweepReport | None = None) -> SweepReport:
    """Move every open sweep one step forward; safe to run at any time, any number of times.

    One sweep that fails is recorded as stuck (job "sweep_advance") and the others go on. The
    steps are not wrapped in one database transaction on purpose: a signed transaction must be
    committed before it is broadcast, so each step commits its own rows as it goes. A node that
    does not answer stops the run instead (the task retries it), since every sweep would fail alike.
    """
    from phonix.stuck import stuck_item_clear, stuck_item_record

    report = report or SweepReport()
    open_sweeps = list(DepositSweep.objects.filter(status__in=OPEN).select_related("deposit_address").order_by("id"))
    if not open_sweeps:
        return report
    client = client or chain_client()
    for sweep in open_sweeps:
        try:
            _advance(sweep, client, report)
        except ChainUnavailable:
            raise
        except Exception as error:
            stuck_item_record(job=STUCK_JOB, item_id=sweep.pk, error=error)
            report.stuck.append(sweep.deposit_address.address)
        else:
            stuck_item_clear(job=STUCK_JOB, item_id=sweep.pk)
    return report


def _advance(sweep: DepositSweep, client: ChainClient, report: SweepReport) -> None:
    if sweep.status == DepositSweep.Status.NEEDS_GAS:
        _gas_step(sweep, client, report)
    if sweep.status == DepositSweep.Status.READY:
        _sweep_step(sweep, client, report)
    elif sweep.status == DepositSweep.Status.SWEEPING:
        _follow_sweep(sweep, client, report)
    logger.debug("sweep %s of %s is %s", sweep.pk, sweep.deposit_address.address, sweep.status)


def _live(sweep: DepositSweep, purpose: str) -> ChainTransfer | None:
    return sweep.transfers.filter(purpose=purpose, state__in=LIVE).first()


def _set_status(sweep: DepositSweep, status: str, reason: str = "") -> None:
    sweep.status = status
    fields = {"status": status, "updated_at": timezone.now()}
    if reason:
        sweep.failure_reason = fields["failure_reason"] = reason[:300]
    if status == DepositSweep.Status.COMPLETED:
        sweep.completed_at = fields["completed_at"] = timezone.now()
    DepositSweep.objects.filter(pk=sweep.pk).update(**fields)


def _store(sweep: DepositSweep, purpose: str, txn: TronTransaction) -> ChainTransfer | None:
    signed = txn.to_json()
    try:
        with transaction.atomic():
            return ChainTransfer.objects.create(
                purpose=purpose, sweep=sweep, attempt=sweep.transfers.filter(purpose=purpose).count() + 1,
                txid=txn.txid, signed_tx=signed, expiration_ms=signed["raw_data"]["expiration"],
            )
    except IntegrityError:
        return None  # another run stored this step's transaction first


def _gas_step(sweep: DepositSweep, client: ChainClient, report: SweepReport) -> None:
    address = sweep.deposit_address.address
    live = _live(sweep, ChainTransfer.Purpose.SWEEP_GAS)
    gas_confirmed = False
    if live is not None:
        outcome = transfer_check(transfer=live, client=client)
        gas_confirmed = outcome.state == "confirmed"
        if outcome.state == "pending":
            return
        state = {"confirmed": ChainTransfer.State.CONFIRMED, "failed": ChainTransfer.State.FAILED,
                 "dead": ChainTransfer.State.DEAD}[outcome.state]
        receipt = outcome.receipt or {}
        # The fee (activation, bandwidth) is what the gas wallet paid on top of the gas itself.
        ChainTransfer.objects.filter(pk=live.pk).update(state=state, block_number=receipt.get("blockNumber"),
                                                        fee_sun=receipt.get("fee", 0), updated_at=timezone.now())
    balance = client.trx_balance(address)
    if balance >= settings.SWEEP_GAS_SUN:
        _set_status(sweep, DepositSweep.Status.READY)
        return
    if gas_confirmed:
        # Gas arrived but the address spent it: something else is using the address.
        _set_status(sweep, DepositSweep.Status.FAILED, "gas was sent but the address holds too little TRX")
        report.failed.append(address)
        return
    txn = client.build_trx_transfer(
        owner=settings.TRON_GAS_WALLET_ADDRESS, to=address, amount_sun=settings.SWEEP_GAS_SUN - balance,
        expiration_seconds=settings.TRON_TX_EXPIRATION_SECONDS,
    ).sign(gas_wallet_key())
    transfer = _store(sweep, ChainTransfer.Purpose.SWEEP_GAS, txn)
    if transfer is not None:
        transfer_broadcast(transfer=transfer, client=client)
        report.gas_sent.append(address)


def _sweep_step(sweep: DepositSweep, client: ChainClient, report: SweepReport) -> None:
    address = sweep.deposit_address
    if _live(sweep, ChainTransfer.Purpose.SWEEP) is None:
        units = client.usdt_balance(address.address)
        if units <= 0:
            # Nothing left to move: the sweep completes having moved nothing, so the records keep
            # expecting the USDT here and the custody check reports the address.
            DepositSweep.objects.filter(pk=sweep.pk).update(amount_units=0)
            _set_status(sweep, DepositSweep.Status.COMPLETED)
            return
        key = deposit_private_key(index=address.derivation_index)
        txn = client.build_usdt_transfer(
            owner=address.address, to=settings.TRON_HOT_WALLET_ADDRESS, amount_units=units,
            fee_limit=min(settings.TRON_FEE_LIMIT_SUN, settings.SWEEP_GAS_SUN),
            expiration_seconds=settings.TRON_TX_EXPIRATION_SECONDS,
        ).sign(key)
        transfer = _store(sweep, ChainTransfer.Purpose.SWEEP, txn)
        if transfer is None:
            return
        DepositSweep.objects.filter(pk=sweep.pk).update(amount_units=units)
        transfer_broadcast(transfer=transfer, client=client)
        report.sweeps_sent.append(address.address)
    _set_status(sweep, DepositSweep.Status.SWEEPING)


def _follow_sweep(sweep: DepositSweep, client: ChainClient, report: SweepReport) -> None:
    live = _live(sweep, ChainTransfer.Purpose.SWEEP)
    if live is None:
        _set_status(sweep, DepositSweep.Status.READY)
        return
    outcome = transfer_check(transfer=live, client=client)
    if outcome.state == "pending":
        return
    receipt = outcome.receipt or {}
    if outcome.state == "confirmed":
        ChainTransfer.objects.filter(pk=live.pk).update(
            state=ChainTransfer.State.CONFIRMED, block_number=receipt.get("blockNumber"),
            fee_sun=receipt.get("fee", 0), receipt_result="SUCCESS", updated_at=timezone.now(),
        )
        _set_status(sweep, DepositSweep.Status.COMPLETED)
        report.completed.append(sweep.deposit_address.address)
    elif outcome.state == "failed":
        result = receipt.get("receipt", {}).get("result", "FAILED")
        ChainTransfer.objects.filter(pk=live.pk).update(
            state=ChainTransfer.State.FAILED, block_number=receipt.get("blockNumber"), receipt_result=result[:40],
            fee_sun=receipt.get("fee", 0), updated_at=timezone.now(),
        )
        _set_status(sweep, DepositSweep.Status.FAILED, f"the sweep failed on chain ({result})")
        report.failed.append(sweep.deposit_address.address)
    else:
        ChainTransfer.objects.filter(pk=live.pk).update(state=ChainTransfer.State.DEAD, updated_at=timezone.now())
        _set_status(sweep, DepositSweep.Status.READY)
