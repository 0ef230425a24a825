from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class Commission(models.Model):
    """One payout decision of the plan: generation income (levels 1–20) or daily bond income
    (level 0, the member's own subscription), paid or — with a reason — not paid.

    Rows with amount 0 and a `skip_reason` are kept on purpose: they are how a member sees why a
    purchase in their downline paid them nothing. The money itself moves in the ledger transaction
    the row names: `gen:<subscription>:<level>` for one level of a purchase; for daily income one
    transaction per batch of members (`daily:<date>:members:<first>-<last>`, an entry per member).
    """

    class Type(models.TextChoices):
        GENERATION = "generation", _("Generation income")
        DAILY_BOND = "daily_bond", _("Daily income")

    class SkipReason(models.TextChoices):
        PAID = "", _("Paid")
        DISABLED = "disabled", _("Account deactivated")
        INACTIVE = "inactive", _("Not an active investor")
        DIRECTS = "directs", _("Not enough direct referrals")
        CAP = "cap", _("3× cap reached")
        NO_SESSION = "no_session", _("No mining session")

    # Few indexes on purpose: a daily run inserts a row per subscription. `user` is covered by
    # commission_user_recent; members, buyers and plan versions are never deleted. The references
    # are checked per statement, as sets (phonix/set_references.py), not by per-row foreign keys.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions",
                             db_index=False, db_constraint=False)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  db_index=False, db_constraint=False)
    level = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**money_field_kwargs())
    # The part a cap cut off (not paid, shown to the member).
    capped_amount = models.DecimalField(default=0, **money_field_kwargs())
    commission_type = models.CharField(max_length=20, choices=Type.choices)
    skip_reason = models.CharField(max_length=10, choices=SkipReason.choices, blank=True, default="")
    # With skip_reason "directs": how many directs the member had (the plan version says how many it needed).
    directs_had = models.PositiveSmallIntegerField(null=True, blank=True)
    source_subscription = models.ForeignKey(
        "investment.Subscription", on_delete=models.PROTECT, related_name="commissions", db_constraint=False
    )
    plan_version = models.ForeignKey("investment.PlanVersion", on_delete=models.PROTECT, related_name="+",
                                     db_index=False, db_constraint=False)
    # The weekday a daily income belongs to; NULL for generation income.
    payout_date = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    paid_at = models.DateTimeField()
    # The ledger transaction that paid it (none when nothing was paid). A daily run pays a batch of
    # members in one ledger transaction, one entry per member; this row keeps the payout itself.
    ledger_transaction = models.ForeignKey("wallet.LedgerTransaction", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", db_index=False, db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_subscription", "level"],
                condition=models.Q(commission_type="generation"),
                name="commission_generation_once_per_level",
            ),
            models.UniqueConstraint(
                fields=["source_subscription", "payout_date"],
                condition=models.Q(commission_type="daily_bond"),
                name="commission_daily_once_per_date",
            ),
            models.CheckConstraint(
                condition=models.Q(commission_type="generation", level__gte=1, level__lte=20,
                                   payout_date__isnull=True)
                | models.Q(commission_type="daily_bond", level=0, payout_date__isnull=False),
                name="commission_type_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, capped_amount__gte=0), name="commission_amounts_not_negative"
            ),
            # Paid rows carry an amount; unpaid rows carry the reason instead.
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, skip_reason="") | models.Q(amount=0, skip_reason__gt=""),
                name="commission_paid_or_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-paid_at", "-id"], name="commission_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_commission_type_display()} L{self.level} {self.amount} → {self.user_id}"

    @property
    def directs_needed(self) -> int:
        return self.plan_version.generation_directs[self.level - 1]


class DailyIncomeRun(models.Model):
    """The record of a daily-income date: the scheduled job catches up from the last finished one."""

    payout_date = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paid_count = models.PositiveIntegerField(default=0)
    paid_total = models.DecimalField(default=0, **money_field_kwargs())
    capped_total = models.DecimalField(default=0, **money_field_kwargs())

    def __str__(self) -> str:
        return f"daily income {self.payout_date}"


class Distribution(models.Model):
    """A staff promotional payout: one amount to each member of a chosen set, paid once.

    `key` is the idempotency key of the whole distribution (the confirm form's token): a
    re-submit finds this row and pays nothing more. It is paid in one ledger transaction keyed
    `promotion:<distribution>`, one entry per recipient.
    """

    class Account(models.TextChoices):
        MAIN = "main", _("Main balance")
        BONUS = "bonus", _("Registration bonus")

    key = models.CharField(max_length=80, unique=True, editable=False)
    amount_each = models.DecimalField(**money_field_kwargs())
    account = models.CharField(max_length=10, choices=Account.choices)
    reason = models.CharField(max_length=300)
    # The filter that chose the recipients, as staff set it (rank, investors, dates, usernames).
    criteria = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)
    paid_count = models.PositiveIntegerField(default=0)
    paid_total = models.DecimalField(default=0, **money_field_kwargs())
    capped_total = models.DecimalField(default=0, **money_field_kwargs())
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("distribute_promotion", "Can distribute promotional income")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_each__gt=0), name="distribution_amount_positive"),
            models.CheckConstraint(condition=models.Q(account__in=["main", "bonus"]), name="distribution_account"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"distribution {self.pk}: {self.amount_each} × {self.recipients}"


class DistributionPayout(models.Model):
    """What one recipient of a distribution got, and the part their 3× cap cut off."""

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="payouts",
                                     db_index=False)
    # One index, the unique one: a distribution writes a row per recipient.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.DecimalField(**money_field_kwargs())
    capped_amount = models.DecimalField(default=0, **money_field_kwargs())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["distribution", "user"], name="distribution_payout_once"),
            models.CheckConstraint(condition=models.Q(amount__gte=0, capped_amount__gte=0),
                                   name="distribution_payout_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.distribution_id} → {self.user_id}: {self.amount}"
