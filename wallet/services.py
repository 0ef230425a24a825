"""Every change of a balance goes through this module (money rule 6)."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from phonix.exceptions import (
    AdjustmentRefused,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    UnbalancedPosting,
)
from phonix.money import AmountInput, parse_amount
from phonix.sql import SqlParams, SqlValue

from .models import (
    MEMBER_ACCOUNT_CODES,
    PLATFORM_ACCOUNT_CODES,
    AccountCode,
    LedgerAccount,
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


# Accounts ------------------------------------------------------------------------------------


def platform_account(code: str) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(user=None, code=code)
    return account


def member_accounts_open(*, user_ids: Iterable[int]) -> None:
    """Create the main, bonus and withdrawal_hold accounts of members who lack them (set-based)."""
    user_ids = list(user_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO wallet_ledgeraccount (user_id, code, balance, created_at)
            SELECT u, c, 0, now() FROM unnest(%s::bigint[]) AS u, unnest(%s::text[]) AS c
            ON CONFLICT (user_id, code) WHERE user_id IS NOT NULL DO NOTHING
            """,
            [user_ids, [str(code) for code in MEMBER_ACCOUNT_CODES]],
        )


def member_account(*, user_id: int, code: str) -> LedgerAccount:
    try:
        return LedgerAccount.objects.get(user_id=user_id, code=code)
    except LedgerAccount.DoesNotExist:
        member_accounts_open(user_ids=[user_id])
        return LedgerAccount.objects.get(user_id=user_id, code=code)


def member_account_ids(*, user_ids: Iterable[int], code: str) -> dict[int, int]:
    """Map user id → ledger account id for one code, opening missing accounts first."""
    user_ids = list(user_ids)
    member_accounts_open(user_ids=user_ids)
    rows = LedgerAccount.objects.filter(user_id__in=user_ids, code=code).values_list("user_id", "id")
    return dict(rows)


def platform_accounts_open() -> None:
    for code in PLATFORM_ACCOUNT_CODES:
        platform_account(code)


# Posting -------------------------------------------------------------------------------------


def _normalised(entries: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Validate amounts and merge entries per account; refuse an unbalanced set."""
    if len(entries) < 2:
        raise UnbalancedPosting(_("A posting needs at least two entries."))
    merged: dict[int, Decimal] = defaultdict(Decimal)
    for account_id, amount in entries:
        merged[int(account_id)] += parse_amount(amount, allow_negative=True)
    if sum(merged.values()) != 0:
        raise UnbalancedPosting(_("The entries of a posting must sum to zero."))
    normalised = sorted((account_id, amount) for account_id, amount in merged.items() if amount)
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


def _insert_history(pairs: list[tuple[int, HistoryLine]]) -> None:
    now = timezone.now()
    Transaction.objects.bulk_create(
        [
            Transaction(
                user_id=line.user_id, type=line.type, amount=line.amount, fee=line.fee,
                net_amount=line.amount - line.fee if line.net_amount is None else line.net_amount,
                status=line.status, description=line.description[:500],
                subscription_id=line.subscription_id, txn_hash=line.txn_hash,
                wallet_address=line.wallet_address, ledger_transaction_id=ledger_id,
                completed_at=now if line.status == Transaction.Status.COMPLETED else None,
            )
            for ledger_id, line in pairs
        ],
        batch_size=BATCH_CHUNK,
    )


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
        for start in range(0, len(postings), BATCH_CHUNK):
            chunk = postings[start : start + BATCH_CHUNK]
            new_ids, old = _post_chunk(chunk)
            created.update(new_ids)
            already += old
    return BatchResult(created=len(created), already_posted=already, transaction_ids=created)


def _array_literal(numbers: Iterable[int | Decimal]) -> str:
    """A PostgreSQL array literal of ints or Decimals: for 100k-element arrays it is several
    times faster to send than a list the driver adapts element by element."""
    return "{" + ",".join(map(str, numbers)) + "}"


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
                [p.kind for p, _n, _h in prepared], keys, [h for _p, _n, h in prepared],
                [p.memo[:500] for p, _n, _h in prepared], [p.created_by_id for p, _n, _h in prepared],
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
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    entry_rows: list[tuple[int, int, Decimal]] = []
    history_pairs: list[tuple[int, HistoryLine]] = []
    for posting, normalised, _h in prepared:
        ledger_id = new_ids.get(posting.key)
        if ledger_id is None:
            continue
        for account_id, amount in normalised:
            deltas[account_id] += amount
            entry_rows.append((ledger_id, account_id, amount))
        history_pairs.extend((ledger_id, line) for line in posting.history)
    if entry_rows:
        account_ids = sorted(account_id for account_id, delta in deltas.items() if delta)
        _ledger_call(
            "SELECT ledger_apply(%s::bigint[], %s::numeric[], %s::bigint[], %s::bigint[], %s::numeric[])",
            [_array_literal(account_ids), _array_literal(deltas[account_id] for account_id in account_ids),
             _array_literal(r[0] for r in entry_rows), _array_literal(r[1] for r in entry_rows),
             _array_literal(r[2] for r in entry_rows)],
        )
    if history_pairs:
        _insert_history(history_pairs)
    return new_ids, len(old_keys)


# Adjustments and reconciliation --------------------------------------------------------------


# Staff may correct only what members spend: withdrawal_hold moves with its withdrawal alone.
ADJUSTABLE_ACCOUNT_CODES = (AccountCode.MAIN, AccountCode.BONUS)


@transaction.atomic
def balance_adjust(
    *, user_id: int, amount: AmountInput, reason: str, created_by_id: int | None, key: str | None = None,
    code: str = AccountCode.MAIN,
) -> LedgerTransaction:
    """A staff correction: credit (positive) or debit (negative) a member account, with a reason.

    With a `key` it happens once: the same key again returns the first adjustment (and writes
    nothing), the same key with another member, account, amount or reason is refused. The
    audit row (actor, balance before and after) is written in the same transaction.
    """
    from django.contrib.auth import get_user_model

    from phonix.audit import audit_record
    from phonix.models import AuditLog

    reason = (reason or "").strip()[:500]
    if not reason:
        raise InvalidAmount(_("A reason is required for every adjustment."))
    if code not in ADJUSTABLE_ACCOUNT_CODES:
        raise AdjustmentRefused(
            _("Only the main and bonus accounts can be adjusted; %(account)s changes only with its withdrawal.")
            % {"account": code}
        )
    amount = parse_amount(amount, allow_negative=True)
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise NotFound(_("There is no member with id %(id)s.") % {"id": user_id})
    key = key or f"adjustment:{uuid.uuid4()}"
    with connection.cursor() as cursor:  # one adjustment per key at a time, so a repeat sees the first
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    first = LedgerTransaction.objects.filter(idempotency_key=key).first()
    member = member_account(user_id=user_id, code=code)
    platform = platform_account(AccountCode.ADJUSTMENTS)
    posted = ledger_post(  # raises IdempotencyConflict for the same key with other entries
        key=key,
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        entries=[(member.id, amount), (platform.id, -amount)],
        memo=reason,
        created_by_id=created_by_id,
        history=[HistoryLine(user_id=user_id, type=Transaction.Type.ADJUSTMENT, amount=amount,
                             description=reason)],
    )
    if first is not None:
        if first.memo != reason:
            raise IdempotencyConflict(
                _("The key %(key)s was already used for an adjustment with another reason.") % {"key": key}
            )
        return posted
    balance = LedgerAccount.objects.values_list("balance", flat=True).get(pk=member.id)
    audit_record(
        actor_id=created_by_id, action=AuditLog.Action.BALANCE_ADJUST, member_id=user_id,
        target=f"ledger:{posted.pk}", reason=reason,
        before={"account": str(code), "balance": balance - amount},
        after={"account": str(code), "balance": balance, "amount": amount, "key": key},
    )
    return posted


def registration_bonus_posting(*, user_id: int, amount: Decimal, bonus_account_id: int,
                               payouts_account_id: int) -> Posting:
    """The registration bonus as a posting: payouts to the member's `bonus` account, keyed per member."""
    return Posting(
        key=f"bonus:registration:{user_id}", kind=LedgerTransaction.Kind.BONUS,
        entries=[(payouts_account_id, -amount), (bonus_account_id, amount)], memo="registration bonus",
        # Stored in English whatever the member's language; pages translate by type.
        history=[HistoryLine(user_id=user_id, type=Transaction.Type.BONUS, amount=amount,
                             description="Registration bonus")],
    )


def registration_bonus_post(*, user_id: int, amount: Decimal) -> LedgerTransaction:
    """Credit the registration bonus to the member's `bonus` account, once per member ever."""
    member_accounts_open(user_ids=[user_id])
    accounts = dict(
        LedgerAccount.objects.filter(
            Q(user_id=user_id, code=AccountCode.BONUS) | Q(user__isnull=True, code=AccountCode.PAYOUTS)
        ).values_list("code", "id")
    )
    payouts = accounts.get(AccountCode.PAYOUTS) or platform_account(AccountCode.PAYOUTS).pk
    posting = registration_bonus_posting(user_id=user_id, amount=amount, bonus_account_id=accounts[AccountCode.BONUS],
                                         payouts_account_id=payouts)
    return ledger_post(key=posting.key, kind=posting.kind, entries=posting.entries, memo=posting.memo,
                       history=posting.history)


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
