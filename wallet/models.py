"""The double-entry ledger and the member-facing transaction history.

Sign convention: an entry's amount is added to its account's balance. Member accounts hold
what Phonix owes the member and never go below zero (a CHECK constraint). Platform accounts
hold the other side of every movement, so across all accounts the balances sum to zero:
`custody` goes negative by the USDT that came in on chain, `payouts` by everything paid out,
`subscriptions` and `fees` positive by what the platform took in.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class AccountCode(models.TextChoices):
    MAIN = "main", _("Main balance")
    BONUS = "bonus", _("Registration bonus")
    WITHDRAWAL_HOLD = "withdrawal_hold", _("Held for withdrawal")
    CUSTODY = "custody", _("Custody (USDT on chain)")
    SUBSCRIPTIONS = "subscriptions", _("Subscriptions")
    PAYOUTS = "payouts", _("Payouts")
    FEES = "fees", _("Fees")
    ADJUSTMENTS = "adjustments", _("Adjustments")


MEMBER_ACCOUNT_CODES = (AccountCode.MAIN, AccountCode.BONUS, AccountCode.WITHDRAWAL_HOLD)
PLATFORM_ACCOUNT_CODES = (
    AccountCode.CUSTODY, AccountCode.SUBSCRIPTIONS, AccountCode.PAYOUTS, AccountCode.FEES,
    AccountCode.ADJUSTMENTS,
)


class LedgerAccount(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    code = models.CharField(max_length=20, choices=AccountCode.choices)
    # Cache of SUM(entries.amount), written in the same database transaction as the entries.
    balance = models.DecimalField(default=0, **money_field_kwargs())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "code"], condition=models.Q(user__isnull=False),
                name="ledger_account_member_code_unique",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(user__isnull=True),
                name="ledger_account_platform_code_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(balance__gte=0),
                name="ledger_account_member_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, code__in=MEMBER_ACCOUNT_CODES)
                    | models.Q(user__isnull=True, code__in=PLATFORM_ACCOUNT_CODES)
                ),
                name="ledger_account_code_matches_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or 'platform'}:{self.code}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        PURCHASE = "purchase", _("Purchase")
        COMMISSION = "commission", _("Commission")
        BONUS = "bonus", _("Bonus")
        DAILY_INCOME = "daily_income", _("Daily income")
        WEEKLY_BONUS = "weekly_bonus", _("Weekly bonus")
        ADJUSTMENT = "adjustment", _("Adjustment")
        SWEEP = "sweep", _("Sweep")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # SHA-256 of the postings, so a repeated key with different content is detected.
    content_hash = models.CharField(max_length=64)
    memo = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.idempotency_key


class LedgerEntry(models.Model):
    """Append-only: a database trigger refuses UPDATE and DELETE."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**money_field_kwargs())

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_not_zero"),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class Transaction(models.Model):
    """What a member sees in their history; linked to the ledger transaction that moved the money."""

    class Type(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        PURCHASE = "purchase", _("Purchase")
        COMMISSION = "commission", _("Commission")
        BONUS = "bonus", _("Bonus")
        DAILY_INCOME = "daily_income", _("Daily income")
        WEEKLY_BONUS = "weekly_bonus", _("Weekly bonus")
        ADJUSTMENT = "adjustment", _("Adjustment")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=20, choices=Type.choices)
    amount = models.DecimalField(**money_field_kwargs())
    fee = models.DecimalField(default=0, **money_field_kwargs())
    net_amount = models.DecimalField(**money_field_kwargs())
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    txn_hash = models.CharField(max_length=64, blank=True)
    wallet_address = models.CharField(max_length=34, blank=True)
    description = models.CharField(max_length=500, blank=True)
    subscription = models.ForeignKey(
        "investment.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="history"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="txn_user_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="txn_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.amount}"
