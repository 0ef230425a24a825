from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


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
        PROMOTION_DISTRIBUTE = "promotion_distribute", _("Promotional income distributed")

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


class TaskRun(models.Model):
    """One Celery task execution, written from Celery's own signals (see `phonix/task_runs.py`).

    The console and `/metrics` read each periodic job's last start, last success, duration and
    failures from here rather than from Flower; rows older than 30 days are pruned daily.
    """

    class State(models.TextChoices):
        STARTED = "started", _("Started")
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")
        RETRY = "retry", _("Retried")

    task_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.STARTED)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name", "-started_at"], name="task_run_name_recent"),
            models.Index(fields=["started_at"], name="task_run_started"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.state}"


class CustodyReading(models.Model):
    """What the last itemised custody reconciliation read on chain, for the console's reserves."""

    hot_wallet = models.DecimalField(**money_field_kwargs())
    deposit_addresses = models.DecimalField(**money_field_kwargs())
    ledger_custody = models.DecimalField(**money_field_kwargs())
    problems = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"custody reading {self.read_at:%Y-%m-%d %H:%M}"


class PayoutDay(models.Model):
    """What the `payouts` account paid per UTC day and payout type: the console's payout figures.

    Summarised from the ledger a minute at a time by `dashboard.console.payout_days` (the console
    owns it; it lives here with the other operations tables), so the console never rescans 30
    days of postings. Only the last few minutes are read from the ledger itself.
    """

    day = models.DateField()
    type = models.CharField(max_length=30)
    total = models.DecimalField(default=0, **money_field_kwargs())

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "type"], name="payout_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.type}: {self.total}"


class SummaryCursor(models.Model):
    """How far a summary has read its source: everything before `through` is in the summary."""

    name = models.CharField(max_length=40, unique=True)
    through = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} through {self.through:%Y-%m-%d %H:%M}"


class ApiIdempotencyKey(models.Model):
    """The first answer the API gave to a member's `Idempotency-Key` for one kind of request.

    A repeat with the same key and body gets this answer again; the same key with another body
    is refused (409). Only successful requests are stored: a refused one changed nothing, so it
    may be sent again with the same key once the member has fixed what was wrong.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    scope = models.CharField(max_length=40)  # "purchase", "withdrawal"
    key = models.CharField(max_length=255)
    body_digest = models.CharField(max_length=64)  # sha256 of the canonical JSON body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="api_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
