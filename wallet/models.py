"""The double-entry ledger and the member-facing transaction history.

Sign convention: an entry's amount is added to its account's balance. Member accounts hold
what Phonix owes the member and never go below zero (a CHECK constraint). Platform accounts
hold the other side of every movement, so across all accounts the balances sum to zero:
`custody` goes negative by the USDT that came in on chain, `payouts` by everything paid out,
`subscriptions` and `fees` positive by what the platform took in.
"""

from decimal import Decimal

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
        permissions = [("adjust_balance", "Can adjust member balances")]

    def __str__(self) -> str:
        return f"{self.user or 'platform'}:{self.code}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        PURCHASE = "purchase", _("Purchase")
        COMMISSION = "commission", _("Generation income")
        BONUS = "bonus", _("Bonus")
        DAILY_INCOME = "daily_income", _("Daily income")
        WEEKLY_BONUS = "weekly_bonus", _("Weekly bonus")
        ADJUSTMENT = "adjustment", _("Adjustment")
        SWEEP = "sweep", _("Sweep")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Unique by a constraint rather than unique=True, which would add a second, pattern-matching
    # index that nothing uses and every posting pays for.
    idempotency_key = models.CharField(max_length=200)
    # SHA-256 of the postings, so a repeated key with different content is detected.
    content_hash = models.CharField(max_length=64)
    memo = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(  # indexed below, where set
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="ledger_transaction_key_unique")]
        # Staff postings only: payout runs write 100,000 transactions without an author at a time.
        indexes = [models.Index(fields=["created_by"], condition=models.Q(created_by__isnull=False),
                                name="ledger_transaction_author")]

    def __str__(self) -> str:
        return self.idempotency_key


class LedgerEntry(models.Model):
    """Append-only: a database trigger refuses UPDATE and DELETE.

    Its references are checked by a statement-level trigger over each INSERT's rows as a set
    (wallet/migrations/0014), not by per-row foreign keys: a payout run writes 200,000 entries.
    """

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries",
                                    db_constraint=False)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries",
                                db_constraint=False)
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
        COMMISSION = "commission", _("Generation income")
        BONUS = "bonus", _("Registration bonus")
        DAILY_INCOME = "daily_income", _("Daily income")
        WEEKLY_BONUS = "weekly_bonus", _("Weekly bonus")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PROMOTION = "promotion", _("Promotion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # A payout run writes a line per payout: the references are checked per statement, as sets
    # (phonix/set_references.py), not by per-row foreign keys.
    # No index of its own: txn_user_recent starts with it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions",
                             db_constraint=False, db_index=False)
    type = models.CharField(max_length=20, choices=Type.choices)
    amount = models.DecimalField(**money_field_kwargs())
    fee = models.DecimalField(default=0, **money_field_kwargs())
    net_amount = models.DecimalField(**money_field_kwargs())
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    txn_hash = models.CharField(max_length=64, blank=True)
    wallet_address = models.CharField(max_length=34, blank=True)
    description = models.CharField(max_length=500, blank=True)
    subscription = models.ForeignKey(
        "investment.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False,
    )
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="history",
        db_constraint=False,
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

    # get_type_display() and get_status_display() translate every choice on each call; a history
    # page shows dozens of lines, so it looks its labels up here and translates only the one shown.
    @property
    def type_label(self) -> str:
        return str(_TYPE_LABELS.get(self.type, self.type))

    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))

    @property
    def signed_amount(self) -> Decimal:
        """The amount as it moved the member's money: withdrawals and purchases are debits.
        (Adjustments are stored with their sign.)"""
        return -self.amount if self.type in DEBIT_TYPES else self.amount

    @property
    def explorer_url(self) -> str:
        return settings.TRON_EXPLORER_TX_URL.format(txid=self.txn_hash) if self.txn_hash else ""


DEBIT_TYPES = (Transaction.Type.WITHDRAWAL, Transaction.Type.PURCHASE)
_TYPE_LABELS = dict(Transaction.Type.choices)
_STATUS_LABELS = dict(Transaction.Status.choices)


# TRON custody: deposit addresses, deposits, withdrawals and sweeps ---------------------------


class DepositAddress(models.Model):
    """A member's deposit address, derived from the account xpub at `derivation_index`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_address")
    address = models.CharField(max_length=34, unique=True)
    derivation_index = models.PositiveBigIntegerField(unique=True)
    last_checked = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deposit addresses"

    def __str__(self) -> str:
        return self.address


class ScanCursor(models.Model):
    """The next block a scanner will read; a row per scanner, updated with its results."""

    name = models.CharField(max_length=40, unique=True)
    next_block = models.BigIntegerField()
    head_seen = models.BigIntegerField(default=0)
    solid_seen = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.next_block}"


class Deposit(models.Model):
    """A USDT Transfer log to one of our addresses, recorded once per (txid, log index)."""

    class Status(models.TextChoices):
        SEEN = "seen", _("Seen")
        CONFIRMING = "confirming", _("Confirming")
        CREDITED = "credited", _("Credited")
        BELOW_MINIMUM = "below_minimum", _("Below the minimum")
        ORPHANED = "orphaned", _("Dropped by the network")
        # Credited before solidification (TRON_CONFIRMATION_RULE=blocks:N), then removed by a fork:
        REVERSED = "reversed", _("Removed by a network fork; the credit was reversed")
        REVERSAL_PENDING = "reversal_pending", _("Removed by a network fork; being resolved by staff")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits")
    deposit_address = models.ForeignKey(DepositAddress, on_delete=models.PROTECT, related_name="deposits")
    txid = models.CharField(max_length=64)
    log_index = models.PositiveIntegerField()
    from_address = models.CharField(max_length=34)
    amount = models.DecimalField(**money_field_kwargs())
    block_number = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SEEN)
    # The custody policy version whose minimum decided between credited and below the minimum.
    policy = models.ForeignKey("CustodyPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    # False while a credit made before solidification has not been seen in the solidified chain.
    final = models.BooleanField(default=True, db_default=True)
    # Consecutive re-checks that found it neither in its solidified block nor anywhere else.
    recheck_misses = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["txid", "log_index"], name="deposit_txid_log_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deposit_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="deposit_user_recent"),
            models.Index(fields=["status", "block_number"], name="deposit_status_block"),
            models.Index(fields=["block_number"], condition=models.Q(final=False), name="deposit_not_final"),
        ]

    def __str__(self) -> str:
        return f"{self.txid}:{self.log_index}"


class CustodyPolicy(models.Model):
    """Staff-set custody rules. Rows are versions: a change writes a new row, the newest is in
    force, and every withdrawal and deposit points at the version it was handled under."""

    two_approvals_above = models.DecimalField(
        _("two approvals above"), default=1000,
        help_text=_("Withdrawals above this amount need two different staff approvals."), **money_field_kwargs(),
    )
    withdrawal_fee_percent = models.DecimalField(
        _("withdrawal fee (%)"), max_digits=5, decimal_places=2, default=5,
        help_text=_("Taken from the amount; the member receives the rest."),
    )
    withdrawal_minimum = models.DecimalField(_("minimum withdrawal"), default=10, **money_field_kwargs())
    withdrawal_maximum = models.DecimalField(
        _("maximum per withdrawal"), null=True, blank=True, help_text=_("Empty: no limit."), **money_field_kwargs(),
    )
    daily_maximum = models.DecimalField(
        _("maximum per member per day"), null=True, blank=True,
        help_text=_("The total a member may request in one UTC day, rejected and failed withdrawals not counted. "
                    "Empty: no limit."),
        **money_field_kwargs(),
    )
    deposit_minimum = models.DecimalField(
        _("minimum deposit"), default=1,
        help_text=_("Smaller deposits are recorded and shown to staff but not credited."), **money_field_kwargs(),
    )
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("Why this change was made."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("custody policy version")
        verbose_name_plural = _("custody policy")
        ordering = ["-id"]
        permissions = [("manage_custody_policy", "Can change the custody policy")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawal_fee_percent__gte=0, withdrawal_fee_percent__lt=100),
                name="custody_policy_fee_percent_range",
            ),
            models.CheckConstraint(condition=models.Q(withdrawal_minimum__gt=0),
                                   name="custody_policy_withdrawal_minimum_positive"),
            models.CheckConstraint(
                condition=models.Q(withdrawal_maximum__isnull=True)
                | models.Q(withdrawal_maximum__gte=models.F("withdrawal_minimum")),
                name="custody_policy_maximum_not_below_minimum",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_maximum__isnull=True)
                | models.Q(daily_maximum__gte=models.F("withdrawal_minimum")),
                name="custody_policy_daily_not_below_minimum",
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_minimum__gte=0, two_approvals_above__gte=0),
                name="custody_policy_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Custody policy v{self.pk}"


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        PROCESSING = "processing", _("Processing")
        SIGNED = "signed", _("Signed")
        BROADCAST = "broadcast", _("Sent to the network")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Rejected")

    OPEN = (Status.PENDING, Status.APPROVED, Status.PROCESSING, Status.SIGNED, Status.BROADCAST)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.DecimalField(**money_field_kwargs())
    fee = models.DecimalField(**money_field_kwargs())
    net_amount = models.DecimalField(**money_field_kwargs())
    address = models.CharField(max_length=34)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    policy = models.ForeignKey(CustodyPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text=_("The custody policy version the request was handled under."))
    history = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    txid = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # `<member>:<form token>`: a retried or repeated request form opens one withdrawal. NULL (not
    # "") for withdrawals made before forms carried a token, so that uniqueness holds among keys.
    request_key = models.CharField(  # noqa: DJ001
        max_length=80, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("approve_withdrawal", "Can approve withdrawals")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(net_amount=models.F("amount") - models.F("fee")),
                name="withdrawal_net_is_amount_less_fee",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="withdrawal_user_recent")]

    def __str__(self) -> str:
        return f"withdrawal {self.pk} {self.amount}"

    @property
    def explorer_url(self) -> str:
        return settings.TRON_EXPLORER_TX_URL.format(txid=self.txid) if self.txid else ""


class WithdrawalApproval(models.Model):
    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="approvals")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["withdrawal", "staff"], name="withdrawal_approval_once_per_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} approved {self.withdrawal_id}"


class ChainTransfer(models.Model):
    """A transaction Phonix signed, stored before it is broadcast.

    One row per signature: a withdrawal or sweep step gets a second row only once the first
    transaction is provably dead (expired and absent from the solidified chain).
    """

    class Purpose(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        SWEEP_GAS = "sweep_gas", _("Gas for a sweep")
        SWEEP = "sweep", _("Sweep")
        GAS_RECLAIM = "gas_reclaim", _("Gas reclaimed from a swept address")

    class State(models.TextChoices):
        SIGNED = "signed", _("Signed")
        BROADCAST = "broadcast", _("Broadcast")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed on chain")
        DEAD = "dead", _("Expired, never mined")

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    withdrawal = models.ForeignKey(
        Withdrawal, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    sweep = models.ForeignKey("DepositSweep", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    attempt = models.PositiveSmallIntegerField(default=1)
    txid = models.CharField(max_length=64, unique=True)
    signed_tx = models.JSONField()
    expiration_ms = models.BigIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.SIGNED, db_index=True)
    broadcast_count = models.PositiveIntegerField(default=0)
    last_broadcast_code = models.CharField(max_length=60, blank=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    receipt_result = models.CharField(max_length=40, blank=True)
    fee_sun = models.BigIntegerField(default=0)
    # Not-found answers from nodes whose solidified head was past the expiration: a transaction
    # is declared dead only after several of them, spread over minutes.
    absent_checks = models.PositiveIntegerField(default=0)
    absent_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # At most one live transaction per withdrawal or sweep step: never two signatures in flight.
            models.UniqueConstraint(
                fields=["withdrawal"], condition=models.Q(state__in=["signed", "broadcast", "confirmed"]),
                name="chain_transfer_one_live_per_withdrawal",
            ),
            models.UniqueConstraint(
                fields=["sweep", "purpose"], condition=models.Q(state__in=["signed", "broadcast", "confirmed"]),
                name="chain_transfer_one_live_per_sweep_step",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawal__isnull=False, sweep__isnull=True)
                | models.Q(withdrawal__isnull=True, sweep__isnull=False),
                name="chain_transfer_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.txid


class DepositSweep(models.Model):
    """Moving one deposit address's USDT to the hot wallet: gas first if needed, then the transfer."""

    class Status(models.TextChoices):
        NEEDS_GAS = "needs_gas", _("Waiting for gas")
        READY = "ready", _("Ready to sweep")
        SWEEPING = "sweeping", _("Sweeping")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    deposit_address = models.ForeignKey(DepositAddress, on_delete=models.PROTECT, related_name="sweeps")
    amount_units = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deposit_address"], condition=models.Q(status__in=["needs_gas", "ready", "sweeping"]),
                name="deposit_sweep_one_open_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"sweep {self.deposit_address_id} {self.amount_units}"


class CustodyProof(models.Model):
    """A custody item proved against the solidified chain once; it is not asked again.

    Solidified blocks are irreversible, so a withdrawal, sweep or deposit that matched the chain
    keeps matching it; the custody check only reads items without a proof.
    """

    class Kind(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        SWEEP = "sweep", _("Sweep")
        DEPOSIT = "deposit", _("Deposit")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    item_id = models.BigIntegerField()
    proved_at = models.DateTimeField(auto_now_add=True)
    # Set when staff accepted an item that did not match, after correcting it by other means.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "item_id"], name="custody_proof_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}"
