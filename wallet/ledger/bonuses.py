"""The registration bonus: 10 USDT (a setting) to the member's `bonus` account, once per member."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from ..models import (
    AccountCode,
    LedgerAccount,
    LedgerTransaction,
    Transaction,
)
from .accounts import member_accounts_open, platform_account
from .postings import HistoryLine, Posting, ledger_post


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
