"""The audit log of staff money actions: every action writes its row, a failed one none."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.services import SponsorChangeRefused, user_sponsor_change
from accounts.tests.factories import UserFactory, staff_member, verified_login
from investment.selectors import plan_current
from investment.services import plan_version_create
from phonix.audit import audit_record
from phonix.models import AuditLog
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_request
from wallet.ledger.adjustments import balance_adjust

pytestmark = pytest.mark.django_db


def _staff_rows(action):
    return AuditLog.objects.filter(action=action)


class TestPlanChange:
    def test_a_plan_change_in_the_admin_is_a_new_version_with_an_audit_row(self, client):
        current = plan_current()
        planner = staff_member("investment.change_planversion", "investment.add_planversion",
                               "investment.view_planversion")
        verified_login(client, planner)
        url = reverse("admin:investment_planversion_change", args=[current.pk])
        form = client.get(url).context["adminform"].form
        data = {name: form[name].value() for name in form.fields}
        data = {name: ",".join(map(str, value)) if isinstance(value, list) else ("" if value is None else value)
                for name, value in data.items()}
        data.update(cap_multiple="2.5", note="cap 2.5 from January")
        data = {name: value for name, value in data.items() if value is not False}
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        new = plan_current()
        assert new.pk != current.pk and new.cap_multiple == Decimal("2.5")
        audit = _staff_rows(AuditLog.Action.PLAN_CHANGE).get()
        assert audit.actor == planner and audit.reason == "cap 2.5 from January"
        assert (audit.before["version"], audit.after["version"]) == (current.pk, new.pk)
        # Compared as numbers: a plan made in this process (after a transactional test emptied the
        # table) says 3, one read back from the database 3.000000.
        assert Decimal(audit.before["cap_multiple"]) == current.cap_multiple and audit.after["cap_multiple"] == "2.5"
        assert len(audit.after["generation_rates"]) == 20

    def test_an_invalid_plan_change_writes_no_version_and_no_row(self):
        count = type(plan_current()).objects.count()
        with pytest.raises(ValidationError):
            plan_version_create(created_by=staff_member(), tier_1_max=Decimal("10"))  # below the minimum
        assert type(plan_current()).objects.count() == count
        assert not _staff_rows(AuditLog.Action.PLAN_CHANGE).exists()


class TestSponsorChange:
    def test_a_sponsor_change_writes_its_row(self):
        old, new, member = UserFactory(), UserFactory(), None
        member = UserFactory(sponsor=old)
        staff = staff_member("accounts.change_user")
        user_sponsor_change(user=member, new_sponsor=new, changed_by=staff, reason="registered under the wrong link")
        audit = _staff_rows(AuditLog.Action.SPONSOR_CHANGE).get()
        assert (audit.actor, audit.member, audit.reason) == (staff, member, "registered under the wrong link")
        assert audit.before["sponsor"] == old.pk and audit.after["sponsor"] == new.pk
        assert audit.after["moved_members"] == 1

    def test_a_refused_sponsor_change_writes_none(self):
        top = UserFactory()
        below = UserFactory(sponsor=top)
        with pytest.raises(SponsorChangeRefused):
            user_sponsor_change(user=top, new_sponsor=below, changed_by=staff_member(), reason="cycle")
        assert not _staff_rows(AuditLog.Action.SPONSOR_CHANGE).exists()


class TestAtomicity:
    def test_a_failed_adjustment_writes_no_row(self):
        member = UserFactory()
        from phonix.exceptions import InsufficientFunds

        with pytest.raises(InsufficientFunds):
            balance_adjust(user_id=member.pk, amount="-1", reason="overdraw", created_by_id=staff_member().pk)
        assert not AuditLog.objects.exists()

    def test_the_row_goes_when_the_action_is_rolled_back(self):
        member = UserFactory()
        staff = staff_member()
        with transaction.atomic():
            balance_adjust(user_id=member.pk, amount="5", reason="test", created_by_id=staff.pk)
            assert AuditLog.objects.filter(actor=staff).count() == 1
            transaction.set_rollback(True)
        assert not AuditLog.objects.filter(actor=staff).exists()

    def test_rows_cannot_be_changed_or_deleted_even_in_sql(self):
        with transaction.atomic():
            row = audit_record(actor_id=staff_member().pk, action=AuditLog.Action.BALANCE_ADJUST, reason="x")
        for statement in (lambda: AuditLog.objects.filter(pk=row.pk).update(reason="nothing happened"),
                          lambda: AuditLog.objects.filter(pk=row.pk).delete()):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                statement()
        assert AuditLog.objects.get(pk=row.pk).reason == "x"


@pytest.mark.django_db(transaction=True)
def test_a_row_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        audit_record(actor_id=None, action=AuditLog.Action.BALANCE_ADJUST)
    assert not AuditLog.objects.exists()


class TestAdmin:
    @pytest.fixture
    def rows(self):
        """Two staff members acting on two members."""
        ann, bob = staff_member("wallet.adjust_balance", username="ann"), staff_member(
            "wallet.approve_withdrawal", username="bob")
        alice, carl = UserFactory(username="alice"), UserFactory(username="carl")
        balance_adjust(user_id=alice.pk, amount="200", reason="refund", created_by_id=ann.pk)
        balance_adjust(user_id=carl.pk, amount="3", reason="goodwill", created_by_id=ann.pk)
        alice.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
        alice.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
        alice.save()
        withdrawal = withdrawal_request(user=alice, amount="50", password="correct-horse-battery",
                                        token=str(uuid.uuid4()))
        withdrawal_approve(withdrawal_id=withdrawal.pk, staff=bob)
        return ann, bob, alice, carl

    def _listed(self, client, query=""):
        response = client.get(reverse("admin:phonix_auditlog_changelist") + query)
        assert response.status_code == 200
        return [(row.actor.username, row.member.username, row.action) for row in response.context["cl"].result_list]

    def test_filtered_by_staff_member_and_by_member(self, rows, client):
        ann, bob, alice, carl = rows
        auditor = staff_member("phonix.view_auditlog")
        verified_login(client, auditor)
        assert sorted(self._listed(client, f"?actor={ann.pk}")) == [
            ("ann", "alice", "balance_adjust"), ("ann", "carl", "balance_adjust")]
        assert sorted(self._listed(client, f"?member={alice.pk}")) == [
            ("ann", "alice", "balance_adjust"), ("bob", "alice", "withdrawal_approve")]
        assert self._listed(client, f"?actor={bob.pk}&member={alice.pk}") == [("bob", "alice", "withdrawal_approve")]
        assert self._listed(client, "?member=x") == [] and self._listed(client, "?member=999999") == []

    def test_read_only(self, rows, client):
        verified_login(client, staff_member("phonix.view_auditlog"))
        row = AuditLog.objects.first()
        assert client.get(reverse("admin:phonix_auditlog_change", args=[row.pk])).status_code == 200
        assert client.get(reverse("admin:phonix_auditlog_add")).status_code == 403
        assert client.post(reverse("admin:phonix_auditlog_change", args=[row.pk]), {"reason": "x"}).status_code == 403
        assert client.post(reverse("admin:phonix_auditlog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403

    def test_the_list_runs_a_bounded_number_of_queries(self, rows, client, django_assert_max_num_queries):
        verified_login(client, staff_member("phonix.view_auditlog"))
        for i in range(20):
            balance_adjust(user_id=rows[2].pk, amount="1", reason=f"n{i}", created_by_id=rows[0].pk)
        with django_assert_max_num_queries(12):
            client.get(reverse("admin:phonix_auditlog_changelist"))


@pytest.mark.django_db(transaction=True)
def test_two_plan_changes_at_once_keep_both_changes():
    from wallet.tests.conftest import run_in_threads

    planner = staff_member()
    changes = [{"tier_1_rate": Decimal("6.5")}, {"tier_2_rate": Decimal("8.5")}]

    def change(i):
        with transaction.atomic():
            return plan_version_create(created_by=planner, note=f"change {i}", **changes[i])

    results = run_in_threads(2, change)
    assert not [r for r in results if isinstance(r, Exception)]
    latest = plan_current()
    assert (latest.tier_1_rate, latest.tier_2_rate) == (Decimal("6.5"), Decimal("8.5"))
    assert _staff_rows(AuditLog.Action.PLAN_CHANGE).count() == 2
