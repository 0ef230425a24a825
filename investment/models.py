from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class Subscription(models.Model):
    class Tier(models.TextChoices):
        TIER_1 = "tier_1", _("Tier 1")
        TIER_2 = "tier_2", _("Tier 2")
        TIER_3 = "tier_3", _("Tier 3")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    amount = models.DecimalField(**money_field_kwargs())
    tier = models.CharField(max_length=10, choices=Tier.choices)
    monthly_rate = models.DecimalField(max_digits=6, decimal_places=3)
    total_earned = models.DecimalField(default=0, **money_field_kwargs())
    earnings_cap = models.DecimalField(**money_field_kwargs())
    is_active = models.BooleanField(default=True)
    bonus_used = models.DecimalField(default=0, **money_field_kwargs())
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="subscription_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(total_earned__lte=models.F("earnings_cap")),
                name="subscription_within_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.amount} ({self.tier})"
