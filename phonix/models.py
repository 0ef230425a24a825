from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StuckItem(models.Model):
    """An item a periodic job could not process; the job skips it and retries it on its next run.

    One row per (job, item). A job records the failure in its own transaction after rolling back
    the item's work, and clears the row once the item goes through. `/healthz` counts the rows.
    """

    job = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "item_id"], name="stuck_item_unique")]
        ordering = ["job", "first_seen_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.item_id}: {self.reason}"


class AuditLog(models.Model):
    """One row per staff money action: who, when, what, and the values before and after.

    Written by the action's own service in the action's transaction, so an action that fails
    leaves no row and an action that commits always has one. Rows are never changed (a
    database trigger refuses UPDATE and DELETE).
    """

    class Action(models.TextChoices):
        WITHDRAWAL_APPROVE = "withdrawal_approve", _("Withdrawal approved")
        WITHDRAWAL_REJECT = "withdrawal_reject", _("Withdrawal rejected")
        BALANCE_ADJUST = "balance_adjust", _("Balance adjusted")
        CUSTODY_POLICY_CHANGE = "custody_policy_change", _("Custody policy changed")
        PLAN_CHANGE = "plan_change", _("Plan changed")
        SPONSOR_CHANGE = "sponsor_change", _("Sponsor changed")
        ADDRESS_CHANGE = "address_change", _("Withdrawal address changed")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor authentication reset")

    # Null only for corrections made by the system itself (demo data, benchmarks).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("staff member"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("member"))
    action = models.CharField(max_length=40, choices=Action.choices)
    target = models.CharField(max_length=100, blank=True, help_text=_("What was acted on, e.g. withdrawal:12."))
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-created_at"], name="audit_actor_recent"),
            models.Index(fields=["member", "-created_at"], name="audit_member_recent"),
            models.Index(fields=["-created_at"], name="audit_recent"),
        ]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target}"
