"""Staff promotional distributions: one amount to each member of a chosen set, set-based.

Staff choose the members by filter (rank, active investors, joined between two dates) or a pasted
list of usernames, preview the count and the total, then confirm. The whole distribution is keyed
by the confirm form's token, so a re-submit pays nothing more; it is paid in one ledger
transaction keyed `promotion:<distribution>`, an entry per recipient (whose payout row is kept).
Paid to `main` it is earnings: it counts toward the member's 3× cap, is cut to the room left (the
cut recorded as capped) and raises `total_earnings`. Paid to `bonus` it is spendable only on
subscriptions and is not capped, like the registration bonus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.totals import members_earnings_add
from investment.caps import cap_room_sql
from investment.selectors import cap_multiple
from phonix.audit import audit_record
from phonix.exceptions import DistributionRefused, IdempotencyConflict, NotPermitted
from phonix.models import AuditLog
from phonix.money import AmountInput, parse_amount
from phonix.page_cache import pages_changed
from phonix.sql import SqlParams
from ranks.models import RankCode
from wallet.ledger.payouts import ledger_post_payouts, payout_table_create
from wallet.models import LedgerTransaction, Transaction

from .models import Distribution

if TYPE_CHECKING:
    from accounts.models import User

DISTRIBUTE_PERMISSION = "earnings.distribute_promotion"
KEY_PREFIX = "promotion"
MAX_USERNAMES = 100_000


@dataclass(frozen=True)
class RecipientFilter:
    """Which members receive a distribution; every condition given must hold (staff never do)."""

    rank: str = ""
    active_investors: bool = False
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None
    usernames: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.rank and self.rank not in RankCode.values:
            raise DistributionRefused(_("Unknown rank %(rank)s.") % {"rank": self.rank})
        if self.joined_from and self.joined_to and self.joined_from > self.joined_to:
            raise DistributionRefused(_("The first joining date is after the last one."))
        if len(self.usernames) > MAX_USERNAMES:
            raise DistributionRefused(_("At most %(n)s usernames at a time.") % {"n": MAX_USERNAMES})

    def as_dict(self) -> dict[str, str | bool | list[str] | None]:
        return {
            "rank": self.rank, "active_investors": self.active_investors,
            "joined_from": self.joined_from.isoformat() if self.joined_from else None,
            "joined_to": self.joined_to.isoformat() if self.joined_to else None,
            "usernames": sorted(self.usernames),
        }

    def where_sql(self) -> tuple[str, SqlParams]:
        """A WHERE clause over `accounts_user u` and its named parameters."""
        clauses = ["u.is_active", "NOT u.is_staff"]
        params: SqlParams = {}
        if self.rank:
            # A member without a rank row has never been checked: rank "none".
            clauses.append(
                "coalesce((SELECT r.current_rank FROM ranks_rank r WHERE r.user_id = u.id), 'none') = %(rank)s"
            )
            params["rank"] = self.rank
        if self.active_investors:
            clauses.append("u.is_active_investor")
        if self.joined_from:
            clauses.append("u.joined_at >= %(joined_from)s")
            params["joined_from"] = dt.datetime.combine(self.joined_from, dt.time.min, tzinfo=dt.UTC)
        if self.joined_to:
            clauses.append("u.joined_at < %(joined_to)s")
            params["joined_to"] = dt.datetime.combine(self.joined_to + dt.timedelta(days=1), dt.time.min,
                                                      tzinfo=dt.UTC)
        if self.usernames:
            clauses.append("lower(u.username) = ANY(%(usernames)s)")
            params["usernames"] = [name.lower() for name in self.usernames]
        return " AND ".join(clauses), params


def usernames_parse(text: str) -> tuple[str, ...]:
    """Usernames pasted one a line, or separated by commas or spaces; duplicates dropped."""
    names = (name.strip() for name in text.replace(",", " ").split())
    return tuple(dict.fromkeys(name for name in names if name))


def usernames_unknown(usernames: tuple[str, ...]) -> list[str]:
    """The pasted usernames that name no active member (staff included: they never receive)."""
    if not usernames:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n FROM unnest(%s::text[]) AS n
            WHERE NOT EXISTS (SELECT 1 FROM accounts_user u
                              WHERE lower(u.username) = lower(n) AND u.is_active AND NOT u.is_staff)
            ORDER BY n
            """,
            [list(usernames)],
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class DistributionPreview:
    recipients: int
    amount_each: Decimal
    account: str
    total: Decimal  # recipients × amount: what was asked
    payable: Decimal  # what the caps leave to pay
    capped: Decimal  # what the caps cut
    unknown_usernames: list[str] = field(default_factory=list)


def _clean(*, amount: AmountInput, account: str, reason: str | None = None) -> tuple[Decimal, str]:
    parsed = parse_amount(amount)
    if account not in Distribution.Account.values:
        raise DistributionRefused(_("A distribution is paid to the main or the bonus account."))
    if reason is not None and not reason.strip():
        raise DistributionRefused(_("A reason is required: members see it in their history."))
    return parsed, account


def _recipient_rows_sql(recipients: RecipientFilter, account: str) -> tuple[str, SqlParams]:
    """SELECT (user_id, amount, capped) for every recipient, the caps applied to `main`."""
    where, params = recipients.where_sql()
    if account == Distribution.Account.MAIN:
        paid = f"LEAST(%(amount)s::numeric, {cap_room_sql('u')})"
        params["cap_multiple"] = cap_multiple()
    else:
        paid = "%(amount)s::numeric"
    return (f"SELECT u.id AS user_id, {paid} AS amount, %(amount)s::numeric - {paid} AS capped "
            f"FROM accounts_user u WHERE {where}"), params


def distribution_preview(*, recipients: RecipientFilter, amount: AmountInput, account: str) -> DistributionPreview:
    """How many members would receive it, the total, and what the caps would cut (one query)."""
    amount_each, account = _clean(amount=amount, account=account)
    rows_sql, params = _recipient_rows_sql(recipients, account)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(amount), 0), coalesce(sum(capped), 0) FROM ({rows_sql}) r",
            {**params, "amount": amount_each},
        )
        count, payable, capped = cursor.fetchone()
    return DistributionPreview(
        recipients=count, amount_each=amount_each, account=account, total=amount_each * count, payable=payable,
        capped=capped, unknown_usernames=usernames_unknown(recipients.usernames),
    )


@dataclass(frozen=True)
class DistributionResult:
    distribution: Distribution
    created: bool  # False: the key was already used, nothing more was paid


@transaction.atomic
def distribution_pay(
    *, actor: User, key: str, recipients: RecipientFilter, amount: AmountInput, account: str, reason: str,
) -> DistributionResult:
    """Pay `amount` to every recipient, once per `key`, in a few statements whatever their number.

    The same key again returns the first distribution and pays nothing; the same key with other
    terms is refused. Recipients are locked in id order (like every payout run) while their caps
    are read and their totals raised. The audit row commits with the payments.
    """
    if not (actor.is_active and actor.is_staff and actor.has_perm(DISTRIBUTE_PERMISSION)):
        raise NotPermitted(
            _("Distributing promotional income needs the permission \"Can distribute promotional income\".")
        )
    amount_each, account = _clean(amount=amount, account=account, reason=reason)
    reason = reason.strip()[: Distribution._meta.get_field("reason").max_length]
    if not key or len(key) > (Distribution._meta.get_field("key").max_length or 0):
        raise DistributionRefused(_("A distribution needs a key of at most 80 characters."))
    unknown = usernames_unknown(recipients.usernames)
    if unknown:
        raise DistributionRefused(_("No member has the username %(names)s.") % {"names": ", ".join(unknown[:20])})
    with connection.cursor() as cursor:  # one distribution per key at a time, so a repeat sees the first
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"distribution:{key}"])
    terms = {"amount_each": amount_each, "account": account, "reason": reason, "criteria": recipients.as_dict()}
    first = Distribution.objects.filter(key=key).first()
    if first is not None:
        if {name: getattr(first, name) for name in terms} != terms:
            raise IdempotencyConflict(_("This distribution was already made with other terms."))
        return DistributionResult(first, created=False)
    distribution = Distribution.objects.create(key=key, created_by=actor, **terms)
    _pay(distribution, recipients)
    distribution.refresh_from_db()
    audit_record(
        actor_id=actor.pk, action=AuditLog.Action.PROMOTION_DISTRIBUTE, target=f"distribution:{distribution.pk}",
        reason=reason,
        after={"account": account, "amount_each": amount_each, "criteria": terms["criteria"],
               "recipients": distribution.recipients, "paid_count": distribution.paid_count,
               "paid_total": distribution.paid_total, "capped_total": distribution.capped_total, "key": key},
    )
    return DistributionResult(distribution, created=True)


# Paid to main: the members with cap room are locked in id order (a daily run or a purchase that
# changes their room waits; after the wait their room is read again) and paid up to their room
# (their total_earnings raised after); the others are recorded as capped in full.
_PAY_MAIN_SQL = """
    WITH paid AS (
        SELECT u.id AS user_id, LEAST(%(amount)s::numeric, {room}) AS amount
        FROM accounts_user u WHERE {where} AND {room} > 0
        ORDER BY u.id FOR UPDATE OF u
    )
    INSERT INTO earnings_distribution_batch
    SELECT u.id, coalesce(p.amount, 0), %(amount)s::numeric - coalesce(p.amount, 0)
    FROM accounts_user u LEFT JOIN paid p ON p.user_id = u.id WHERE {where}
"""


def _pay(distribution: Distribution, recipients: RecipientFilter) -> None:
    pages_changed()  # paid to a crowd: their pages are noted as one
    rows_sql, params = _recipient_rows_sql(recipients, distribution.account)
    params = {**params, "amount": distribution.amount_each, "distribution": distribution.pk}
    if distribution.account == Distribution.Account.MAIN:
        fill_sql = _PAY_MAIN_SQL.format(where=recipients.where_sql()[0], room=cap_room_sql("u"))
    else:  # nothing is capped or raised: no member row needs a lock
        fill_sql = f"INSERT INTO earnings_distribution_batch {rows_sql}"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.earnings_distribution_batch")
        cursor.execute(
            """
            CREATE TEMP TABLE earnings_distribution_batch (
                user_id bigint PRIMARY KEY, amount numeric(20, 6), capped numeric(20, 6)
            ) ON COMMIT DROP
            """
        )
        cursor.execute(fill_sql, params)
        if distribution.account == Distribution.Account.MAIN:
            cursor.execute("SELECT user_id, amount FROM earnings_distribution_batch WHERE amount > 0")
            members_earnings_add(paid=dict(cursor.fetchall()))
        cursor.execute(
            """
            INSERT INTO earnings_distributionpayout (distribution_id, user_id, amount, capped_amount)
            SELECT %(distribution)s, user_id, amount, capped FROM earnings_distribution_batch
            """,
            params,
        )
        cursor.execute(
            """
            UPDATE earnings_distribution d SET recipients = t.n, paid_count = t.paid, paid_total = t.total,
                   capped_total = t.capped
            FROM (SELECT count(*) AS n, count(*) FILTER (WHERE amount > 0) AS paid,
                         coalesce(sum(amount), 0) AS total, coalesce(sum(capped), 0) AS capped
                  FROM earnings_distribution_batch) t
            WHERE d.id = %(distribution)s
            """,
            params,
        )
    payout_table_create()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO pg_temp.wallet_payout (user_id, amount, description)
            SELECT user_id, amount, %(reason)s FROM earnings_distribution_batch WHERE amount > 0
            """,
            {"reason": distribution.reason},
        )
    ledger_post_payouts(
        key=f"{KEY_PREFIX}:{distribution.pk}", kind=LedgerTransaction.Kind.BONUS,
        history_type=Transaction.Type.PROMOTION, member_code=distribution.account,
        memo=f"Promotion #{distribution.pk}: {distribution.reason}",
    )
