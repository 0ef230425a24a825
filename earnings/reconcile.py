"""Reconciliation of the member figures every cap depends on, for `manage.py reconcile_ledger`.

The caps read cached totals (`total_earnings`, `total_invested`, a subscription's
`total_earned`); a withdrawal reads the `withdrawal_hold` balance. Each must equal what it
caches. All four are checked in one statement, so while payouts go on they are compared within
one snapshot (a payout writes a total and its postings in one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from wallet.models import AccountCode, LedgerTransaction, Withdrawal

LISTED_PER_CHECK = 50

# What each check compares, in the order the command reports them.
CHECKS = {
    "total_earnings": "member {id}: total_earnings {stored} but daily income, generation income, weekly "
                      "bonus and promotion-to-main postings sum to {actual}",
    "total_invested": "member {id}: total_invested {stored} but their subscriptions sum to {actual}",
    "total_earned": "subscription {id}: total_earned {stored} but its daily income sums to {actual}",
    "withdrawal_hold": "member {id}: withdrawal_hold balance {stored} but their withdrawals not yet settled "
                       "or returned sum to {actual}",
}

EARNING_KINDS = [LedgerTransaction.Kind.DAILY_INCOME, LedgerTransaction.Kind.COMMISSION,
                 LedgerTransaction.Kind.WEEKLY_BONUS]

_SQL = """
WITH earned AS (
    SELECT a.user_id, sum(e.amount) AS total
    FROM wallet_ledgerentry e
    JOIN wallet_ledgertransaction t ON t.id = e.transaction_id
    JOIN wallet_ledgeraccount a ON a.id = e.account_id
    WHERE a.user_id IS NOT NULL
      AND (t.kind = ANY(%(earning_kinds)s)
           -- promotional income paid to main counts toward the cap (earnings.distributions)
           OR (t.idempotency_key LIKE 'promotion:%%' AND a.code = %(main)s))
    GROUP BY a.user_id
), invested AS (
    SELECT user_id, sum(amount) AS total FROM investment_subscription GROUP BY user_id
), daily AS (
    SELECT source_subscription_id AS id, sum(amount) AS total FROM earnings_commission
    WHERE commission_type = 'daily_bond' GROUP BY source_subscription_id
), held AS (
    SELECT user_id, balance FROM wallet_ledgeraccount WHERE code = %(hold)s AND user_id IS NOT NULL
), open_withdrawals AS (
    SELECT user_id, sum(amount) AS total FROM wallet_withdrawal WHERE status = ANY(%(open)s) GROUP BY user_id
), drift AS (
    SELECT 'total_earnings' AS check_name, u.id, u.total_earnings AS stored, coalesce(earned.total, 0) AS actual
    FROM accounts_user u LEFT JOIN earned ON earned.user_id = u.id
    WHERE u.total_earnings <> coalesce(earned.total, 0)
    UNION ALL
    SELECT 'total_invested', u.id, u.total_invested, coalesce(invested.total, 0)
    FROM accounts_user u LEFT JOIN invested ON invested.user_id = u.id
    WHERE u.total_invested <> coalesce(invested.total, 0)
    UNION ALL
    SELECT 'total_earned', s.id, s.total_earned, coalesce(daily.total, 0)
    FROM investment_subscription s LEFT JOIN daily ON daily.id = s.id
    WHERE s.total_earned <> coalesce(daily.total, 0)
    UNION ALL
    SELECT 'withdrawal_hold', coalesce(held.user_id, o.user_id), coalesce(held.balance, 0), coalesce(o.total, 0)
    FROM held FULL JOIN open_withdrawals o ON o.user_id = held.user_id
    WHERE coalesce(held.balance, 0) <> coalesce(o.total, 0)
)
SELECT check_name, id, stored, actual, found FROM (
    SELECT drift.*, count(*) OVER (PARTITION BY check_name) AS found,
           row_number() OVER (PARTITION BY check_name ORDER BY id) AS n
    FROM drift
) listed
WHERE n <= %(listed)s
ORDER BY check_name, id
"""


@dataclass(frozen=True)
class TotalDrift:
    check: str  # a key of CHECKS
    id: int  # the member, or the subscription for total_earned
    stored: Decimal
    actual: Decimal

    def __str__(self) -> str:
        return CHECKS[self.check].format(id=self.id, stored=self.stored, actual=self.actual)


@dataclass(frozen=True)
class MemberTotalsReport:
    found: dict[str, int] = field(default_factory=dict)  # drifted rows per check
    listed: list[TotalDrift] = field(default_factory=list)  # the first LISTED_PER_CHECK of each

    @property
    def ok(self) -> bool:
        return not self.found

    def line(self) -> str:
        return "member totals: " + ", ".join(f"{self.found.get(name, 0)} drifted {name}" for name in CHECKS)


def member_totals_reconcile() -> MemberTotalsReport:
    """Compare every cached member figure with what it caches; set-based, one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL, {
            "earning_kinds": [str(kind) for kind in EARNING_KINDS], "hold": str(AccountCode.WITHDRAWAL_HOLD),
            "main": str(AccountCode.MAIN),
            "open": [str(status) for status in Withdrawal.OPEN], "listed": LISTED_PER_CHECK,
        })
        rows = cursor.fetchall()
    found = {check: int(count) for check, _id, _stored, _actual, count in rows}
    listed = [TotalDrift(check, int(row_id), stored, actual) for check, row_id, stored, actual, _count in rows]
    return MemberTotalsReport(found=found, listed=listed)
