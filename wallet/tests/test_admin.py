from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import UserFactory
from phonix.models import AuditLog
from wallet.models import LedgerAccount, LedgerTransaction
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only")
    client.force_login(staff)
    # Staff use the admin with a verified second factor, as django-otp records it in the session.
    device = TOTPDevice.objects.create(user=staff, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, staff


def _post_adjustment(client, account, **data):
    url = reverse("admin:wallet_ledgeraccount_changelist")
    return client.post(url, {"action": "adjust_balance", ACTION_CHECKBOX_NAME: [account.pk], **data})


def test_admin_adjustment_posts_through_the_ledger_with_the_reason(staff_client):
    client, staff = staff_client
    account = fund(UserFactory(), "10")

    response = _post_adjustment(client, account, apply="1", amount="-4.5", reason="Duplicate deposit")

    assert response.status_code == 302
    assert LedgerAccount.objects.get(pk=account.pk).balance == Decimal("5.5")
    posted = LedgerTransaction.objects.get(memo="Duplicate deposit")
    assert posted.created_by == staff


def test_admin_adjustment_without_reason_or_beyond_balance_writes_nothing(staff_client):
    client, _staff = staff_client
    account = fund(UserFactory(), "10")
    before = LedgerTransaction.objects.count()

    no_reason = _post_adjustment(client, account, apply="1", amount="1", reason="")
    overdraw = _post_adjustment(client, account, apply="1", amount="-11", reason="too much")

    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    assert overdraw.status_code == 200 and "Insufficient funds" in overdraw.content.decode()
    assert LedgerTransaction.objects.count() == before


def test_ledger_is_read_only_in_the_admin(staff_client):
    client, _staff = staff_client
    posted = fund(UserFactory(), "10").entries.first().transaction
    assert client.get(reverse("admin:wallet_ledgertransaction_change", args=[posted.pk])).status_code == 200
    response = client.post(reverse("admin:wallet_ledgertransaction_delete", args=[posted.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert client.get(reverse("admin:wallet_ledgeraccount_add")).status_code == 403


def test_admin_adjustment_of_a_withdrawal_hold_account_is_refused(staff_client, invariants):
    client, _staff = staff_client
    member = UserFactory()
    main = fund(member, "10")
    hold = LedgerAccount.objects.get(user=member, code="withdrawal_hold")
    before = LedgerTransaction.objects.count()

    response = _post_adjustment(client, hold, apply="1", amount="5", reason="make the hold look right")

    assert response.status_code == 200 and "Only the main and bonus accounts" in response.content.decode()
    assert LedgerTransaction.objects.count() == before and LedgerAccount.objects.get(pk=hold.pk).balance == 0
    assert not AuditLog.objects.filter(action=AuditLog.Action.BALANCE_ADJUST, actor=_staff).exists()
    # main and bonus may be adjusted, and each adjustment names its staff member in the audit log
    _post_adjustment(client, main, apply="1", amount="1", reason="goodwill")
    assert AuditLog.objects.get(action=AuditLog.Action.BALANCE_ADJUST, actor=_staff).member == member


def test_a_staff_member_without_the_adjust_permission_gets_no_adjust_action(client):
    from accounts.tests.factories import staff_member, verified_login

    clerk = staff_member("wallet.view_ledgeraccount")
    verified_login(client, clerk)
    account = fund(UserFactory(), "10")
    page = client.get(reverse("admin:wallet_ledgeraccount_changelist"))
    assert page.status_code == 200 and "adjust_balance" not in page.content.decode()
    _post_adjustment(client, account, apply="1", amount="5", reason="x")
    assert LedgerAccount.objects.get(pk=account.pk).balance == 10
