from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LEVELS = 20

DEFAULT_GENERATION_RATES = [
    Decimal(rate) for rate in
    ["10", "5", "3", "2", "2", *["1"] * 5, *["0.5"] * 5, *["0.3"] * 5]
]
# L1–2 need no directs, then ceil(L / 2): L3–4 → 2, L5–6 → 3, … L19–20 → 10.
DEFAULT_GENERATION_DIRECTS = [0, 0, *[(level + 1) // 2 for level in range(3, LEVELS + 1)]]


class TierRow(TypedDict):
    code: str
    label: StrOrPromise
    low: Decimal
    high: Decimal | None
    rate: Decimal


def default_generation_rates() -> list[Decimal]:
    return list(DEFAULT_GENERATION_RATES)


def default_generation_directs() -> list[int]:
    return list(DEFAULT_GENERATION_DIRECTS)


class PlanVersion(models.Model):
    """One immutable version of the compensation plan. The newest row is the plan in force.

    Staff never edit a version in place: saving a change in the admin writes a new row, so every
    subscription and payout can point at the exact rules it was computed with.
    """

    minimum_amount = models.DecimalField(_("minimum subscription"), default=Decimal(50), **money_field_kwargs())
    tier_1_max = models.DecimalField(_("tier 1 up to"), default=Decimal(3000), **money_field_kwargs())
    tier_1_rate = models.DecimalField(_("tier 1 monthly rate (%)"), max_digits=6, decimal_places=3,
                                      default=Decimal(6))
    tier_2_max = models.DecimalField(_("tier 2 up to"), default=Decimal(5000), **money_field_kwargs())
    tier_2_rate = models.DecimalField(_("tier 2 monthly rate (%)"), max_digits=6, decimal_places=3,
                                      default=Decimal(8))
    tier_3_rate = models.DecimalField(_("tier 3 monthly rate (%)"), max_digits=6, decimal_places=3,
                                      default=Decimal(10))
    cap_multiple = models.DecimalField(
        _("earnings cap (× amount invested)"), max_digits=10, decimal_places=6, default=Decimal(3)
    )
    generation_rates = ArrayField(
        models.DecimalField(max_digits=6, decimal_places=3), size=LEVELS, default=default_generation_rates,
        verbose_name=_("generation rates per level (%), levels 1–20"),
    )
    generation_directs = ArrayField(
        models.PositiveSmallIntegerField(), size=LEVELS, default=default_generation_directs,
        verbose_name=_("direct referrals required per level, levels 1–20"),
    )
    directs_must_be_investors = models.BooleanField(
        _("count only directs who are active investors"), default=False
    )
    # Daily mining sessions (mining/): a session takes the length and reward of the plan it started under.
    mining_session_hours = models.PositiveSmallIntegerField(_("mining session length (hours)"), default=24)
    mining_free_reward = models.DecimalField(
        _("free mining reward per session"), default=Decimal("0.10"), **money_field_kwargs(),
        help_text=_("Credited to the bonus account of a member with no active subscription."),
    )
    mining_free_limit = models.DecimalField(
        _("free mining lifetime limit"), default=Decimal(5), **money_field_kwargs(),
        help_text=_("A member's free mining rewards stop once their total reaches this."),
    )
    mining_required_for_daily_income = models.BooleanField(
        _("daily income requires a mining session"), default=False,
        help_text=_("A subscription earns its income for a day only if the member had a session running "
                    "in the 24 hours before that day began (UTC)."),
    )
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        get_latest_by = "id"
        constraints = [
            models.CheckConstraint(condition=models.Q(minimum_amount__gt=0), name="plan_minimum_positive"),
            models.CheckConstraint(
                condition=models.Q(tier_1_max__gte=models.F("minimum_amount"))
                & models.Q(tier_2_max__gt=models.F("tier_1_max")),
                name="plan_tiers_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(tier_1_rate__gt=0, tier_1_rate__lte=100, tier_2_rate__gt=0,
                                   tier_2_rate__lte=100, tier_3_rate__gt=0, tier_3_rate__lte=100),
                name="plan_tier_rates_in_range",
            ),
            models.CheckConstraint(condition=models.Q(cap_multiple__gt=0), name="plan_cap_positive"),
            models.CheckConstraint(
                condition=models.Q(generation_rates__len=LEVELS) & models.Q(generation_directs__len=LEVELS),
                name="plan_twenty_levels",
            ),
            models.CheckConstraint(
                condition=models.Q(mining_session_hours__gte=1, mining_session_hours__lte=168,
                                   mining_free_reward__gte=0, mining_free_limit__gte=0),
                name="plan_mining_settings_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.pk}" + (f" — {self.note}" if self.note else "")

    def tier_for(self, amount: Decimal) -> tuple[str, Decimal]:
        """(tier code, monthly rate %) of a subscription amount; tier bounds are inclusive."""
        if amount <= self.tier_1_max:
            return Subscription.Tier.TIER_1, self.tier_1_rate
        if amount <= self.tier_2_max:
            return Subscription.Tier.TIER_2, self.tier_2_rate
        return Subscription.Tier.TIER_3, self.tier_3_rate

    def tiers(self) -> list[TierRow]:
        """The tiers as rows for pages: code, label, lower bound (exclusive after tier 1), upper bound."""
        return [
            {"code": Subscription.Tier.TIER_1, "label": Subscription.Tier.TIER_1.label,
             "low": self.minimum_amount, "high": self.tier_1_max, "rate": self.tier_1_rate},
            {"code": Subscription.Tier.TIER_2, "label": Subscription.Tier.TIER_2.label,
             "low": self.tier_1_max, "high": self.tier_2_max, "rate": self.tier_2_rate},
            {"code": Subscription.Tier.TIER_3, "label": Subscription.Tier.TIER_3.label,
             "low": self.tier_2_max, "high": None, "rate": self.tier_3_rate},
        ]


class Subscription(models.Model):
    class Tier(models.TextChoices):
        TIER_1 = "tier_1", _("Tier 1")
        TIER_2 = "tier_2", _("Tier 2")
        TIER_3 = "tier_3", _("Tier 3")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="subscriptions")
    amount = models.DecimalField(**money_field_kwargs())
    tier = models.CharField(max_length=10, choices=Tier.choices)
    monthly_rate = models.DecimalField(max_digits=6, decimal_places=3)
    total_earned = models.DecimalField(default=0, **money_field_kwargs())
    earnings_cap = models.DecimalField(**money_field_kwargs())
    is_active = models.BooleanField(default=True)
    bonus_used = models.DecimalField(default=0, **money_field_kwargs())
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # "<member id>:<form token>": a retried or doubled request finds the first purchase.
    purchase_key = models.CharField(max_length=80, unique=True)
    # Set in the transaction that paid the 20-level generation income; NULL = still owed.
    generation_paid_at = models.DateTimeField(null=True, blank=True)
    # The last weekday whose daily income run settled this subscription (paid, or cut to 0 by the cap).
    daily_paid_through = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="subscription_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(total_earned__lte=models.F("earnings_cap")),
                name="subscription_within_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(total_earned__gte=0, bonus_used__gte=0)
                & models.Q(bonus_used__lte=models.F("amount")),
                name="subscription_parts_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True, completed_at__isnull=True)
                | models.Q(is_active=False, completed_at__isnull=False),
                name="subscription_completed_iff_inactive",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="subscription_user_recent"),
            models.Index(fields=["user"], condition=models.Q(is_active=True), name="subscription_active_user"),
            models.Index(fields=["id"], condition=models.Q(generation_paid_at__isnull=True),
                         name="subscription_generation_owed"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.amount} ({self.tier})"

    @property
    def cap_progress(self) -> Decimal:
        """Share of the 3× cap already earned, in percent (0–100)."""
        if not self.earnings_cap:
            return Decimal(0)
        return min(Decimal(100), self.total_earned * 100 / self.earnings_cap)
