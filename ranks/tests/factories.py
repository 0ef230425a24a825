"""Test helpers: an investment as the purchase service records it, as far as ranks care."""

import uuid
from decimal import Decimal

from django.db.models import F

from accounts.models import User
from investment.models import PlanVersion, Subscription
from ranks.services import leg_volumes_add


def subscription_row(user: User, amount) -> Subscription:
    """A subscription row only — no leg volume, no totals (a purchase the volumes missed)."""
    amount = Decimal(str(amount))
    plan = PlanVersion.objects.order_by("-id").first() or PlanVersion.objects.create()
    tier, rate = plan.tier_for(amount)
    return Subscription.objects.create(
        user=user, plan_version=plan, amount=amount, tier=tier, monthly_rate=rate,
        earnings_cap=amount * 3, purchase_key=f"{user.pk}:{uuid.uuid4().hex}",
    )


def invest(user: User, amount) -> Subscription | None:
    """Record a purchase: the subscription, the member's total invested and the leg volumes."""
    amount = Decimal(str(amount))
    if not amount:
        return None
    subscription = subscription_row(user, amount)
    User.objects.filter(pk=user.pk).update(total_invested=F("total_invested") + amount)
    leg_volumes_add(buyer=user, amount=amount)
    return subscription
