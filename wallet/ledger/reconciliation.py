"""The ledger proved against itself: Σ entries = 0, every transaction balances, every cached
balance is the sum of its entries (money rule 5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection


@dataclass(frozen=True)
class ReconcileReport:
    entries: int
    total: Decimal
    drifted_accounts: list[tuple[int, Decimal, Decimal]]  # (account id, cached, from entries)
    unbalanced_transactions: int

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.drifted_accounts and not self.unbalanced_transactions


def ledger_reconcile() -> ReconcileReport:
    """Prove Σ entries = 0, every transaction balances, and every cache = Σ of its entries.

    One statement, so all three answers come from the same snapshot while postings go on.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH by_account AS (
                SELECT account_id, sum(amount) AS total, count(*) AS entries
                FROM wallet_ledgerentry GROUP BY account_id
            ), unbalanced AS (
                SELECT count(*) AS n FROM (
                    SELECT 1 FROM wallet_ledgerentry GROUP BY transaction_id HAVING sum(amount) <> 0
                ) t
            ), drift AS (
                SELECT a.id, a.balance, coalesce(b.total, 0) AS total
                FROM wallet_ledgeraccount a LEFT JOIN by_account b ON b.account_id = a.id
                WHERE a.balance <> coalesce(b.total, 0)
            )
            SELECT (SELECT coalesce(sum(entries), 0) FROM by_account),
                   (SELECT coalesce(sum(total), 0) FROM by_account),
                   (SELECT n FROM unbalanced),
                   (SELECT coalesce(array_agg(ARRAY[id, balance, total] ORDER BY id), '{}')
                    FROM drift)
            """
        )
        entries, total, unbalanced, drifted = cursor.fetchone()
    return ReconcileReport(
        entries=int(entries), total=total, unbalanced_transactions=unbalanced,
        drifted_accounts=[(int(account_id), cached, actual) for account_id, cached, actual in drifted],
    )
