"""Readings the console shows that are taken by a job elsewhere: what custody held on chain."""

from __future__ import annotations

from decimal import Decimal

from phonix.models import CustodyReading


def custody_reading_record(*, hot_wallet: Decimal, deposit_addresses: Decimal, ledger_custody: Decimal,
                           problems: int) -> CustodyReading:
    """Keep what an itemised custody reconciliation read on chain (the console's reserves)."""
    return CustodyReading.objects.create(hot_wallet=hot_wallet, deposit_addresses=deposit_addresses,
                                         ledger_custody=ledger_custody, problems=problems)


def custody_reading_latest() -> CustodyReading | None:
    return CustodyReading.objects.order_by("-read_at", "-id").first()
