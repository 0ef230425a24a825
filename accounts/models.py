from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from phonix.money import money_field_kwargs


class Credential(models.TextChoices):
    PASSWORD = "password", _("password")
    EMAIL = "email", _("e-mail address")
    TWO_FACTOR = "two_factor", _("two-factor authentication")


class User(AbstractUser):
    """A member (or staff). The referral tree is stored on the row itself.

    `upline_ids` lists every ancestor, nearest first (the sponsor is `upline_ids[0]`), so the
    upline is one indexed lookup, a member's downline at any depth is `upline_ids @> {id}`
    (GIN index), and the level of a descendant is the difference of `depth`.
    """

    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="direct_referrals",
        verbose_name=_("sponsor"),
    )
    # NULL (not "") until a code is issued, so that uniqueness holds among issued codes.
    referral_code = models.CharField(  # noqa: DJ001
        _("referral code"), max_length=12, unique=True, null=True, blank=True
    )
    upline_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)
    depth = models.PositiveIntegerField(default=0, editable=False)
    direct_referrals_count = models.PositiveIntegerField(default=0)
    total_invested = models.DecimalField(default=0, **money_field_kwargs())
    total_earnings = models.DecimalField(default=0, **money_field_kwargs())
    is_active_investor = models.BooleanField(default=False)
    trc20_wallet_address = models.CharField(_("TRC20 withdrawal address"), max_length=34, blank=True)
    withdrawal_address_changed_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    # Set when the member opens the signed link sent to `email`; until then no registration
    # bonus, and they do not count as their sponsor's direct referral.
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    # The last change of a sign-in credential, which holds withdrawals back for a while.
    credentials_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    credentials_changed = models.CharField(
        max_length=20, choices=Credential.choices, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(referred_by=models.F("id")), name="user_not_own_sponsor"
            ),
            models.CheckConstraint(
                condition=models.Q(total_invested__gte=0) & models.Q(total_earnings__gte=0),
                name="user_totals_not_negative",
            ),
        ]
        indexes = [GinIndex(fields=["upline_ids"], name="user_upline_ids_gin")]

    def __str__(self) -> str:
        return self.username

    @property
    def display_name(self) -> str:
        """How the member is named to people outside their account (the referral page): the
        first name and the initial of the last, or a masked username. The username itself is
        half of a sign-in, so it is not handed to whoever holds a referral code."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if first:
            return f"{first} {last[0]}." if last else first
        name = self.username
        return f"{name[0]}•••{name[-1]}" if len(name) > 2 else f"{name[:1]}•••"


class SponsorChange(models.Model):
    """Audit row of a staff move in the referral tree (members cannot change their sponsor)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sponsor_changes")
    old_sponsor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_sponsor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    moved_members = models.PositiveIntegerField(_("members moved"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.old_sponsor} → {self.new_sponsor}"
