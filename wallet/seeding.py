"""A random referral network with its members' ledger accounts (and, on request, their registration
bonuses), for demos and benchmarks: the members come from accounts/seeding.py, all set-based."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from accounts.seeding import members_seed
from accounts.services import registration_bonus_amount

from .ledger.accounts import member_account_ids, member_accounts_open, platform_account
from .ledger.bonuses import registration_bonus_posting
from .ledger.postings import ledger_post_batch
from .models import AccountCode


@dataclass(frozen=True)
class SeedResult:
    root_id: int
    users: int
    max_depth: int
    bonuses: int


@transaction.atomic
def network_seed(*, users: int, seed: int = 1, prefix: str | None = None, password: str | None = None,
                 under: User | None = None, bonuses: bool = False) -> SeedResult:
    members = members_seed(users=users, seed=seed, prefix=prefix, password=password, under=under)
    member_accounts_open(user_ids=members.ids)
    posted = _bonuses_post(members.ids) if bonuses else 0
    return SeedResult(root_id=members.ids[0], users=users, max_depth=members.max_depth, bonuses=posted)


def _bonuses_post(user_ids: list[int]) -> int:
    amount = registration_bonus_amount()
    accounts = member_account_ids(user_ids=user_ids, code=AccountCode.BONUS)
    payouts = platform_account(AccountCode.PAYOUTS).pk
    result = ledger_post_batch(postings=[
        registration_bonus_posting(user_id=user_id, amount=amount, bonus_account_id=accounts[user_id],
                                   payouts_account_id=payouts)
        for user_id in user_ids
    ])
    return result.created
