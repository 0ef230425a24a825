"""Reads of plans and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from phonix.money import round_down

from .models import PlanVersion, Subscription


def plan_current() -> PlanVersion:
    """The plan in force: the newest version.

    Migration 0002 writes the first one; a database emptied since (a flushed test database)
    gets the plan's defaults back as a new first version.
    """
    try:
        return PlanVersion.objects.latest()
    except PlanVersion.DoesNotExist:
        return PlanVersion.objects.create(note="The plan as first published")


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


def purchase_preview(*, plan: PlanVersion, amount: Decimal, bonus_available: Decimal,
                     use_bonus: bool) -> PurchasePreview:
    """What a purchase of `amount` would be, shown before the member confirms it."""
    tier, rate = plan.tier_for(amount)
    bonus_used = min(bonus_available, amount) if use_bonus else Decimal(0)
    return PurchasePreview(
        amount=amount, tier=tier, tier_label=str(Subscription.Tier(tier).label), monthly_rate=rate,
        daily_income=daily_income_amount(amount=amount, monthly_rate=rate),
        earnings_cap=round_down(amount * plan.cap_multiple), bonus_used=bonus_used,
        from_main=amount - bonus_used, plan_version_id=plan.pk,
    )


def subscription_list(*, user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).order_by("-started_at", "-id")
