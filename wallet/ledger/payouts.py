"""Payout batches: many members paid from a platform account in one ledger transaction.

A payout run (daily income, weekly bonuses, mining rewards, staff distributions) pays thousands of
members at once. Each batch is one ledger transaction: one entry per member, one for the platform
account, one history line per member. What makes each payout happen once is not the ledger's key
but the payer's own record — a commission row per (subscription, date), a weekly bonus row per
(member, week), a completed mining session — written in the same database transaction, naming the
batch's ledger transaction. A batch key is therefore new by construction; one that exists already
is refused, never taken as "already paid".

The payer fills `pg_temp.wallet_payout`, a table declared here, one row per member:

    payout_table_create()
    INSERT INTO pg_temp.wallet_payout (user_id, amount, subscription_id, description) SELECT …
    batch = ledger_post_payouts(key=…, kind=…, history_type=…)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from phonix.exceptions import IdempotencyConflict
from phonix.page_cache import pages_changed
from phonix.page_versions import MANY_MEMBERS
from phonix.sql import SqlParams

from ..models import AccountCode
from .accounts import platform_account
from .postings import _ledger_call

PAYOUT_TABLE = "pg_temp.wallet_payout"


@dataclass(frozen=True)
class PayoutBatch:
    transaction_id: int | None  # None when the table was empty
    members: int
    total: Decimal


def _atomic_required() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("payout batches must run inside transaction.atomic()")


def payout_table_create() -> None:
    """An empty payout table for the current transaction (dropped at its end)."""
    _atomic_required()
    with connection.cursor() as cursor:
        # Inside an outer transaction (a test, a dry run) ON COMMIT has not dropped the last one yet.
        cursor.execute(f"DROP TABLE IF EXISTS {PAYOUT_TABLE}")
        cursor.execute(
            """
            CREATE TEMP TABLE wallet_payout (
                user_id bigint PRIMARY KEY,
                amount numeric(20, 6) NOT NULL CHECK (amount > 0),
                subscription_id bigint,
                description varchar(500) NOT NULL
            ) ON COMMIT DROP
            """
        )


def ledger_post_payouts(
    *, key: str, kind: str, history_type: str, memo: str = "",
    member_code: str = AccountCode.MAIN, platform_code: str = AccountCode.PAYOUTS,
) -> PayoutBatch:
    """Pay every row of the payout table: platform −total, each member +amount, one history line each.

    Member accounts missing are opened. The entries go through `ledger_post_one` like every other
    posting: accounts locked in primary-key order, no member balance below zero, entries summing
    to zero, and the same content hash `ledger_post` would give them.
    """
    _atomic_required()
    if not key or len(key) > 200:
        raise ValueError("a payout batch needs a key of at most 200 characters")
    platform = platform_account(platform_code).pk
    values: SqlParams = {"key": key, "kind": str(kind), "memo": memo[:500], "platform": platform,
              "member_code": str(member_code), "history_type": str(history_type)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(sum(amount), 0) FROM {PAYOUT_TABLE}")
        members, total = cursor.fetchone()
        if not members:
            return PayoutBatch(transaction_id=None, members=0, total=Decimal(0))
        if members > MANY_MEMBERS:  # the triggers would switch so after as many rows anyway
            pages_changed()
        cursor.execute(
            f"""
            INSERT INTO wallet_ledgeraccount (user_id, code, balance, created_at)
            SELECT p.user_id, %(member_code)s, 0, now() FROM {PAYOUT_TABLE} p
            -- Members nearly always have their accounts: an anti-join finds the few that don't,
            -- far cheaper than a speculative insert per row.
            WHERE NOT EXISTS (SELECT 1 FROM wallet_ledgeraccount a WHERE a.user_id = p.user_id
                              AND a.code = %(member_code)s)
            ON CONFLICT (user_id, code) WHERE user_id IS NOT NULL DO NOTHING
            """,
            values,
        )
    ledger_id, _created_at, _hash, is_new = _ledger_call(
        f"""
        WITH entries AS (
            SELECT a.id AS account_id, p.amount
            FROM {PAYOUT_TABLE} p JOIN wallet_ledgeraccount a ON a.user_id = p.user_id AND a.code = %(member_code)s
            UNION ALL
            SELECT %(platform)s::bigint, -sum(amount) FROM {PAYOUT_TABLE}
        ), posting AS (
            SELECT array_agg(account_id ORDER BY account_id) AS accounts,
                   array_agg(amount ORDER BY account_id) AS amounts,
                   encode(sha256(convert_to(%(kind)s || '|' || string_agg(
                       account_id::text || ':' || amount::numeric(20, 6)::text, ';' ORDER BY account_id), 'UTF8')),
                       'hex') AS content_hash
            FROM entries
        )
        SELECT r.* FROM posting,
            LATERAL ledger_post_one(%(kind)s, %(key)s, posting.content_hash, %(memo)s, NULL,
                                    posting.accounts, posting.amounts) r
        """,
        values,
    )
    if not is_new:
        # Same content or not: the payout's own rows, not this key, say what was paid.
        raise IdempotencyConflict(_("The payout batch %(key)s was posted before.") % {"key": key})
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO wallet_transaction
                (user_id, type, amount, fee, net_amount, status, txn_hash, wallet_address, description,
                 subscription_id, ledger_transaction_id, created_at, updated_at, completed_at)
            SELECT user_id, %(history_type)s, amount, 0, amount, 'completed', '', '', description,
                   subscription_id, %(ledger_id)s, now(), now(), now()
            FROM {PAYOUT_TABLE}
            """,
            {**values, "ledger_id": ledger_id},
        )
    return PayoutBatch(transaction_id=ledger_id, members=members, total=total)
