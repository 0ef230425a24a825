"""A member's e-mail address: confirmed by a signed, expiring link, changed the same way.

The link carries the member's id, the address on the account when it was sent and the address
it confirms (the same one, or the new one of a change), signed with the secret key. So a link
stops working once the account's address changes, and a change takes effect only when the new
mailbox answers. The first confirmation credits the registration bonus and counts the member as
their sponsor's direct referral.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import UserManager
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from phonix.exceptions import PhonixError

from . import signals
from .models import Credential, User
from .services import credentials_change_record, email_link_queue, team_stats_forget

_SALT = "accounts.email-address"


class EmailLinkInvalid(PhonixError):
    """A confirmation link that is forged, expired, or for an address no longer on the account."""


class EmailChangeRefused(PhonixError):
    """A change of address refused (wrong password, address taken, no change, too many links)."""


@dataclass(frozen=True)
class Confirmed:
    user: User
    first_time: bool  # the bonus was credited and the sponsor's count went up
    changed_from: str  # the previous address when this was a change, else ""


def email_link_token(*, user: User, address: str) -> str:
    return signing.dumps({"u": user.pk, "from": user.email.lower(), "to": address}, salt=_SALT, compress=True)


def email_link_url(*, user: User, address: str, site_url: str) -> str:
    path = reverse("accounts:email_confirm", args=[email_link_token(user=user, address=address)])
    return site_url.rstrip("/") + path


def email_link_send(*, user_id: int, address: str, site_url: str) -> bool:
    """Mail the confirmation link for `address` (the account's own, or the new one of a change)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    user = User.objects.filter(pk=user_id).first()
    if user is None or not address:
        return False
    context = {
        "user": user, "change": address.lower() != user.email.lower(),
        "url": email_link_url(user=user, address=address, site_url=site_url),
        "hours": settings.EMAIL_LINK_MAX_AGE // 3600,
    }
    send_mail(
        subject=render_to_string("accounts/email/confirm_subject.txt", context).strip(),
        message=render_to_string("accounts/email/confirm.txt", context),
        from_email=None, recipient_list=[address],
    )
    return True


def _sends_allowed(*, user: User) -> bool:
    """At most EMAIL_LINK_SENDS_PER_HOUR links a member, counted in the (Redis) cache."""
    key = f"email-link-sends:{user.pk}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) <= settings.EMAIL_LINK_SENDS_PER_HOUR


def email_confirmation_resend(*, user: User, site_url: str) -> None:
    if user.email_confirmed_at is not None:
        raise EmailChangeRefused(_("Your e-mail address is already confirmed."))
    if not _sends_allowed(user=user):
        raise EmailChangeRefused(_("Too many e-mails were sent in the last hour. Try again later."))
    email_link_queue(user=user, address=user.email, site_url=site_url)


def email_change_request(*, user: User, password: str, address: str, site_url: str) -> str:
    """Send a link to the new address; the account keeps its address until the link is opened."""
    address = UserManager.normalize_email(address or "").strip()
    if not user.check_password(password or ""):
        raise EmailChangeRefused(_("The password is not correct."))
    if address.lower() == user.email.lower():
        raise EmailChangeRefused(_("That is already your e-mail address."))
    if User.objects.filter(email__iexact=address).exclude(pk=user.pk).exists():
        raise EmailChangeRefused(_("Another account uses that e-mail address."))
    if not _sends_allowed(user=user):
        raise EmailChangeRefused(_("Too many e-mails were sent in the last hour. Try again later."))
    email_link_queue(user=user, address=address, site_url=site_url)
    return address


@transaction.atomic
def email_confirm(*, token: str) -> Confirmed:
    """Open a confirmation link: confirm the address (crediting the bonus and counting the member
    for their sponsor the first time), or complete a change of address."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_LINK_MAX_AGE)
        user_id, sent_to, address = int(payload["u"]), str(payload["from"]), str(payload["to"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise EmailLinkInvalid(_("This link is not valid or has expired. Ask for a new one.")) from None
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or user.email.lower() != sent_to:
        raise EmailLinkInvalid(_("This link is for an address that is no longer on the account."))
    changed_from = ""
    if address.lower() != user.email.lower():
        changed_from, user.email = user.email, address
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:
            raise EmailLinkInvalid(_("Another account uses that e-mail address now.")) from None
        credentials_change_record(user=user, credential=Credential.EMAIL)
        signals.email_changed.send(sender=User, user_id=user.pk, old_address=changed_from)
    first_time = user.email_confirmed_at is None
    if first_time:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
        if user.referred_by_id:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE accounts_user SET direct_referrals_count = direct_referrals_count + 1 WHERE id = %s",
                    [user.referred_by_id],
                )
            team_stats_forget(member_ids=user.upline_ids)
        signals.email_confirmed.send(sender=User, user=user)  # the bonus (wallet), the welcome e-mail
    return Confirmed(user=user, first_time=first_time, changed_from=changed_from)


def email_changed_notice(*, user_id: int, old_address: str) -> bool:
    """Tell the old address that the account's address changed, so an owner who did not ask
    for it notices while withdrawals are still held back."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from .selectors import credentials_hold

    user = User.objects.filter(pk=user_id).first()
    if user is None or not old_address:
        return False
    context = {"user": user, "hold": credentials_hold(user=user)}
    send_mail(
        subject=render_to_string("accounts/email/email_changed_subject.txt", context).strip(),
        message=render_to_string("accounts/email/email_changed.txt", context),
        from_email=None, recipient_list=[old_address],
    )
    return True
