"""The member totals that caps and pages read, written by accounts alone.

Purchases and payouts of other apps change them through these set-based functions, inside their
own transaction and after locking the members (payout lock order: members first).
`reconcile_ledger` proves each total against what it caches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import F

from phonix.sql import array_literal

from .models import User


def members_earnings_add(*, paid: Mapping[int, Decimal]) -> None:
    """Raise members' total_earnings by what a payout paid each of them."""
    if not paid:
        return
    user_ids = sorted(paid)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_user u SET total_earnings = u.total_earnings + d.amount
            FROM unnest(%(ids)s::bigint[], %(amounts)s::numeric[]) AS d(id, amount)
            -- The ANY lets the planner find the members by index; a join alone reads every member.
            WHERE u.id = d.id AND u.id = ANY(%(ids)s::bigint[])
            """,
            {"ids": array_literal(user_ids), "amounts": array_literal(paid[user_id] for user_id in user_ids)},
        )


def member_investment_add(*, user_id: int, amount: Decimal) -> None:
    """A purchase: the member's total_invested grows and they are an active investor."""
    User.objects.filter(pk=user_id).update(total_invested=F("total_invested") + amount, is_active_investor=True)


def members_investor_status_end(*, user_ids: Sequence[int]) -> None:
    """Members whose last active subscription completed are no longer active investors."""
    if user_ids:
        User.objects.filter(pk__in=list(user_ids)).update(is_active_investor=False)
