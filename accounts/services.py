"""Writes to members and to the referral tree (the only module that changes the tree)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import UserManager
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from phonix.exceptions import NotFound, PhonixError

from . import signals
from .codes import referral_code_new
from .models import Credential, SponsorChange, User

# Serialises staff moves of the tree against each other (registrations never take it).
_TREE_MOVE_LOCK = 7_301_003
_NEXT_ID = "nextval(pg_get_serial_sequence('accounts_user', 'id'))"


class SponsorChangeRefused(PhonixError):
    """A sponsor change that would break the tree (a cycle, or no change at all)."""


@transaction.atomic(savepoint=False)
def user_create(*, username: str, email: str, password: str | None, sponsor: User | None = None,
                email_confirmed: bool = True, **extra) -> User:
    """Create a member under `sponsor`, keeping upline_ids, depth and the sponsor's count right.

    The sponsor's row is locked by the count update, which also hands back its current upline
    (so a concurrent staff move of the sponsor cannot leave the new member with a stale one)
    and the new member's id, from which the referral code follows. A member who still has to
    confirm their e-mail (sign-up) is counted by `email_confirm`, not here.
    """
    with connection.cursor() as cursor:
        if sponsor is None:
            cursor.execute(f"SELECT {_NEXT_ID}")
            (user_id,) = cursor.fetchone()
            upline_ids, depth = [], 0
        else:
            cursor.execute(
                f"""
                UPDATE accounts_user SET direct_referrals_count = direct_referrals_count + %s
                WHERE id = %s RETURNING upline_ids, depth, direct_referrals_count, {_NEXT_ID}
                """,
                [int(email_confirmed), sponsor.pk],
            )
            row = cursor.fetchone()
            if row is None:
                raise NotFound(_("The sponsor does not exist."))
            sponsor_upline, sponsor_depth, sponsor.direct_referrals_count, user_id = row
            upline_ids, depth = [sponsor.pk, *sponsor_upline], sponsor_depth + 1
    user = User(
        id=user_id, username=User.normalize_username(username),
        email=UserManager.normalize_email(email), referred_by=sponsor, upline_ids=upline_ids,
        depth=depth, email_confirmed_at=timezone.now() if email_confirmed else None, **extra,
    )
    user.set_password(password) if password else user.set_unusable_password()
    _insert_with_new_code(user)
    team_stats_forget(member_ids=upline_ids)
    return user


def _insert_with_new_code(user: User, *, attempts: int = 3) -> None:
    """Insert `user` with a random referral code, drawing again on the (very rare) clash."""
    for attempt in range(attempts):
        user.referral_code = referral_code_new()
        try:
            with transaction.atomic():
                user.save(force_insert=True)
            return
        except IntegrityError as error:
            if attempt == attempts - 1 or "referral_code" not in str(error):
                raise


def team_stats_forget(*, member_ids: Sequence[int]) -> None:
    """Drop the cached team counts of these members once the tree change is committed."""
    from django.core.cache import cache

    from .selectors import team_stats_cache_key

    keys = [team_stats_cache_key(pk) for pk in member_ids]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def registration_bonus_amount() -> Decimal:
    return settings.REGISTRATION_BONUS


@transaction.atomic(savepoint=False)
def user_register(*, username: str, email: str, password: str, sponsor: User | None = None,
                  site_url: str) -> User:
    """A member joins: placed in the tree and sent the link that confirms their e-mail, which
    credits the registration bonus and counts them as their sponsor's direct referral."""
    user = user_create(username=username, email=email, password=password, sponsor=sponsor,
                       email_confirmed=False)
    email_link_queue(user=user, address=user.email, site_url=site_url)
    return user


def email_link_queue(*, user: User, address: str, site_url: str) -> None:
    """Mail the link that confirms `address` once the current transaction commits."""
    signals.email_link_requested.send(sender=User, user_id=user.pk, address=address, site_url=site_url)


def welcome_email_send(*, user_id: int) -> bool:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    context = {"user": user, "bonus": registration_bonus_amount()}
    send_mail(
        subject=render_to_string("accounts/email/welcome_subject.txt", context).strip(),
        message=render_to_string("accounts/email/welcome.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


def referral_code_issue(*, user: User) -> str:
    """Give a code to a member created outside registration (createsuperuser, the admin)."""
    if not user.referral_code:
        code = referral_code_new()
        User.objects.filter(pk=user.pk, referral_code__isnull=True).update(referral_code=code)
        issued = User.objects.values_list("referral_code", flat=True).get(pk=user.pk)
        assert issued is not None  # set just now, by this call or by one at the same time
        user.referral_code = issued
    return user.referral_code


@transaction.atomic
def user_sponsor_change(*, user: User, new_sponsor: User | None, changed_by: User | None,
                        reason: str) -> SponsorChange:
    """Staff move a member (and their whole downline) under another sponsor, audited.

    Refuses a move that would make a cycle. Keeps upline_ids and depth of the whole moved
    subtree, both sponsors' direct_referrals_count and referred_by correct, in set-based SQL.
    """
    reason = (reason or "").strip()
    if not reason:
        raise SponsorChangeRefused(_("A sponsor change needs a reason."))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TREE_MOVE_LOCK])
        subtree = _subtree_lock(cursor, user.pk, new_sponsor.pk if new_sponsor else None)
        cursor.execute("SELECT referred_by_id, depth, upline_ids FROM accounts_user WHERE id = %s", [user.pk])
        old_sponsor_id, old_depth, old_upline = cursor.fetchone()
        new_upline, new_depth = [], 0
        if new_sponsor is not None:
            if new_sponsor.pk == user.pk or new_sponsor.pk in subtree:
                raise SponsorChangeRefused(
                    _("%(sponsor)s is in the downline of %(user)s: that would make a cycle.")
                    % {"sponsor": new_sponsor, "user": user}
                )
            cursor.execute("SELECT upline_ids, depth FROM accounts_user WHERE id = %s", [new_sponsor.pk])
            sponsor_upline, sponsor_depth = cursor.fetchone()
            new_upline, new_depth = [new_sponsor.pk, *sponsor_upline], sponsor_depth + 1
        new_sponsor_id = new_sponsor.pk if new_sponsor else None
        if new_sponsor_id == old_sponsor_id:
            raise SponsorChangeRefused(_("%(user)s already has that sponsor.") % {"user": user})
        # A row at level L below the member keeps its L nearest ancestors (the member last)
        # and takes the member's new upline after them.
        cursor.execute(
            """
            UPDATE accounts_user
            SET upline_ids = upline_ids[1:depth - %(old)s] || %(upline)s::bigint[],
                depth = depth - %(old)s + %(new)s,
                referred_by_id = CASE WHEN id = %(user)s THEN %(sponsor)s ELSE referred_by_id END
            WHERE id = %(user)s OR upline_ids @> ARRAY[%(user)s]::bigint[]
            """,
            {"old": old_depth, "new": new_depth, "upline": new_upline, "user": user.pk,
             "sponsor": new_sponsor_id},
        )
        # Only a member whose e-mail is confirmed counts as a direct referral.
        cursor.execute(
            """
            UPDATE accounts_user SET direct_referrals_count = direct_referrals_count
                + CASE WHEN id = %s THEN 1 ELSE -1 END
            WHERE id IN (%s, %s)
              AND EXISTS (SELECT 1 FROM accounts_user m WHERE m.id = %s AND m.email_confirmed_at IS NOT NULL)
            """,
            [new_sponsor_id, new_sponsor_id, old_sponsor_id, user.pk],
        )
    # The moved subtree's volume leaves the old upline and joins the new one (ranks/receivers.py).
    signals.sponsor_changed.send(sender=User, member_id=user.pk, old_upline_ids=old_upline,
                                 new_upline_ids=new_upline)
    team_stats_forget(member_ids=[*old_upline, *new_upline])
    change = SponsorChange.objects.create(
        user=user, old_sponsor_id=old_sponsor_id, new_sponsor=new_sponsor, changed_by=changed_by,
        reason=reason[:500], moved_members=len(subtree) + 1,
    )
    from phonix.audit import audit_record
    from phonix.models import AuditLog

    audit_record(
        actor_id=changed_by.pk if changed_by else None, action=AuditLog.Action.SPONSOR_CHANGE, member_id=user.pk,
        target=f"sponsor_change:{change.pk}", reason=change.reason,
        before={"sponsor": old_sponsor_id, "upline": old_upline[:20]},
        after={"sponsor": new_sponsor_id, "upline": new_upline[:20], "moved_members": change.moved_members},
    )
    user.refresh_from_db()
    return change


def _subtree_lock(cursor, user_id: int, new_sponsor_id: int | None) -> set[int]:
    """Lock the member, their whole downline and the new sponsor; return the downline ids.

    Repeated until no new row appears: a registration that already held a downline member's
    row when we started commits before we get that lock, and its new member shows up in the
    next round; once every row is locked, nobody can register under them until we commit.
    """
    locked: set[int] = set()
    downline: set[int] = set()
    while True:
        cursor.execute(
            """
            SELECT id, upline_ids @> ARRAY[%s]::bigint[] FROM accounts_user
            WHERE id = %s OR id = %s OR upline_ids @> ARRAY[%s]::bigint[]
            ORDER BY id FOR UPDATE
            """,
            [user_id, user_id, new_sponsor_id, user_id],
        )
        rows = cursor.fetchall()
        downline |= {pk for pk, below in rows if below}
        found = {pk for pk, _below in rows}
        if found <= locked:
            return downline
        locked |= found


@transaction.atomic
def withdrawal_address_set(*, user: User, address: str, changed_by: User | None = None, reason: str = "") -> User:
    """Save a validated TRC20 address: the withdrawal cooldown starts again and the member is
    e-mailed. Members and staff both come here; a change by staff is audited with its reason."""
    from phonix.audit import audit_record
    from phonix.models import AuditLog

    old = User.objects.select_for_update().values_list("trc20_wallet_address", flat=True).get(pk=user.pk)
    if address == old:
        return user
    staff_id = changed_by.pk if changed_by is not None and changed_by.pk != user.pk else None
    by_staff = staff_id is not None
    reason = (reason or "").strip()
    if by_staff and not reason:
        raise PhonixError(_("A change of a member's withdrawal address needs a reason."))
    user.trc20_wallet_address = address
    user.withdrawal_address_changed_at = timezone.now()
    user.save(update_fields=["trc20_wallet_address", "withdrawal_address_changed_at"])
    if staff_id is not None:
        audit_record(
            actor_id=staff_id, action=AuditLog.Action.ADDRESS_CHANGE, member_id=user.pk,
            target=f"user:{user.pk}", before={"address": old}, reason=reason,
            after={"address": address, "cooldown_from": user.withdrawal_address_changed_at.isoformat()},
        )
    signals.withdrawal_address_changed.send(sender=User, user_id=user.pk, by_staff=by_staff)
    return user


def withdrawal_address_changed_email(*, user_id: int, by_staff: bool) -> bool:
    """Tell the member their withdrawal address changed, so that a change they did not make is
    noticed while the cooldown still holds withdrawals back."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from .selectors import withdrawal_cooldown_until

    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    context = {"user": user, "by_staff": by_staff, "until": withdrawal_cooldown_until(user=user)}
    send_mail(
        subject=render_to_string("accounts/email/withdrawal_address_changed_subject.txt", context).strip(),
        message=render_to_string("accounts/email/withdrawal_address_changed.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


def user_profile_update(*, user: User, first_name: str, last_name: str) -> User:
    """Names only: the e-mail address changes through `email_address.email_change_request`."""
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    return user


def credentials_change_record(*, user: User, credential: str) -> None:
    """A password, e-mail address or second factor changed: withdrawals wait
    WITHDRAWAL_HOLD_AFTER_CREDENTIAL_CHANGE from now (see selectors.credentials_hold)."""
    from phonix.notifications import notify

    user.credentials_changed_at, user.credentials_changed = timezone.now(), credential
    User.objects.filter(pk=user.pk).update(
        credentials_changed_at=user.credentials_changed_at, credentials_changed=credential
    )
    notify(user_id=user.pk, kind="credentials_changed", params={"credential": credential})


# Two-factor authentication -------------------------------------------------------------------

RECOVERY_CODES = 10


@transaction.atomic
def two_factor_begin(*, user: User):
    """Start TOTP enrolment: a fresh unconfirmed device (any earlier unconfirmed one is dropped)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def two_factor_confirm(*, user: User, device_id: int, token: str):
    """Confirm enrolment with a code from the app; returns (device, recovery codes) or None."""
    from django_otp import verify_token
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()
    if device is None:
        return None
    _two_factor_throttle_check(device)
    if verify_token(user, device.persistent_id, token) is None:
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    credentials_change_record(user=user, credential=Credential.TWO_FACTOR)
    device.refresh_from_db()
    return device, recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """A new set of single-use recovery codes; the old ones stop working."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    credentials_change_record(user=user, credential=Credential.TWO_FACTOR)
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


class TwoFactorThrottled(PhonixError):
    """Wrong codes came too fast: django-otp makes the member wait before the next try."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(ngettext(
            "Too many wrong codes. Please wait %(seconds)d second and try again.",
            "Too many wrong codes. Please wait %(seconds)d seconds and try again.", seconds,
        ) % {"seconds": seconds})


def two_factor_verify(*, user: User, token: str):
    """The confirmed device (TOTP or a recovery code) that accepts `token`, or None.

    A 6-digit code goes to the authenticator only and anything else to the recovery codes only,
    so wrong authenticator codes (which slow that device down) never lock out the recovery
    codes a member falls back on. Raises TwoFactorThrottled while the device is slowed down.
    Devices are locked while checking, so a TOTP code is accepted once (django-otp remembers
    the last time step used) and a recovery code is used up.
    """
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    token = (token or "").strip().replace(" ", "")
    if not token or len(token) > 16:
        return None
    model = TOTPDevice if re.fullmatch(r"[0-9]{6}", token) else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            _two_factor_throttle_check(device)
            if device.verify_token(token):
                return device
    return None


def _two_factor_throttle_check(device) -> None:
    allowed, details = device.verify_is_allowed()
    if not allowed and details and details.get("locked_until"):
        wait = (details["locked_until"] - timezone.now()).total_seconds()
        raise TwoFactorThrottled(seconds=max(1, math.ceil(wait)))


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    credentials_change_record(user=user, credential=Credential.TWO_FACTOR)


class TwoFactorResetRefused(PhonixError):
    """A staff reset of a member's two-factor authentication that cannot be done."""


@transaction.atomic
def two_factor_reset(*, member: User, actor: User, reason: str) -> None:
    """Staff remove a member's authenticator and recovery codes (a lost phone), audited, and the
    member is told by e-mail. The only thing staff can do to a member's second factor."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from phonix.audit import audit_record
    from phonix.models import AuditLog

    from .selectors import recovery_codes_left, two_factor_enabled

    reason = (reason or "").strip()
    if not reason:
        raise TwoFactorResetRefused(_("A reset needs a reason."))
    User.objects.select_for_update().filter(pk=member.pk).first()
    before = {"authenticator": two_factor_enabled(user=member), "recovery_codes_left": recovery_codes_left(user=member)}
    if not before["authenticator"] and not before["recovery_codes_left"]:
        raise TwoFactorResetRefused(_("%(user)s has no two-factor authentication to reset.") % {"user": member})
    TOTPDevice.objects.filter(user=member).delete()
    StaticDevice.objects.filter(user=member).delete()
    credentials_change_record(user=member, credential=Credential.TWO_FACTOR)
    audit_record(
        actor_id=actor.pk, member_id=member.pk, action=AuditLog.Action.TWO_FACTOR_RESET,
        target=f"user:{member.pk}", before=before, after={"authenticator": False, "recovery_codes_left": 0},
        reason=reason,
    )
    signals.two_factor_reset_done.send(sender=User, user_id=member.pk)


def two_factor_reset_email_send(*, user_id: int) -> bool:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    context = {"user": user}
    send_mail(
        subject=render_to_string("accounts/email/two_factor_reset_subject.txt", context).strip(),
        message=render_to_string("accounts/email/two_factor_reset.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
