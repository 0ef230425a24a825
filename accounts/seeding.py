"""A random referral network for demos and benchmarks, written with COPY (no per-row queries).

Members only: wallet/seeding.py opens their ledger accounts and posts bonuses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from .codes import referral_codes_new
from .models import User
from .services import team_stats_forget

_COLUMNS = (
    "id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
    "is_active", "date_joined", "referral_code", "upline_ids", "depth", "direct_referrals_count",
    "total_invested", "total_earnings", "is_active_investor", "trc20_wallet_address", "joined_at",
    "referred_by_id", "email_confirmed_at",
)


@dataclass(frozen=True)
class SeededMembers:
    ids: list[int]  # root first
    max_depth: int


def network_shape(*, users: int, seed: int) -> list[int]:
    """Sponsor index of every member (-1 for the root), each sponsor before its referrals.

    Mostly a random recursive tree (wide, about ln(n) deep), plus a few hubs that collect many
    direct referrals, plus a few long chains that grow to ~150 levels before restarting.
    """
    rng = random.Random(seed)
    sponsors = [-1]
    hubs = [0]
    chains = [0, 0, 0]
    chain_length = [0, 0, 0]
    for i in range(1, users):
        roll = rng.random()
        if i <= 40:
            sponsor = 0  # the founder brings the first wave
        elif roll < 0.03:
            c = rng.randrange(len(chains))
            sponsor = chains[c]
            chains[c], chain_length[c] = i, chain_length[c] + 1
            if chain_length[c] >= 150:
                chains[c], chain_length[c] = rng.randrange(i), 0
        elif roll < 0.25:
            sponsor = hubs[rng.randrange(len(hubs))]
        else:
            # Newer members recruit more than old ones: bias the pick towards recent indexes.
            sponsor = int(i * (1 - rng.random() ** 2))
        if rng.random() < 0.004:
            hubs.append(i)
        sponsors.append(min(sponsor, i - 1))
    return sponsors


@transaction.atomic
def members_seed(*, users: int, seed: int = 1, prefix: str | None = None, password: str | None = None,
                 under: User | None = None) -> SeededMembers:
    prefix = prefix if prefix is not None else f"net{seed}-"
    sponsors = network_shape(users=users, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('accounts_user', 'id')) FROM generate_series(1, %s)",
            [users],
        )
        ids = [row[0] for row in cursor.fetchall()]
        base_upline, base_depth = [], 0
        if under is not None:
            cursor.execute(
                "UPDATE accounts_user SET direct_referrals_count = direct_referrals_count + 1 "
                "WHERE id = %s RETURNING upline_ids, depth",
                [under.pk],
            )
            upline, depth = cursor.fetchone()
            base_upline, base_depth = [under.pk, *upline], depth + 1

    directs = [0] * users
    for s in sponsors[1:]:
        directs[s] += 1
    uplines: list[list[int]] = [base_upline]
    depths = [base_depth]
    for i in range(1, users):
        s = sponsors[i]
        uplines.append([ids[s], *uplines[s]])
        depths.append(depths[s] + 1)

    hashed = make_password(password) if password else make_password(None)
    now = timezone.now()
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(users, 1)
    codes = referral_codes_new(users)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY accounts_user ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for i in range(users):
                username = f"{prefix}{i}"
                joined = start + step * i
                copy.write_row((
                    ids[i], hashed, False, username, "", "", f"{username}@example.com", False, True,
                    joined, codes[i], uplines[i], depths[i], directs[i], 0, 0, False,
                    "", joined, (under.pk if under else None) if i == 0 else ids[sponsors[i]], joined,
                ))
        cursor.execute("ANALYZE accounts_user")
    team_stats_forget(member_ids=base_upline)
    return SeededMembers(ids=ids, max_depth=max(depths) - base_depth)
