"""A member's balances and history lines, as the pages and the API read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet

from ..models import MEMBER_ACCOUNT_CODES, AccountCode, LedgerAccount, Transaction

if TYPE_CHECKING:
    from accounts.models import User

Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class Balance:
    code: str
    label: str
    amount: Decimal


def member_balances(*, user: User) -> list[Balance]:
    """Every member account, in a fixed order, zero where the account is not opened yet."""
    stored = dict(
        LedgerAccount.objects.filter(user=user).values_list("code", "balance")
    )
    return [
        Balance(code=str(code), label=str(AccountCode(code).label), amount=stored.get(code, Decimal(0)))
        for code in MEMBER_ACCOUNT_CODES
    ]


def member_balance(*, user: User, code: str) -> Decimal:
    return (
        LedgerAccount.objects.filter(user=user, code=code).values_list("balance", flat=True).first()
        or Decimal(0)
    )


def transaction_history(
    *, user: User, type: str | None = None, status: str | None = None, since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Transaction]:
    """A member's history, newest first, with what its descriptions are written from.
    `since` and `until` are UTC days, both included."""
    history = (
        Transaction.objects.filter(user=user)
        .select_related("ledger_transaction", "subscription__user")
        .order_by("-created_at", "-id")
    )
    if type:
        history = history.filter(type=type)
    if status:
        history = history.filter(status=status)
    return created_between(history, since=since, until=until)


def created_between(rows: QuerySet[Row], *, since: dt.date | None, until: dt.date | None) -> QuerySet[Row]:
    """Rows created on the UTC days from `since` to `until`, both included (either may be open)."""
    if since:
        rows = rows.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC))
    if until:
        rows = rows.filter(created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min,
                                                               tzinfo=dt.UTC))
    return rows


def recent_history(*, user: User, limit: int = 10) -> list[Transaction]:
    return list(transaction_history(user=user)[:limit])
