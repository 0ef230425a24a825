from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Announcement(models.Model):
    """News staff write in the admin; members read it on the dashboard and the announcements page.

    The body is plain text: blank lines make paragraphs and addresses become links when shown, so
    no HTML a staff member types ever reaches a page as markup.
    """

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        INVESTORS = "investors", _("Active investors")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Plain text. A blank line starts a new paragraph; "
                                                  "web addresses become links."))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True,
                                help_text=_("Shown to members reading in Chinese; empty: the English title."))
    body_zh = models.TextField(_("body (Chinese)"), blank=True,
                               help_text=_("Shown to members reading in Chinese; empty: the English body."))
    publish_from = models.DateTimeField(_("publish from"), default=timezone.now)
    publish_until = models.DateTimeField(_("publish until"), null=True, blank=True,
                                         help_text=_("Empty: shown until it is removed."))
    pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Pinned announcements come first."))
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pinned", "-publish_from", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(publish_until__isnull=True) | models.Q(publish_until__gt=models.F("publish_from")),
                name="announcement_window_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["-publish_from"], name="announcement_recent")]

    def __str__(self) -> str:
        return self.title

    def title_in(self, language: str) -> str:
        return self.title_zh if language.startswith("zh") and self.title_zh else self.title

    def body_in(self, language: str) -> str:
        return self.body_zh if language.startswith("zh") and self.body_zh else self.body


class AnnouncementRead(models.Model):
    """A member has read an announcement (opening the announcements page reads what it shows)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "announcement"], name="announcement_read_once")]

    def __str__(self) -> str:
        return f"{self.announcement_id} read by {self.user_id}"


class Notification(models.Model):
    """Something that happened to a member, stored as its kind and parameters.

    The text is written at display time in the reader's language (dashboard/texts.py), so a
    notification made by a payout run reads in Chinese for a member who reads Chinese.
    """

    class Kind(models.TextChoices):
        DEPOSIT_SEEN = "deposit_seen", _("Deposit seen")
        DEPOSIT_CREDITED = "deposit_credited", _("Deposit credited")
        WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Withdrawal requested")
        WITHDRAWAL_APPROVED = "withdrawal_approved", _("Withdrawal approved")
        WITHDRAWAL_REJECTED = "withdrawal_rejected", _("Withdrawal rejected")
        WITHDRAWAL_COMPLETED = "withdrawal_completed", _("Withdrawal completed")
        WITHDRAWAL_FAILED = "withdrawal_failed", _("Withdrawal failed")
        GENERATION_INCOME = "generation_income", _("Generation income")
        WEEKLY_BONUS = "weekly_bonus", _("Weekly bonus")
        RANK_ACHIEVED = "rank_achieved", _("Rank achieved")
        SUBSCRIPTION_COMPLETED = "subscription_completed", _("Subscription completed")
        CREDENTIALS_CHANGED = "credentials_changed", _("Security change")
        MINING_SESSION_COMPLETED = "mining_session_completed", _("Mining session completed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             db_index=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    # The business cause (`withdrawal:<id>:approved`, `generation:<user>:<date>`): an event notifies
    # once however often the code that saw it runs. Empty for events that may repeat.
    key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(db_default=Now())
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_recent"),
            # The navbar counts unread rows on every page: a small partial index answers it.
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_user_unread"),
            # Pruning reads old rows by time; rows arrive in time order, so a tiny BRIN index
            # serves it without slowing the 100,000-row inserts of a payout run.
            BrinIndex(fields=["created_at"], name="notification_created_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class EmailPreference(models.Model):
    """Which optional e-mails a member gets. No row: the defaults. Security e-mails are not optional."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="email_preference")
    deposits = models.BooleanField(_("e-mail me when a deposit is credited"), default=True)
    withdrawals = models.BooleanField(_("e-mail me when a withdrawal changes status"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")

    def __str__(self) -> str:
        return str(self.user_id)
