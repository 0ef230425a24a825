"""Ranks by leg volume: per-member volumes, the Rank record, its history and weekly bonuses.

A member's legs are their direct referrals; a leg's volume is the direct's `group_volume`
(everything ever invested by the direct and their whole downline). Storing the group volume per
member keeps a purchase to one set-based upsert of the buyer and its upline, and lets every
member's main leg (max over directs) and other legs (sum − max) be computed in one GROUP BY.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class RankCode(models.TextChoices):
    NONE = "none", _("No rank")
    CONNECTOR = "connector", _("Connector")
    BUILDER = "builder", _("Builder")
    PROFESSIONAL = "professional", _("Professional")
    EXECUTIVE = "executive", _("Executive")
    DIRECTOR = "director", _("Director")
    CROWN = "crown", _("Crown")


class MemberVolume(models.Model):
    """Investment volume of one member (personal) and of their whole subtree (group).

    Kept current by `leg_volumes_add` inside each purchase; rebuilt by `recompute_leg_volumes`.
    A member without a row has no volume.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="volume"
    )
    personal_volume = models.DecimalField(default=0, **money_field_kwargs())
    group_volume = models.DecimalField(default=0, **money_field_kwargs())

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(personal_volume__gte=0)
                & models.Q(group_volume__gte=models.F("personal_volume")),
                name="member_volume_group_covers_personal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.group_volume}"


class Rank(models.Model):
    """A member's rank. Ranks never go down; a promotion sets its weekly bonus for 52 weeks."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rank")
    current_rank = models.CharField(max_length=20, choices=RankCode.choices, default=RankCode.NONE)
    # Leg volumes as of the last rank check (the page shows live figures from MemberVolume).
    main_leg_volume = models.DecimalField(default=0, **money_field_kwargs())
    other_legs_volume = models.DecimalField(default=0, **money_field_kwargs())
    weekly_bonus_amount = models.DecimalField(default=0, **money_field_kwargs())
    weeks_remaining = models.PositiveSmallIntegerField(default=0)
    # Monday of the first ISO week the current bonus is owed for, and of the last week settled.
    bonus_start_week = models.DateField(null=True, blank=True)
    last_paid_week = models.DateField(null=True, blank=True)
    last_rank_check = models.DateTimeField(null=True, blank=True)
    rank_achieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weeks_remaining__lte=52), name="rank_weeks_remaining_at_most_52"
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_bonus_amount__gte=0), name="rank_weekly_bonus_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=models.Q(weeks_remaining__gt=0), name="rank_bonus_due"
            ),
            models.Index(fields=["current_rank"], name="rank_current_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.current_rank}"


class RankAchievement(models.Model):
    """Every rank a member reached, once each."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rank_history")
    rank = models.CharField(max_length=20, choices=RankCode.choices)
    main_leg_volume = models.DecimalField(**money_field_kwargs())
    other_legs_volume = models.DecimalField(**money_field_kwargs())
    weekly_bonus_amount = models.DecimalField(**money_field_kwargs())
    achieved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "rank"], name="rank_achievement_once_per_rank"),
        ]
        indexes = [models.Index(fields=["user", "-achieved_at"], name="rank_achievement_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.rank}"


class WeeklyBonus(models.Model):
    """One settled week of a member's rank bonus: paid, or cut by the 3× cap (`capped_amount`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="weekly_bonuses"
    )
    week = models.DateField(help_text="Monday of the ISO week")
    iso_week = models.CharField(max_length=8)  # "2025-W07", as in the ledger key
    rank = models.CharField(max_length=20, choices=RankCode.choices)
    amount = models.DecimalField(**money_field_kwargs())  # what the rank owed
    paid_amount = models.DecimalField(**money_field_kwargs())
    capped_amount = models.DecimalField(default=0, **money_field_kwargs())
    ledger_transaction = models.ForeignKey(
        "wallet.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The plan whose cap multiple applied.
    plan_version = models.ForeignKey(
        "investment.PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="weekly_bonus_once_per_week"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0)
                & models.Q(capped_amount__gte=0)
                & models.Q(amount=models.F("paid_amount") + models.F("capped_amount")),
                name="weekly_bonus_paid_plus_capped",
            ),
        ]
        indexes = [models.Index(fields=["user", "-week"], name="weekly_bonus_recent")]
        verbose_name_plural = "weekly bonuses"

    def __str__(self) -> str:
        return f"{self.user_id} {self.iso_week}: {self.paid_amount}"
