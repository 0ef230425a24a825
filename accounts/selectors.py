"""Reads of members and the referral tree — no recursion in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from phonix.money import ZERO

from .codes import referral_code_is_wellformed, referral_code_normalise
from .models import Credential, User
from .signals import team_leg_volumes

MAX_LEVELS = 20


@dataclass(frozen=True)
class TeamStats:
    per_level: list[int]  # index 0 = level 1 (direct referrals) … index 19 = level 20
    team_size: int  # members below, at any depth
    deepest_level: int


# What upline walks read (payout qualification, display). Ancestors' own upline arrays can be
# hundreds of ids long, so they are left out; pass fields=None for whole rows.
UPLINE_FIELDS = (
    "id", "username", "referral_code", "depth", "referred_by_id", "direct_referrals_count",
    "is_active_investor", "total_invested", "total_earnings", "is_active", "joined_at",
)


def user_upline(*, user: User, levels: int = MAX_LEVELS,
                fields: Sequence[str] | None = UPLINE_FIELDS) -> list[User]:
    """The sponsors above `user`, nearest first (index 0 = level 1), in one query."""
    ids = user.upline_ids[:levels]
    members = User.objects.only(*fields) if fields else User.objects.all()
    by_id = members.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def user_downline(*, user: User, max_level: int | None = None) -> QuerySet[User]:
    """Everyone below `user` at any depth (or down to `max_level`), through the GIN index."""
    members = User.objects.filter(upline_ids__contains=[user.pk])
    if max_level is not None:
        members = members.filter(depth__lte=user.depth + max_level)
    return members


def team_stats(*, user: User, levels: int = MAX_LEVELS) -> TeamStats:
    """Members per level 1…`levels` and the whole team size, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT depth - %s AS level, count(*) FROM accounts_user
            WHERE upline_ids @> ARRAY[%s]::bigint[] GROUP BY depth
            """,
            [user.depth, user.pk],
        )
        counts = dict(cursor.fetchall())
    return TeamStats(
        per_level=[counts.get(level, 0) for level in range(1, levels + 1)],
        team_size=sum(counts.values()),
        deepest_level=max(counts, default=0),
    )


TEAM_STATS_TTL = 300


def team_stats_cache_key(user_id: int) -> str:
    return f"team-stats:{user_id}"


def team_stats_cached(*, user: User) -> TeamStats:
    """team_stats through the cache. Every change of the tree forgets the entries of the members
    above it (accounts.services), so the TTL only bounds a rare race with a reader in flight."""
    from django.core.cache import cache

    key = team_stats_cache_key(user.pk)
    stats = cache.get(key)
    if stats is None:
        stats = team_stats(user=user)
        cache.set(key, stats, TEAM_STATS_TTL)
    return stats


def qr_svg_cached(data: str) -> str:
    import hashlib

    from django.core.cache import cache

    key = "qr:" + hashlib.sha256(data.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = qr_svg(data)
        cache.set(key, svg, 24 * 3600)
    return svg


def team_members(*, user: User, level: int | None = None, active: bool | None = None,
                 search: str = "") -> QuerySet[User]:
    """The member list of /team/: filtered by level, investor status and a username search."""
    if level == 1:
        members = User.objects.filter(referred_by=user)  # the sponsor index beats the GIN scan
    else:
        members = user_downline(user=user)
        if level is not None:
            members = members.filter(depth=user.depth + level)
    if active is not None:
        members = members.filter(is_active_investor=active)
    if search:
        members = members.filter(username__icontains=search)
    return members.select_related("referred_by").only(
        "id", "username", "depth", "joined_at", "is_active_investor", "direct_referrals_count",
        "total_invested", "referred_by__username",
    ).order_by("depth", "id")


def team_members_page(*, user: User, params: dict, stats: TeamStats | None, page_size: int) -> dict:
    """One page of /team/'s member list from TeamQueryForm's values: the rows with each member's
    level and leg volume. With `stats`, unfiltered counts come from them instead of a COUNT."""
    from django.core.paginator import Paginator

    level = int(params["level"]) if params["level"] not in ("", "all") else None
    status, search = params["status"], params["q"]
    active = {"active": True, "inactive": False}.get(status)
    members = team_members(user=user, level=level, active=active, search=search)
    paginator = Paginator(members, page_size)
    if stats is not None and active is None and not search:
        # The per-level counts already answer "how many", so the paginator need not count again.
        paginator.count = stats.per_level[level - 1] if level else stats.team_size
    page = paginator.get_page(params["page"])
    legs: dict[int, Decimal] = {}  # a member's volume as their sponsor's leg: ranks keeps it
    for _receiver, volumes in team_leg_volumes.send(sender=User, user_ids=[m.pk for m in page.object_list]):
        legs.update(cast(dict[int, Decimal], volumes))
    rows = [{"member": m, "level": m.depth - user.depth, "leg_volume": legs.get(m.pk, ZERO)}
            for m in page.object_list]
    return {"page": page, "rows": rows, "level": level, "status": status, "q": search}


@dataclass(frozen=True)
class TreeChildren:
    node: User
    children: list[dict]  # {"member": User, "level": levels below `user`}
    more: bool


def team_tree_children(*, user: User, member_id: int, offset: int, limit: int) -> TreeChildren | None:
    """The direct referrals of `member_id`, a page at a time, if it is `user` or in their downline."""
    node = downline_member(user=user, member_id=member_id)
    if node is None:
        return None
    children = list(direct_referrals(user=node)[offset : offset + limit + 1])
    return TreeChildren(node=node, more=len(children) > limit,
                        children=[{"member": c, "level": c.depth - user.depth} for c in children[:limit]])


def downline_member(*, user: User, member_id: int) -> User | None:
    """`member_id` if it is `user` or somewhere in their downline, else None (no peeking sideways)."""
    if member_id == user.pk:
        return user
    return User.objects.filter(pk=member_id, upline_ids__contains=[user.pk]).first()


def direct_referrals(*, user: User) -> QuerySet[User]:
    return User.objects.filter(referred_by=user).only(
        "id", "username", "depth", "direct_referrals_count", "is_active_investor", "joined_at",
    ).order_by("id")


def user_by_login(*, login: str) -> User | None:
    """The member a sign-in names: the e-mail address or the username, either in any letter case."""
    login = (login or "").strip()
    if not login:
        return None
    user = None
    if "@" in login:
        user = User.objects.filter(email__iexact=login).first()
    if user is None:  # registration keeps "@" out of usernames, staff-made ones may have it
        user = User.objects.filter(username__iexact=login).first()
    return user


def sponsor_by_code(*, code: str) -> User | None:
    code = referral_code_normalise(code)
    if not referral_code_is_wellformed(code):
        return None
    return User.objects.filter(referral_code=code, is_active=True).first()


def tree_inconsistencies() -> int:
    """How many members have a stored upline, depth or direct count that the sponsors contradict."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM accounts_user u
            LEFT JOIN accounts_user s ON s.id = u.referred_by_id
            LEFT JOIN (SELECT referred_by_id AS id, count(*) AS n FROM accounts_user
                       WHERE referred_by_id IS NOT NULL AND email_confirmed_at IS NOT NULL
                       GROUP BY referred_by_id) d ON d.id = u.id
            WHERE u.upline_ids IS DISTINCT FROM
                      CASE WHEN s.id IS NULL THEN '{}'::bigint[] ELSE s.id || s.upline_ids END
               OR u.depth <> cardinality(u.upline_ids)
               OR u.direct_referrals_count <> coalesce(d.n, 0)
               OR u.id = ANY(u.upline_ids)
            """
        )
        return cursor.fetchone()[0]


def two_factor_enabled(*, user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(*, user: User) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def qr_svg(data: str) -> str:
    """An inline SVG QR code (rendered on the server: no script, nothing loaded from elsewhere)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def enrolment_device(*, user: User, device_id: int | None):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not device_id:
        return None
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


def totp_secret(*, device) -> str:
    """The secret in the base32 form people type into an authenticator app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def withdrawal_cooldown_until(*, user: User):
    """When withdrawals to the member's current address open (None: already open)."""
    from django.conf import settings
    from django.utils import timezone

    if user.withdrawal_address_changed_at is None:
        return None
    until = user.withdrawal_address_changed_at + settings.WITHDRAWAL_ADDRESS_COOLDOWN
    return until if until > timezone.now() else None


def user_email_confirmed(*, user: User) -> bool:
    return bool(user.email) and user.email_confirmed_at is not None


def user_email_confirmed_sql(alias: str) -> str:
    """The same rule as a SQL condition on the accounts_user row called `alias`."""
    return f"({alias}.email <> '' AND {alias}.email_confirmed_at IS NOT NULL)"


@dataclass(frozen=True)
class CredentialsHold:
    until: datetime
    message: str


def credentials_hold(*, user: User) -> CredentialsHold | None:
    """Withdrawals wait a while after a password, e-mail or second-factor change, so that whoever
    took over an account cannot empty it before the owner (told by e-mail) reacts."""
    from django.conf import settings
    from django.utils import timezone

    if user.credentials_changed_at is None:
        return None
    until = user.credentials_changed_at + settings.WITHDRAWAL_HOLD_AFTER_CREDENTIAL_CHANGE
    if until <= timezone.now():
        return None
    messages: dict[str, str] = {
        Credential.PASSWORD: _("Your password changed recently; withdrawals open again at %(time)s UTC."),
        Credential.EMAIL: _("Your e-mail address changed recently; withdrawals open again at %(time)s UTC."),
        Credential.TWO_FACTOR: _(
            "Your two-factor authentication changed recently; withdrawals open again at %(time)s UTC."
        ),
    }
    message = messages.get(user.credentials_changed, messages[Credential.PASSWORD])
    return CredentialsHold(until=until, message=message % {"time": until.strftime("%Y-%m-%d %H:%M")})
