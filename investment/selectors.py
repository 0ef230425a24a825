"""Reads of plans and subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from phonix.exceptions import BonusUnavailable, InsufficientFunds, InvalidAmount
from phonix.money import AmountInput, parse_amount, round_down

from .caps import cap_room
from .models import PlanVersion, Subscription

if TYPE_CHECKING:
    from accounts.models import User


def plan_current() -> PlanVersion:
    """The plan in force: the newest version.

    Migration 0002 writes the first one; a database emptied since (a flushed test database)
    gets the plan's defaults back as a new first version.
    """
    try:
        return PlanVersion.objects.latest()
    except PlanVersion.DoesNotExist:
        return PlanVersion.objects.create(note="The plan as first published")


def cap_multiple() -> Decimal:
    """The cap multiple of the plan in force (one query): every payout type uses it (see caps.py)."""
    return plan_current().cap_multiple


def daily_income_amount(*, amount: Decimal, monthly_rate: Decimal) -> Decimal:
    """amount × monthly_rate / 100 / 30, rounded down to 6 places (same as the SQL of the daily run)."""
    return round_down(amount * monthly_rate / Decimal(3000))


@dataclass(frozen=True)
class PurchasePreview:
    amount: Decimal
    tier: str
    tier_label: str
    monthly_rate: Decimal
    daily_income: Decimal
    earnings_cap: Decimal
    bonus_used: Decimal
    from_main: Decimal
    plan_version_id: int


def purchase_preview(*, plan: PlanVersion, amount: Decimal, use_bonus: bool, main_balance: Decimal,
                     bonus_balance: Decimal) -> PurchasePreview:
    """What a purchase of `amount` would be, or the refusal the purchase itself would raise.

    The purchase service runs the same checks on the balances it reads, so what the member is
    shown before confirming is what the confirmation does.
    """
    if amount < plan.minimum_amount:
        minimum = _plain(plan.minimum_amount)
        raise InvalidAmount(_("The minimum subscription is %(minimum)s USDT.") % {"minimum": minimum})
    bonus_used = min(bonus_balance, amount) if use_bonus else Decimal(0)
    if use_bonus and bonus_used <= 0:
        raise BonusUnavailable(_("Your registration bonus has already been used."))
    from_main = amount - bonus_used
    if from_main > main_balance:
        raise InsufficientFunds(
            _("This purchase needs %(needed)s USDT from your main balance; you have %(available)s USDT.")
            % {"needed": _plain(from_main), "available": _plain(main_balance)}
        )
    tier, rate = plan.tier_for(amount)
    return PurchasePreview(
        amount=amount, tier=tier, tier_label=str(Subscription.Tier(tier).label), monthly_rate=rate,
        daily_income=daily_income_amount(amount=amount, monthly_rate=rate),
        earnings_cap=round_down(amount * plan.cap_multiple), bonus_used=bonus_used,
        from_main=from_main, plan_version_id=plan.pk,
    )


def _plain(amount: Decimal) -> str:
    """An exact amount without trailing zeros, for messages (3500, 100.01, 0.000001)."""
    return f"{amount.normalize():f}"


def purchase_quote(*, user: User, amount: AmountInput, use_bonus: bool) -> PurchasePreview:
    """The preview shown before confirming, from the member's current balances."""
    from wallet.ledger.history import member_balances
    from wallet.models import AccountCode

    balances = {b.code: b.amount for b in member_balances(user=user)}
    return purchase_preview(
        plan=plan_current(), amount=parse_amount(amount), use_bonus=use_bonus,
        main_balance=balances[AccountCode.MAIN], bonus_balance=balances[AccountCode.BONUS],
    )


def subscription_list(*, user: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).order_by("-started_at", "-id")


def next_payout_date(*, now: dt.datetime | None = None) -> dt.date:
    """The next weekday whose 00:00 UTC run is still to come (daily income is paid Monday to Friday)."""
    day = (now or timezone.now()).astimezone(dt.UTC).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class SubscriptionState:
    code: str  # "earning", "at_cap", "completed" or "deactivated"
    reason: str
    next_payout: dt.date | None


def subscription_states(*, user: User, subscriptions: Iterable[Subscription]) -> dict[int, SubscriptionState]:
    """Why each subscription earns or does not, and when it is paid next (one query: the plan)."""
    multiple = plan_current().cap_multiple
    room = cap_room(total_invested=user.total_invested, total_earnings=user.total_earnings, multiple=multiple)
    times = f"{multiple.normalize():f}"
    upcoming = next_payout_date()
    states: dict[int, SubscriptionState] = {}
    for subscription in subscriptions:
        if not subscription.is_active:
            state = SubscriptionState("completed", _("Completed: it earned its whole cap."), None)
        elif not user.is_active:
            state = SubscriptionState("deactivated", _("Paused: your account is deactivated."), None)
        elif room <= 0:
            reason = _("At your %(multiple)s× cap: invest more to resume.") % {"multiple": times}
            state = SubscriptionState("at_cap", reason, None)
        else:
            state = SubscriptionState("earning", _("Earning daily income every weekday."), upcoming)
        states[subscription.pk] = state
    return states


@dataclass(frozen=True)
class GenerationBand:
    first: int
    last: int
    rate: Decimal
    directs: int


def plan_generation_bands(*, plan: PlanVersion) -> list[GenerationBand]:
    """The 20 generation levels, consecutive levels with the same rate and directs taken together."""
    bands: list[GenerationBand] = []
    for level, (rate, directs) in enumerate(zip(plan.generation_rates, plan.generation_directs, strict=True), 1):
        last = bands[-1] if bands else None
        if last and last.rate == rate and last.directs == directs:
            bands[-1] = GenerationBand(last.first, level, rate, directs)
        else:
            bands.append(GenerationBand(level, level, rate, directs))
    return bands


def subscription_active_list(*, user: User, limit: int = 5) -> list[Subscription]:
    """The member's active subscriptions, oldest first (the dashboard shows a few)."""
    return list(Subscription.objects.filter(user=user, is_active=True).order_by("started_at", "id")[:limit])
