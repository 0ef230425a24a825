"""The custody policy: approval threshold, withdrawal limits, fee and minimums, set by staff.

Each change is a new version (a new `CustodyPolicy` row); the newest is in force. Withdrawals
and deposits record the version they were handled under, and every change writes an audit row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from phonix.exceptions import NotPermitted
from phonix.money import round_down

from ..models import CustodyPolicy

if TYPE_CHECKING:
    from accounts.models import User

MANAGE_PERMISSION = "wallet.manage_custody_policy"
POLICY_FIELDS = ("two_approvals_above", "withdrawal_fee_percent", "withdrawal_minimum", "withdrawal_maximum",
                 "daily_maximum", "deposit_minimum")
# Serialises changes, and the creation of the first version when none exists yet.
_FIRST_VERSION_LOCK = 7_301_016


def custody_policy_current() -> CustodyPolicy:
    """The version in force. A database without one (emptied by hand) gets the defaults."""
    policy = CustodyPolicy.objects.order_by("-pk").first()
    if policy is not None:
        return policy
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FIRST_VERSION_LOCK])
        return CustodyPolicy.objects.order_by("-pk").first() or CustodyPolicy.objects.create(
            note="defaults (no version existed)"
        )


@transaction.atomic
def custody_policy_change(*, changed_by: User, note: str = "", **values: Any) -> CustodyPolicy:
    """Write a new version from the current one with `values` changed; audited with both sides."""
    from phonix.audit import version_create_audited
    from phonix.models import AuditLog

    if not (changed_by.is_active and changed_by.is_staff and changed_by.has_perm(MANAGE_PERMISSION)):
        raise NotPermitted(_("Changing the custody policy needs the permission \"Can change the custody policy\"."))
    return version_create_audited(
        model=CustodyPolicy, current=custody_policy_current, fields=POLICY_FIELDS, values=values, note=note,
        actor=changed_by, action=AuditLog.Action.CUSTODY_POLICY_CHANGE,
        target_name="custody_policy", lock_key=_FIRST_VERSION_LOCK,
    )


def withdrawal_fee(*, amount: Decimal, policy: CustodyPolicy) -> Decimal:
    return round_down(amount * policy.withdrawal_fee_percent / 100)
