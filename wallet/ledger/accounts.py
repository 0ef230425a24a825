"""Ledger accounts: the platform's, and each member's main, bonus and withdrawal_hold."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from ..models import (
    MEMBER_ACCOUNT_CODES,
    PLATFORM_ACCOUNT_CODES,
    LedgerAccount,
)


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
    """Map user id → ledger account id for one code, opening the accounts of members who lack it.

    Read first: a member's accounts are opened with their first money, so that is seldom needed."""
    user_ids = list(user_ids)
    found = dict(LedgerAccount.objects.filter(user_id__in=user_ids, code=code).values_list("user_id", "id"))
    missing = sorted(set(user_ids) - found.keys())
    if missing:
        member_accounts_open(user_ids=missing)
        found.update(LedgerAccount.objects.filter(user_id__in=missing, code=code).values_list("user_id", "id"))
    return found


def platform_accounts_open() -> None:
    for code in PLATFORM_ACCOUNT_CODES:
        platform_account(code)
