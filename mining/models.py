"""The ASIC catalogue, the network/market snapshots the calculator starts from, and members'
daily mining sessions.

Snapshots are one row per 5-minute slot (`bucket`): a refresh that runs twice in the same slot,
or in two workers at once, rewrites that slot instead of adding rows. Every quantity in a
snapshot remembers which source gave it (`sources`), when that source last gave it (`as_of`)
and whether this refresh had to carry it over from an earlier snapshot (`stale`).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class AsicMiner(models.Model):
    maker = models.CharField(_("maker"), max_length=60)
    model = models.CharField(_("model"), max_length=80)
    hashrate_ths = models.DecimalField(_("hashrate (TH/s)"), max_digits=10, decimal_places=2)
    power_w = models.PositiveIntegerField(_("power (W)"))
    # As published by the maker; the calculator uses power ÷ hashrate for its own figures.
    efficiency_j_th = models.DecimalField(_("efficiency (J/TH)"), max_digits=7, decimal_places=2)
    year = models.PositiveSmallIntegerField(_("year"))
    verified = models.BooleanField(
        _("verified"), default=False,
        help_text=_("Figures checked by staff against the maker's specification sheet."),
    )
    source_note = models.CharField(_("source note"), max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["maker", "model"]
        verbose_name = _("ASIC miner")
        verbose_name_plural = _("ASIC catalogue")
        constraints = [
            models.UniqueConstraint(fields=["maker", "model"], name="asic_maker_model_unique"),
            models.CheckConstraint(condition=models.Q(hashrate_ths__gt=0), name="asic_hashrate_positive"),
            models.CheckConstraint(condition=models.Q(power_w__gt=0), name="asic_power_positive"),
            models.CheckConstraint(
                condition=models.Q(efficiency_j_th__gt=0), name="asic_efficiency_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=2009, year__lte=2100), name="asic_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maker} {self.model}"


class Quantity(models.TextChoices):
    """The market quantities a refresh collects; keys of `sources`, `as_of` and `stale`."""

    PRICE = "price", _("BTC price")
    DIFFICULTY = "difficulty", _("Difficulty")
    HASHRATE = "hashrate", _("Network hashrate")
    FEES = "fees", _("Fees per block")
    HEIGHT = "height", _("Block height")
    ADJUSTMENT = "adjustment", _("Next difficulty adjustment")


class NetworkSnapshot(models.Model):
    bucket = models.DateTimeField(unique=True, help_text="Start of the 5-minute slot (UTC).")
    fetched_at = models.DateTimeField()
    btc_price_usd = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    btc_change_24h_pct = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    difficulty = models.DecimalField(max_digits=32, decimal_places=6, null=True, blank=True)
    # Observed estimate in H/s (mempool.space or blockchain.info), not the one implied by difficulty.
    network_hashrate = models.DecimalField(max_digits=32, decimal_places=0, null=True, blank=True)
    avg_fees_btc = models.DecimalField(max_digits=16, decimal_places=8, null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    next_difficulty_change_pct = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True,
    )
    sources = models.JSONField(default=dict, blank=True)
    as_of = models.JSONField(default=dict, blank=True)
    stale = ArrayField(models.CharField(max_length=20), default=list, blank=True)

    class Meta:
        ordering = ["-bucket"]
        get_latest_by = "bucket"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(btc_price_usd__isnull=True) | models.Q(btc_price_usd__gt=0),
                name="snapshot_price_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(difficulty__isnull=True) | models.Q(difficulty__gt=0),
                name="snapshot_difficulty_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(network_hashrate__isnull=True) | models.Q(network_hashrate__gt=0),
                name="snapshot_hashrate_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(avg_fees_btc__isnull=True) | models.Q(avg_fees_btc__gte=0),
                name="snapshot_fees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.bucket:%Y-%m-%d %H:%M}"


class MiningSession(models.Model):
    """One mining session of a member: it runs from `started_at` to `ends_at` (the plan's length).

    A session is running until the completion job sets `completed_at`, together with its outcome
    and the free reward it credited (under the ledger key `mining:<id>`). A member has at most
    one session that is not completed (a partial unique index), so a double click starts one.
    """

    class Outcome(models.TextChoices):
        RUNNING = "", _("Running")
        REWARDED = "rewarded", _("Free reward credited")
        LIMIT = "limit", _("Free mining limit reached")
        UNCONFIRMED = "unconfirmed", _("E-mail not confirmed")
        INVESTOR = "investor", _("Active investor: daily income instead")

    # `user` is covered by mining_session_user_recent.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mining_sessions",
                             db_index=False, verbose_name=_("member"))
    # The plan the session started under: its length and free reward.
    plan_version = models.ForeignKey("investment.PlanVersion", on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    started_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ends"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default="")
    reward = models.DecimalField(_("free reward"), default=0, **money_field_kwargs())
    # Set when the opted-in reminder e-mail went out, so a retried task sends it once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mining session")
        verbose_name_plural = _("mining sessions")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(completed_at__isnull=True),
                                    name="mining_session_one_running"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("started_at")),
                                   name="mining_session_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True, outcome="", reward=0)
                | models.Q(completed_at__isnull=False, outcome="rewarded", reward__gt=0)
                | (models.Q(completed_at__isnull=False, reward=0) & ~models.Q(outcome__in=["", "rewarded"])),
                name="mining_session_outcome_matches_reward",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="mining_session_user_recent"),
            # What the completion job reads every minute: the running sessions only.
            models.Index(fields=["ends_at"], condition=models.Q(completed_at__isnull=True),
                         name="mining_session_due"),
            models.Index(fields=["completed_at"], condition=models.Q(completed_at__isnull=False),
                         name="mining_session_completed"),
        ]

    def __str__(self) -> str:
        return f"mining session #{self.pk} of {self.user_id}"


class MiningProfile(models.Model):
    """A member's mining totals, kept by the completion job, and their reminder choice."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True,
                                related_name="mining_profile")
    free_total = models.DecimalField(_("free mining rewards so far"), default=0, **money_field_kwargs())
    streak = models.PositiveIntegerField(_("streak (days)"), default=0)
    # The UTC day of the last completed session: the streak goes on if the next one ends the day after.
    streak_last_day = models.DateField(null=True, blank=True)
    email_reminder = models.BooleanField(
        _("e-mail me when my session has ended"), default=False,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(free_total__gte=0), name="mining_profile_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"mining profile of {self.user_id}"


class CompletionRun(models.Model):
    """One row: when the completion job last finished, for /healthz."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    finished_at = models.DateTimeField()
    completed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="mining_completion_run_single")]

    def __str__(self) -> str:
        return f"mining completion at {self.finished_at:%Y-%m-%d %H:%M}"
