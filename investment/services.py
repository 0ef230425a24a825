"""Writes of investment: the purchase, and the payout state of subscriptions that payout runs record."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.totals import member_investment_add
from phonix.exceptions import (
    BonusUnavailable,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    PlanChanged,
)
from phonix.money import AmountInput, parse_amount
from phonix.sql import array_literal
from wallet.ledger.accounts import platform_account
from wallet.ledger.postings import HistoryLine, ledger_post
from wallet.models import AccountCode, LedgerAccount, LedgerTransaction, Transaction

from . import signals
from .models import PlanVersion, Subscription
from .selectors import plan_current, purchase_preview


def purchase_key_for(*, user_id: int, token: str) -> str:
    """The idempotency key of a purchase form: the member and the token rendered into the form."""
    try:
        token = str(uuid.UUID(str(token)))
    except ValueError:
        raise InvalidAmount(_("The form has expired; please start the purchase again.")) from None
    return f"{user_id}:{token}"


@transaction.atomic
def subscription_purchase(
    *, user: User, amount: AmountInput, use_bonus: bool, token: str, plan_version_id: int | None = None,
) -> Subscription:
    """Buy a subscription from `main` (plus the registration bonus when asked), exactly once per
    form token.

    A retry or a second request with the same token returns the first subscription: the unique
    `purchase_key` is the claim, and a concurrent duplicate waits on it and then finds the first
    purchase. Every refusal is raised before anything is written. Generation income is paid
    after commit by a worker (queue `payouts`).
    """
    amount = parse_amount(amount)
    key = purchase_key_for(user_id=user.pk, token=token)
    plan = plan_current()
    if plan_version_id is not None and int(plan_version_id) != plan.pk:
        raise PlanChanged(_("The plan changed while you were deciding; please review the new terms."))
    accounts = {
        code: (account_id, balance)
        for account_id, code, balance in LedgerAccount.objects.filter(
            Q(user_id=user.pk, code__in=[AccountCode.MAIN, AccountCode.BONUS])
            | Q(user__isnull=True, code=AccountCode.SUBSCRIPTIONS)
        ).values_list("id", "code", "balance")
    }
    main_id, main_balance = accounts.get(AccountCode.MAIN, (None, Decimal(0)))
    bonus_id, bonus_balance = accounts.get(AccountCode.BONUS, (None, Decimal(0)))
    try:
        terms = purchase_preview(plan=plan, amount=amount, use_bonus=use_bonus, main_balance=main_balance,
                                 bonus_balance=bonus_balance)
    except (BonusUnavailable, InsufficientFunds):
        # A retry of a purchase that went through finds the money already spent: answer with it.
        if Subscription.objects.filter(purchase_key=key).exists():
            return _purchase_already_made(key=key, amount=amount, use_bonus=use_bonus)
        raise
    bonus_used, from_main = terms.bonus_used, terms.from_main
    subscriptions_id = (accounts.get(AccountCode.SUBSCRIPTIONS) or (platform_account(AccountCode.SUBSCRIPTIONS).pk,))[0]

    tier, rate = terms.tier, terms.monthly_rate
    subscription_id = _subscription_claim(
        user_id=user.pk, plan_version_id=plan.pk, amount=amount, tier=tier, rate=rate,
        earnings_cap=terms.earnings_cap, bonus_used=bonus_used, key=key,
    )
    if subscription_id is None:
        return _purchase_already_made(key=key, amount=amount, use_bonus=use_bonus)

    # The member row first: payout runs lock members before ledger accounts, and so do we.
    member_investment_add(user_id=user.pk, amount=amount)
    entries = [(subscriptions_id, amount)]
    # purchase_preview refused a purchase that spends from an account the member does not have.
    if from_main:
        assert main_id is not None
        entries.append((main_id, -from_main))
    if bonus_used:
        assert bonus_id is not None
        entries.append((bonus_id, -bonus_used))
    description = _("Subscription #%(id)s (%(tier)s, %(rate)s%% a month)") % {
        "id": subscription_id, "tier": Subscription.Tier(tier).label, "rate": rate.normalize(),
    }
    ledger_post(
        key=f"purchase:{subscription_id}",
        kind=LedgerTransaction.Kind.PURCHASE,
        entries=entries,
        memo=description,
        created_by_id=user.pk,
        history=[HistoryLine(user_id=user.pk, type=Transaction.Type.PURCHASE, amount=amount,
                             description=description, subscription_id=subscription_id)],
    )
    # The leg volumes (ranks) in this transaction; the generation fan-out (earnings) after it.
    signals.subscription_purchased.send(sender=Subscription, buyer=user, amount=amount,
                                        subscription_id=subscription_id)
    return Subscription(
        pk=subscription_id, user=user, plan_version=plan, amount=amount, tier=tier, monthly_rate=rate,
        earnings_cap=terms.earnings_cap, bonus_used=bonus_used, purchase_key=key,
        total_earned=Decimal(0), is_active=True,
    )


def _subscription_claim(*, user_id: int, plan_version_id: int, amount: Decimal, tier: str, rate: Decimal,
                        earnings_cap: Decimal, bonus_used: Decimal, key: str) -> int | None:
    """Insert the subscription unless its purchase key exists; None when it does.

    ON CONFLICT waits for a concurrent insert of the same key to commit or roll back, so two
    simultaneous submissions of one form cannot both get past this line.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap,
                 is_active, bonus_used, started_at, purchase_key)
            VALUES (%s, %s, %s, %s, %s, 0, %s, true, %s, %s, %s)
            ON CONFLICT (purchase_key) DO NOTHING RETURNING id
            """,
            [user_id, plan_version_id, amount, tier, rate, earnings_cap, bonus_used, timezone.now(), key],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _purchase_already_made(*, key: str, amount: Decimal, use_bonus: bool) -> Subscription:
    first = Subscription.objects.get(purchase_key=key)
    if first.amount != amount or (first.bonus_used > 0) != use_bonus:
        raise IdempotencyConflict(_("This form was already used for a different purchase."))
    return first


# Staff change the plan: a new version, audited ---------------------------------------------

# Serialises plan changes, so that each starts from the version before it.
PLAN_CHANGE_LOCK = 7_301_017
PLAN_FIELDS = ("minimum_amount", "tier_1_max", "tier_1_rate", "tier_2_max", "tier_2_rate", "tier_3_rate",
               "cap_multiple", "generation_rates", "generation_directs", "directs_must_be_investors",
               "mining_session_hours", "mining_free_reward", "mining_free_limit", "mining_required_for_daily_income")


@transaction.atomic
def plan_version_create(*, created_by: User, note: str = "", **values: Any) -> PlanVersion:
    """Put a new plan version in force: the current plan with `values` changed.

    Versions are never edited, so every subscription and payout keeps the rules it used; the
    audit row holds both versions' values.
    """
    from phonix.audit import version_create_audited
    from phonix.models import AuditLog

    return version_create_audited(
        model=PlanVersion, current=plan_current, fields=PLAN_FIELDS, values=values, note=note,
        actor=created_by, action=AuditLog.Action.PLAN_CHANGE, target_name="plan_version",
        lock_key=PLAN_CHANGE_LOCK,
    )


# Payout state of subscriptions, written here for the payout runs of earnings ------------------


def subscription_generation_claim(*, subscription_id: int, now: dt.datetime) -> bool:
    """Claim a purchase's generation fan-out: true once, for the first caller (a conditional UPDATE)."""
    return bool(Subscription.objects.filter(pk=subscription_id, generation_paid_at__isnull=True)
                .update(generation_paid_at=now))


@dataclass(frozen=True)
class DailySettlement:
    completed: int  # subscriptions that reached their cap with this payout
    members_done: list[int]  # members whose last active subscription that was


def subscriptions_daily_settle(*, payout_date: dt.date, now: dt.datetime, subscription_ids: Sequence[int],
                               amounts: Sequence[Decimal]) -> DailySettlement:
    """Record a day's income on each subscription (set-based): total earned, settled through the date,
    completed at its cap. The caller holds the members' locks; the payout is written in the same transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH settled AS (
                UPDATE investment_subscription s
                SET total_earned = s.total_earned + d.amount,
                    is_active = s.total_earned + d.amount < s.earnings_cap,
                    completed_at = CASE WHEN s.total_earned + d.amount >= s.earnings_cap THEN %(now)s END,
                    daily_paid_through = %(date)s
                FROM unnest(%(ids)s::bigint[], %(amounts)s::numeric[]) AS d(id, amount) WHERE s.id = d.id
                RETURNING s.user_id, s.is_active
            )
            SELECT count(*), coalesce(array_agg(DISTINCT user_id), '{}') FROM settled WHERE NOT is_active
            """,
            {"now": now, "date": payout_date, "ids": array_literal(subscription_ids),
             "amounts": array_literal(amounts)},
        )
        completed, owners = cursor.fetchone()
        members_done: list[int] = []
        if owners:
            # A statement of its own: the one above cannot see its own update.
            cursor.execute(
                """
                SELECT u FROM unnest(%s::bigint[]) AS u
                WHERE NOT EXISTS (SELECT 1 FROM investment_subscription s WHERE s.user_id = u AND s.is_active)
                ORDER BY u
                """,
                [owners],
            )
            members_done = [row[0] for row in cursor.fetchall()]
    return DailySettlement(completed=completed, members_done=members_done)

