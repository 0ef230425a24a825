"""The custody policy: versions, limits at request time, fee and minimums, who may change it."""

import importlib
import uuid
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory, staff_member, verified_login
from phonix.exceptions import NotPermitted, WithdrawalRefused
from phonix.models import AuditLog
from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan
from wallet.custody.policy import custody_policy_change, custody_policy_current
from wallet.custody.withdrawals import withdrawal_reject, withdrawal_request
from wallet.models import CustodyPolicy, Deposit, Withdrawal

from .conftest import as_owner
from .custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401
from .factories import policy_set, withdrawing_member

PASSWORD = "correct-horse-battery"
MANAGER = "wallet.manage_custody_policy"

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return withdrawing_member(1000)


def _request(user, amount) -> Withdrawal:
    return withdrawal_request(user=user, amount=amount, password=PASSWORD, token=str(uuid.uuid4()))


class TestFirstVersion:
    def test_the_migration_made_a_first_version_from_the_settings_defaults(self):
        first = CustodyPolicy.objects.order_by("pk").first()
        assert (first.withdrawal_fee_percent, first.withdrawal_minimum, first.deposit_minimum) == (5, 10, 1)
        assert first.withdrawal_maximum is None and first.daily_maximum is None

    @as_owner  # migrations run as the owner role
    def test_the_migration_takes_the_values_the_environment_had(self, monkeypatch):
        from django.apps import apps
        from django.db import connections

        migration = importlib.import_module("wallet.migrations.0006_custody_policy_versions")
        monkeypatch.setenv("WITHDRAWAL_FEE_PERCENT", "3.5")
        monkeypatch.setenv("WITHDRAWAL_MINIMUM", "20")
        monkeypatch.setenv("DEPOSIT_MINIMUM", "2")
        CustodyPolicy.objects.all().delete()
        with connections["owner"].schema_editor() as editor:
            migration.first_version_from_settings(apps, editor)
        policy = custody_policy_current()
        assert (policy.withdrawal_fee_percent, policy.withdrawal_minimum, policy.deposit_minimum) == (
            Decimal("3.5"), 20, 2
        )
        assert policy_set(note="next").pk == policy.pk + 1  # the id sequence follows the rows


class TestLimitsAtRequestTime:
    def test_the_fee_and_the_version_come_from_the_policy_in_force(self, member, invariants):
        version = policy_set(withdrawal_fee_percent=Decimal("2.5"))
        withdrawal = _request(member, "100")
        assert (withdrawal.fee, withdrawal.net_amount, withdrawal.policy) == (Decimal("2.5"), Decimal("97.5"), version)

    def test_above_the_maximum_per_withdrawal_is_refused(self, member, invariants):
        policy_set(withdrawal_maximum=Decimal("500"))
        with pytest.raises(WithdrawalRefused, match=r"maximum for one withdrawal is 500\.00 USDT"):
            _request(member, "500.000001")
        assert not Withdrawal.objects.exists()
        assert _request(member, "500").amount == 500

    def test_the_daily_maximum_counts_todays_requests_in_utc(self, member, invariants):
        policy_set(daily_maximum=Decimal("150"))
        yesterday = _request(member, "150")
        midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        Withdrawal.objects.filter(pk=yesterday.pk).update(created_at=midnight - timedelta(seconds=1))
        _request(member, "100")
        with pytest.raises(WithdrawalRefused, match=r"at most 150\.00 USDT per day \(UTC\); 50\.00 USDT is left"):
            _request(member, "60")
        assert _request(member, "50").amount == 50
        with pytest.raises(WithdrawalRefused, match=r"0\.00 USDT is left"):
            _request(member, "10")

    def test_a_rejected_withdrawal_does_not_count_toward_the_day(self, member, invariants):
        policy_set(daily_maximum=Decimal("150"))
        first = _request(member, "150")
        withdrawal_reject(withdrawal_id=first.pk, staff=staff_member("wallet.approve_withdrawal"), reason="typo")
        assert _request(member, "150").amount == 150

    def test_below_the_minimum_of_the_policy_is_refused(self, member):
        policy_set(withdrawal_minimum=Decimal("10.005"))
        with pytest.raises(WithdrawalRefused, match=r"minimum withdrawal is 10\.005 USDT"):
            _request(member, "10.004")

    def test_the_withdraw_page_shows_the_limits(self, member, client):
        policy_set(withdrawal_maximum=Decimal("500"), daily_maximum=Decimal("800"), withdrawal_fee_percent=3)
        client.force_login(member)
        page = client.get(reverse("wallet:withdraw")).content.decode()
        assert "Maximum 500.00 USDT per withdrawal" in page and "At most 800.00 USDT a day (UTC)" in page
        assert "Fee (3 %)" in page


class TestChanging:
    def test_a_change_is_a_new_version_with_an_audit_row(self, member):
        before = custody_policy_current()
        old = _request(member, "100")
        manager = staff_member(MANAGER)
        version = custody_policy_change(changed_by=manager, withdrawal_maximum=Decimal("300"), note="fraud wave")
        assert version.pk > before.pk and custody_policy_current() == version
        assert version.two_approvals_above == before.two_approvals_above and version.created_by == manager
        old.refresh_from_db()
        assert old.policy == before  # handled under the version in force then
        audit = AuditLog.objects.get(action=AuditLog.Action.CUSTODY_POLICY_CHANGE)
        assert audit.actor == manager and audit.reason == "fraud wave"
        assert audit.before["withdrawal_maximum"] is None and audit.after["withdrawal_maximum"] == "300"
        assert (audit.before["version"], audit.after["version"]) == (before.pk, version.pk)

    def test_it_needs_its_own_permission(self):
        count = CustodyPolicy.objects.count()
        for someone in (staff_member(), staff_member("wallet.approve_withdrawal", "wallet.adjust_balance")):
            with pytest.raises(NotPermitted, match="Can change the custody policy"):
                custody_policy_change(changed_by=someone, two_approvals_above=Decimal("1"))
        assert CustodyPolicy.objects.count() == count and not AuditLog.objects.exists()

    def test_an_invalid_change_writes_nothing(self):
        count = CustodyPolicy.objects.count()
        with pytest.raises(ValidationError):
            custody_policy_change(changed_by=staff_member(MANAGER), withdrawal_minimum=Decimal("0"))
        with pytest.raises(ValidationError):
            custody_policy_change(changed_by=staff_member(MANAGER), withdrawal_maximum=Decimal("5"))  # below minimum
        assert CustodyPolicy.objects.count() == count and not AuditLog.objects.exists()

    def test_in_the_admin_saving_writes_a_new_version_and_only_with_the_permission(self, client):
        current = custody_policy_current()
        url = reverse("admin:wallet_custodypolicy_change", args=[current.pk])
        data = {"two_approvals_above": "2000", "withdrawal_fee_percent": "4", "withdrawal_minimum": "15",
                "withdrawal_maximum": "", "daily_maximum": "5000", "deposit_minimum": "1", "note": "new fees"}
        viewer = staff_member("wallet.view_custodypolicy", "wallet.approve_withdrawal")
        verified_login(client, viewer)
        assert client.get(url).status_code == 200
        assert client.post(url, data).status_code == 403
        assert client.get(reverse("admin:wallet_custodypolicy_add")).status_code == 403
        assert custody_policy_current() == current

        manager = staff_member(MANAGER)
        verified_login(client, manager)
        refused = client.post(url, {**data, "withdrawal_maximum": "5"})  # below the minimum of 15
        assert refused.status_code == 200 and custody_policy_current() == current
        assert client.post(url, data).status_code == 302
        new = custody_policy_current()
        assert new.pk != current.pk and new.withdrawal_fee_percent == 4 and new.daily_maximum == 5000
        current.refresh_from_db()
        assert current.withdrawal_fee_percent == 5  # the old version is left as it was
        assert AuditLog.objects.get(action=AuditLog.Action.CUSTODY_POLICY_CHANGE).actor == manager


def test_a_deposit_records_the_version_whose_minimum_decided_it(signer, devnode, invariants):  # noqa: F811
    user = UserFactory()
    address = deposit_address_get_or_create(user=user).address
    strict = policy_set(deposit_minimum=Decimal("30"))
    devnode.op("deposit", to=address, amount=25 * SUN)
    devnode.solidify()
    deposits_scan()
    deposit = Deposit.objects.get()
    assert deposit.status == Deposit.Status.BELOW_MINIMUM and deposit.policy == strict
    relaxed = policy_set(deposit_minimum=Decimal("1"))
    devnode.op("deposit", to=address, amount=25 * SUN)
    devnode.solidify()
    deposits_scan()
    latest = Deposit.objects.order_by("-id").first()
    assert latest.status == Deposit.Status.CREDITED and latest.policy == relaxed
    deposit.refresh_from_db()
    assert deposit.policy == strict
