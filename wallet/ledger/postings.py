"""Posting ledger transactions: balanced entries and their history lines, exactly once per
idempotency key (money rules 2 and 3). Every change of a balance goes through here (money rule 6)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from phonix.exceptions import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedPosting,
)
from phonix.money import parse_amount
from phonix.page_cache import pages_changed
from phonix.page_versions import MANY_MEMBERS
from phonix.sql import SqlParams, SqlValue, array_literal, text_array_literal

from ..models import (
    AccountCode,
    LedgerTransaction,
    Transaction,
)

BATCH_CHUNK = 10_000


@dataclass(frozen=True)
class HistoryLine:
    """A line of the member-facing history written together with a posting."""

    user_id: int
    type: str
    amount: Decimal
    fee: Decimal = Decimal(0)
    net_amount: Decimal | None = None
    status: str = Transaction.Status.COMPLETED
    description: str = ""
    subscription_id: int | None = None
    txn_hash: str = ""
    wallet_address: str = ""


@dataclass
class Posting:
    key: str
    kind: str
    entries: Sequence[tuple[int, Decimal]]  # (ledger account id, signed amount)
    memo: str = ""
    created_by_id: int | None = None
    history: Sequence[HistoryLine] = field(default_factory=tuple)


@dataclass(frozen=True)
class BatchResult:
    created: int
    already_posted: int
    transaction_ids: dict[str, int] = field(default_factory=dict)  # key → id of each posted here


def _normalised(entries: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Validate amounts and merge entries per account; refuse an unbalanced set."""
    if len(entries) < 2:
        raise UnbalancedPosting(_("A posting needs at least two entries."))
    merged: dict[int, Decimal] = {}
    for account_id, amount in entries:
        account, value = int(account_id), parse_amount(amount, allow_negative=True)
        earlier = merged.get(account)
        merged[account] = value if earlier is None else earlier + value
    if sum(merged.values()) != 0:
        raise UnbalancedPosting(_("The entries of a posting must sum to zero."))
    normalised = sorted([entry for entry in merged.items() if entry[1]])
    if len(normalised) < 2:
        raise UnbalancedPosting(_("A posting must move money between two different accounts."))
    return normalised


def _content_hash(kind: str, entries: list[tuple[int, Decimal]]) -> str:
    text = kind + "|" + ";".join(f"{account_id}:{amount}" for account_id, amount in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def _ledger_call(sql: str, params: list[SqlValue] | SqlParams) -> tuple[Any, ...]:
    """Run one of the ledger's SQL functions, turning its refusals into domain errors; its row."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row: tuple[Any, ...] = cursor.fetchone()
            return row
    except DatabaseError as error:
        cause = error.__cause__
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate == "PX001":
            assert isinstance(cause, psycopg.Error)  # the driver's error carries the sqlstate
            code = cause.diag.message_primary or ""
            raise InsufficientFunds(
                _("Insufficient funds in the %(account)s account.") % {"account": AccountCode(code).label}
            ) from None
        if sqlstate == "PX002":
            raise UnbalancedPosting(_("A posting names a ledger account that does not exist.")) from None
        raise


_HISTORY_INSERT = """
    INSERT INTO wallet_transaction (user_id, type, amount, fee, net_amount, status, description, subscription_id,
                                    txn_hash, wallet_address, ledger_transaction_id, created_at, updated_at,
                                    completed_at)
    SELECT u, t, a, f, n, s, d, sub, h, w, l, %(now)s, %(now)s, CASE WHEN s = %(completed)s THEN %(now)s END
    FROM unnest(%(users)s::bigint[], %(types)s::text[], %(amounts)s::numeric[], %(fees)s::numeric[],
                %(nets)s::numeric[], %(statuses)s::text[], %(descriptions)s::text[], %(subscriptions)s::bigint[],
                %(hashes)s::text[], %(addresses)s::text[], %(ledger_ids)s::bigint[])
        AS line(u, t, a, f, n, s, d, sub, h, w, l)
"""


def _insert_history(pairs: list[tuple[int, HistoryLine]]) -> None:
    """The member-facing lines of postings, (ledger transaction id, line) each, in one statement:
    a column per array, which costs a fraction of what the ORM's bulk_create spends on a
    placeholder per value (a fan-out writes twenty lines in every purchase's wake). The arrays go as
    literals, cheaper to send than lists the driver quotes value by value."""
    lines = [line for _ledger_id, line in pairs]
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_INSERT, {
            "now": timezone.now(), "completed": Transaction.Status.COMPLETED,
            "users": array_literal(line.user_id for line in lines),
            "types": text_array_literal(line.type for line in lines),
            "amounts": array_literal(line.amount for line in lines), "fees": array_literal(line.fee for line in lines),
            "nets": array_literal(line.amount - line.fee if line.net_amount is None else line.net_amount
                                  for line in lines),
            "statuses": text_array_literal(line.status for line in lines),
            "descriptions": text_array_literal(line.description[:500] for line in lines),
            "subscriptions": text_array_literal(line.subscription_id for line in lines),
            "hashes": text_array_literal(line.txn_hash for line in lines),
            "addresses": text_array_literal(line.wallet_address for line in lines),
            "ledger_ids": array_literal(ledger_id for ledger_id, _line in pairs),
        })


def ledger_post(
    *,
    key: str,
    kind: str,
    entries: Sequence[tuple[int, Decimal]],
    memo: str = "",
    created_by_id: int | None = None,
    history: Sequence[HistoryLine] = (),
) -> LedgerTransaction:
    """Post one balanced ledger transaction, exactly once per idempotency key.

    The same key with the same content returns the first transaction; with different content
    it raises IdempotencyConflict. A member account that would go below zero raises
    InsufficientFunds and nothing is written.
    """
    if not key or len(key) > 200:
        raise InvalidAmount(_("A posting needs an idempotency key of at most 200 characters."))
    normalised = _normalised(entries)
    content_hash = _content_hash(kind, normalised)
    with transaction.atomic():
        ledger_id, created_at, stored_hash, is_new = _ledger_call(
            "SELECT * FROM ledger_post_one("
            "%s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint[], %s::numeric[])",
            [kind, key, content_hash, memo[:500], created_by_id,
             [account_id for account_id, _amount in normalised], [amount for _id, amount in normalised]],
        )
        if not is_new:
            if stored_hash != content_hash:
                raise IdempotencyConflict(
                    _("The key %(key)s was already posted with different content.") % {"key": key}
                )
            return LedgerTransaction.objects.get(pk=ledger_id)
        if history:
            _insert_history([(ledger_id, line) for line in history])
    posted = LedgerTransaction(
        pk=ledger_id, kind=kind, idempotency_key=key, content_hash=content_hash, memo=memo[:500],
        created_by_id=created_by_id, created_at=created_at,
    )
    posted._state.adding, posted._state.db = False, connection.alias
    return posted


def ledger_post_batch(*, postings: Sequence[Posting]) -> BatchResult:
    """Post many transactions in a few statements per chunk (payout runs).

    All or nothing: any conflict or shortfall rolls the whole batch back. Keys already posted
    with the same content are skipped, so a re-run of a payout job posts nothing twice.
    """
    created: dict[str, int] = {}
    already = 0
    with transaction.atomic():
        if len(postings) > MANY_MEMBERS:  # the triggers would switch so after as many rows anyway
            pages_changed()
        for start in range(0, len(postings), BATCH_CHUNK):
            chunk = postings[start : start + BATCH_CHUNK]
            new_ids, old = _post_chunk(chunk)
            created.update(new_ids)
            already += old
    return BatchResult(created=len(created), already_posted=already, transaction_ids=created)


def _post_chunk(chunk: Sequence[Posting]) -> tuple[dict[str, int], int]:
    prepared = []
    for posting in chunk:
        normalised = _normalised(posting.entries)
        prepared.append((posting, normalised, _content_hash(posting.kind, normalised)))
    keys = [p.key for p, _n, _h in prepared]
    if len(set(keys)) != len(keys):
        raise IdempotencyConflict(_("A batch names the same idempotency key twice."))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO wallet_ledgertransaction
                (kind, idempotency_key, content_hash, memo, created_by_id, created_at)
            SELECT k, key, h, m, c, now()
            FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[])
                AS t(k, key, h, m, c)
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key
            """,
            [
                text_array_literal(p.kind for p, _n, _h in prepared), text_array_literal(keys),
                text_array_literal(h for _p, _n, h in prepared),
                text_array_literal(p.memo[:500] for p, _n, _h in prepared),
                text_array_literal(p.created_by_id for p, _n, _h in prepared),
            ],
        )
        new_ids = dict((key, ledger_id) for ledger_id, key in cursor.fetchall())
    old_keys = [key for key in keys if key not in new_ids]
    if old_keys:
        stored = dict(
            LedgerTransaction.objects.filter(idempotency_key__in=old_keys).values_list(
                "idempotency_key", "content_hash"
            )
        )
        for posting, _n, content_hash in prepared:
            if posting.key in stored and stored[posting.key] != content_hash:
                raise IdempotencyConflict(
                    _("The key %(key)s was already posted with different content.") % {"key": posting.key}
                )
    # Each account's total change, its entries' amounts summed once (the platform account has
    # one in every posting of a payout batch).
    amounts_by_account: dict[int, list[Decimal]] = {}
    entry_rows: list[tuple[int, int, Decimal]] = []
    history_pairs: list[tuple[int, HistoryLine]] = []
    for posting, normalised, _h in prepared:
        ledger_id = new_ids.get(posting.key)
        if ledger_id is None:
            continue
        for account_id, amount in normalised:
            amounts_by_account.setdefault(account_id, []).append(amount)
            entry_rows.append((ledger_id, account_id, amount))
        if posting.history:
            history_pairs.extend((ledger_id, line) for line in posting.history)
    if entry_rows:
        deltas = {account_id: sum(amounts) for account_id, amounts in amounts_by_account.items()}
        account_ids = sorted(account_id for account_id, delta in deltas.items() if delta)
        _ledger_call(
            "SELECT ledger_apply(%s::bigint[], %s::numeric[], %s::bigint[], %s::bigint[], %s::numeric[])",
            [array_literal(account_ids), array_literal(deltas[account_id] for account_id in account_ids),
             array_literal(r[0] for r in entry_rows), array_literal(r[1] for r in entry_rows),
             array_literal(r[2] for r in entry_rows)],
        )
    if history_pairs:
        _insert_history(history_pairs)
    return new_ids, len(old_keys)
