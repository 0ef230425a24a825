"""Who may approve and reject withdrawals, the reason a member is given, and the audit rows."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import staff_member, verified_login
from phonix.exceptions import NotPermitted, WithdrawalRefused
from phonix.models import AuditLog
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_reject, withdrawal_request
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, Withdrawal

from .factories import fund, policy_set, withdrawing_member

PASSWORD = "correct-horse-battery"
APPROVER = "wallet.approve_withdrawal"

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return withdrawing_member(200)


def _request(user, amount="100") -> Withdrawal:
    return withdrawal_request(user=user, amount=amount, password=PASSWORD, token=str(uuid.uuid4()))


def _hold(user) -> Decimal:
    return member_account(user_id=user.pk, code=AccountCode.WITHDRAWAL_HOLD).balance


def test_a_staff_account_without_the_permission_cannot_give_the_second_approval(member, invariants):
    policy_set(two_approvals_above=Decimal("50"))
    withdrawal = _request(member, "100")
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff_member(APPROVER))
    with pytest.raises(NotPermitted, match="Can approve withdrawals"):
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff_member())
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING and withdrawal.approvals.count() == 1
    assert AuditLog.objects.filter(action=AuditLog.Action.WITHDRAWAL_APPROVE).count() == 1


def test_a_staff_account_without_the_permission_cannot_reject(member, invariants):
    withdrawal = _request(member)
    with pytest.raises(NotPermitted):
        withdrawal_reject(withdrawal_id=withdrawal.pk, staff=staff_member(), reason="no")
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING and _hold(member) == 100
    assert not AuditLog.objects.filter(action=AuditLog.Action.WITHDRAWAL_REJECT).exists()


def test_an_inactive_approver_cannot_approve(member):
    withdrawal = _request(member)
    with pytest.raises(NotPermitted):
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=staff_member(APPROVER, is_active=False))


def test_each_approval_writes_an_audit_row_naming_the_staff_member(member):
    policy_set(two_approvals_above=Decimal("50"))
    withdrawal = _request(member, "100")
    first, second = staff_member(APPROVER), staff_member(APPROVER)
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=first)
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=first)  # counted once, audited once
    withdrawal_approve(withdrawal_id=withdrawal.pk, staff=second)
    rows = list(AuditLog.objects.filter(action=AuditLog.Action.WITHDRAWAL_APPROVE).order_by("id"))
    assert [(r.actor, r.member, r.target) for r in rows] == [
        (first, member, f"withdrawal:{withdrawal.pk}"), (second, member, f"withdrawal:{withdrawal.pk}")
    ]
    assert rows[0].before == {"status": "pending", "approvals": 0}
    assert rows[1].after["status"] == "approved" and rows[1].after["approvals"] == 2


def test_a_refused_approval_writes_no_audit_row(member):
    approver = staff_member(APPROVER)
    approver.trc20_wallet_address = member.trc20_wallet_address
    approver.withdrawal_address_changed_at = member.withdrawal_address_changed_at
    approver.save()
    fund(approver, 100)
    own = _request(approver, "50")
    with pytest.raises(WithdrawalRefused, match="own withdrawal"):
        withdrawal_approve(withdrawal_id=own.pk, staff=approver)
    assert not AuditLog.objects.exclude(action=AuditLog.Action.BALANCE_ADJUST).exists()


def test_rejecting_needs_a_reason(member, invariants):
    withdrawal = _request(member)
    with pytest.raises(WithdrawalRefused, match="reason"):
        withdrawal_reject(withdrawal_id=withdrawal.pk, staff=staff_member(APPROVER), reason="  ")
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING and _hold(member) == 100
    assert not AuditLog.objects.exclude(action=AuditLog.Action.BALANCE_ADJUST).exists()


def test_the_member_sees_the_rejection_reason_on_the_withdrawal_and_in_the_email(
    member, client, django_capture_on_commit_callbacks, invariants
):
    withdrawal = _request(member)
    staff = staff_member(APPROVER)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_reject(withdrawal_id=withdrawal.pk, staff=staff, reason="The address belongs to an exchange "
                          "that does not credit TRC20 deposits.")
    assert "does not credit TRC20 deposits" in mail.outbox[-1].body
    client.force_login(member)
    page = client.get(reverse("wallet:withdraw")).content.decode()
    assert "does not credit TRC20 deposits" in page
    audit = AuditLog.objects.get(action=AuditLog.Action.WITHDRAWAL_REJECT)
    assert audit.actor == staff and audit.member == member and audit.reason.startswith("The address belongs")
    assert audit.before == {"status": "pending"} and audit.after == {"status": "rejected", "returned": "100.000000"}


def test_the_admin_offers_approve_and_reject_only_with_the_permission(member, client):
    withdrawal = _request(member)
    clerk = staff_member("wallet.view_withdrawal")
    verified_login(client, clerk)
    url = reverse("admin:wallet_withdrawal_changelist")
    page = client.get(url).content.decode()
    assert page.count('value="approve"') == 0 and 'value="reject"' not in page
    client.post(url, {"action": "approve", "_selected_action": [withdrawal.pk]})
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING

    approver = staff_member(APPROVER, "wallet.view_withdrawal")
    verified_login(client, approver)
    page = client.get(url).content.decode()
    assert 'value="approve"' in page and 'value="reject"' in page
    client.post(url, {"action": "reject", "_selected_action": [withdrawal.pk], "apply": "1", "reason": ""})
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING  # no reason, no rejection
    client.post(url, {"action": "reject", "_selected_action": [withdrawal.pk], "apply": "1", "reason": "KYC failed"})
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.REJECTED and withdrawal.failure_reason == "KYC failed"
