"""A member's withdrawal address changes through one service, whoever changes it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.models import User
from accounts.services import withdrawal_address_set
from accounts.tests.factories import UserFactory, staff_member, verified_login
from phonix.models import AuditLog

pytestmark = pytest.mark.django_db


def _address() -> str:
    return PrivateKey.random().public_key.to_base58check_address()


@pytest.fixture
def member():
    user = UserFactory(username="mia")
    user.trc20_wallet_address = _address()
    user.withdrawal_address_changed_at = timezone.now() - timedelta(days=30)
    user.save()
    return user


def _address_url(user) -> str:
    return reverse("admin:accounts_user_withdrawal_address", args=[user.pk])


def test_staff_change_restarts_the_cooldown_emails_the_member_and_is_audited(
    member, client, django_capture_on_commit_callbacks
):
    old, new = member.trc20_wallet_address, _address()
    support = staff_member("accounts.change_user", "accounts.view_user", username="sam")
    verified_login(client, support)
    mail.outbox.clear()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_address_url(member), {"address": new, "reason": "member lost their wallet, ticket 77"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.trc20_wallet_address == new and member.withdrawal_address_changed_at >= before
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "staff changed your TRC20 withdrawal address" in mail.outbox[0].body and new in mail.outbox[0].body
    audit = AuditLog.objects.get(action=AuditLog.Action.ADDRESS_CHANGE)
    assert (audit.actor, audit.member, audit.reason) == (support, member, "member lost their wallet, ticket 77")
    assert audit.before == {"address": old} and audit.after["address"] == new


def test_the_member_changing_their_own_address_is_emailed_and_not_in_the_staff_audit_log(
    member, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_address_set(user=member, address=_address())
    assert len(mail.outbox) == 1 and "Your TRC20 withdrawal address was changed" in mail.outbox[0].body
    assert not AuditLog.objects.filter(action=AuditLog.Action.ADDRESS_CHANGE).exists()


@pytest.mark.parametrize("data", [
    {"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdJ", "reason": "bad checksum"},
    {"address": "", "reason": "empty"},
    {"address": "VALID", "reason": ""},
])
def test_a_refused_staff_change_changes_nothing_and_writes_no_row(member, client, data):
    old = member.trc20_wallet_address
    data = {**data, "address": _address() if data["address"] == "VALID" else data["address"]}
    verified_login(client, staff_member("accounts.change_user", "accounts.view_user"))
    mail.outbox.clear()
    response = client.post(_address_url(member), data)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.trc20_wallet_address == old and not mail.outbox
    assert not AuditLog.objects.exists()


def test_the_service_refuses_a_staff_change_without_a_reason(member):
    from phonix.exceptions import PhonixError

    with pytest.raises(PhonixError, match="reason"):
        withdrawal_address_set(user=member, address=_address(), changed_by=staff_member("accounts.change_user"))
    assert User.objects.get(pk=member.pk).withdrawal_address_changed_at < timezone.now() - timedelta(days=29)


def test_the_user_form_in_the_admin_no_longer_edits_the_address(member, client):
    verified_login(client, staff_member("accounts.change_user", "accounts.view_user"))
    page = client.get(reverse("admin:accounts_user_change", args=[member.pk])).content.decode()
    assert 'name="trc20_wallet_address"' not in page and _address_url(member) in page


def test_staff_without_the_change_permission_cannot_change_an_address(member, client):
    old = member.trc20_wallet_address
    verified_login(client, staff_member("accounts.view_user"))
    client.post(_address_url(member), {"address": _address(), "reason": "x"})
    member.refresh_from_db()
    assert member.trc20_wallet_address == old


def test_a_staff_member_who_may_edit_members_cannot_grant_themselves_permissions(client):
    from django.contrib.auth.models import Permission

    support = staff_member("accounts.change_user", "accounts.view_user", username="sue")
    verified_login(client, support)
    url = reverse("admin:accounts_user_change", args=[support.pk])
    form = client.get(url).context["adminform"].form
    assert "user_permissions" not in form.fields and "is_superuser" not in form.fields
    approve = Permission.objects.get(codename="approve_withdrawal")
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(user_permissions=[approve.pk], is_superuser="on", is_staff="on")
    client.post(url, {key: value for key, value in data.items() if value is not None})
    support = User.objects.get(pk=support.pk)
    assert not support.is_superuser and not support.has_perm("wallet.approve_withdrawal")
