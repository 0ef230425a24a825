"""The ASIC catalogue and the network/market snapshots the calculator starts from.

Snapshots are one row per 5-minute slot (`bucket`): a refresh that runs twice in the same slot,
or in two workers at once, rewrites that slot instead of adding rows. Every quantity in a
snapshot remembers which source gave it (`sources`), when that source last gave it (`as_of`)
and whether this refresh had to carry it over from an earlier snapshot (`stale`).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


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
