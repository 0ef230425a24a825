"""Staff corrections of a member balance, each with its reason and an audit row."""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.utils.translation import gettext as _

from phonix.exceptions import (
    AdjustmentRefused,
    IdempotencyConflict,
    InvalidAmount,
    NotFound,
)
from phonix.money import AmountInput, parse_amount

from ..models import (
    AccountCode,
    LedgerAccount,
    LedgerTransaction,
    Transaction,
)
from .accounts import member_account, platform_account
from .postings import HistoryLine, ledger_post

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
