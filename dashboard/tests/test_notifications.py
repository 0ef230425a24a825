"""Notifications are written after commit, once per cause, set-based for set-based events."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts.models import Credential
from accounts.services import credentials_change_record
from accounts.tests.factories import UserFactory, staff_member
from dashboard.models import Notification
from dashboard.services import generation_digest_build, notification_create, notifications_prune, notify
from dashboard.tests.factories import generation_paid, notification
from dashboard.texts import notification_text
from investment.models import Subscription
from investment.tests.factories import buy
from mining.tests.factories import mining_session
from wallet.custody.withdrawals import withdrawal_approve, withdrawal_reject, withdrawal_request
from wallet.tests.factories import withdrawing_member

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def test_notify_writes_only_after_the_transaction_commits(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notify(user_id=member.pk, kind=Kind.RANK_ACHIEVED, params={"rank": "builder"}, key="rank:x")
            assert not Notification.objects.filter(user=member).exists()
    assert Notification.objects.get(user=member).params == {"rank": "builder"}


def test_a_rolled_back_action_notifies_nobody(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(user_id=member.pk, kind=Kind.RANK_ACHIEVED, params={"rank": "builder"})
            transaction.set_rollback(True)
    assert callbacks == [] and not Notification.objects.filter(user=member).exists()


def test_a_failing_notification_never_fails_the_action_that_caused_it(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notify(user_id=member.pk, kind="x" * 60, params={})  # too long for the column: the insert fails
            member.first_name = "Still saved"
            member.save()
    member.refresh_from_db()
    assert member.first_name == "Still saved" and not Notification.objects.filter(user=member).exists()


def test_the_same_key_notifies_once():
    member = UserFactory()
    assert notification_create(user_id=member.pk, kind=Kind.RANK_ACHIEVED, key="rank:1:builder") is True
    assert notification_create(user_id=member.pk, kind=Kind.RANK_ACHIEVED, key="rank:1:builder") is False
    assert Notification.objects.filter(user=member).count() == 1


def test_a_withdrawal_notifies_each_step_with_the_staff_reason(django_capture_on_commit_callbacks):
    member = withdrawing_member(200)
    approver = staff_member("wallet.approve_withdrawal")
    with django_capture_on_commit_callbacks(execute=True):
        first = withdrawal_request(user=member, amount="100", password="correct-horse-battery",
                                   token=str(uuid.uuid4()))
        withdrawal_approve(withdrawal_id=first.pk, staff=approver)
        second = withdrawal_request(user=member, amount="50", password="correct-horse-battery",
                                    token=str(uuid.uuid4()))
        withdrawal_reject(withdrawal_id=second.pk, staff=approver, reason="Address on a sanctions list")
        withdrawal_approve(withdrawal_id=first.pk, staff=approver)  # already decided: nothing new
    assert kinds(member) == [Kind.WITHDRAWAL_REQUESTED, Kind.WITHDRAWAL_APPROVED, Kind.WITHDRAWAL_REQUESTED,
                             Kind.WITHDRAWAL_REJECTED]
    rejected = Notification.objects.get(user=member, kind=Kind.WITHDRAWAL_REJECTED)
    text = notification_text(rejected)
    assert "50.00 USDT" in text.body and "Address on a sanctions list" in text.body


def test_credential_changes_notify_the_member(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        credentials_change_record(user=member, credential=Credential.PASSWORD)
        credentials_change_record(user=member, credential=Credential.TWO_FACTOR)
    rows = Notification.objects.filter(user=member, kind=Kind.CREDENTIALS_CHANGED).order_by("id")
    assert [r.params["credential"] for r in rows] == ["password", "two_factor"]
    assert "password was changed" in notification_text(rows[0]).body


def test_generation_income_makes_one_digest_per_member_per_day():
    day = dt.date(2026, 11, 30)
    noon = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    alice, bob = UserFactory(), UserFactory()
    generation_paid(alice, "10", noon)
    generation_paid(alice, "2.5", noon + dt.timedelta(hours=11, minutes=59))
    generation_paid(alice, "7", noon + dt.timedelta(hours=12))  # the next day
    generation_paid(bob, "0.3", noon, level=16)

    assert generation_digest_build(day=day) == 2
    assert generation_digest_build(day=day) == 0  # run twice: same state
    digest = Notification.objects.get(user=alice, kind=Kind.GENERATION_INCOME)
    assert digest.params == {"date": "2026-11-30", "amount": "12.500000", "count": "2"}
    assert digest.key == f"generation:{alice.pk}:2026-11-30"
    assert Notification.objects.get(user=bob).params["amount"] == "0.300000"
    assert "12.50 USDT" in notification_text(digest).body


def test_the_digest_is_one_statement_whatever_the_number_of_members():
    from django.test.utils import CaptureQueriesContext

    noon = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    for _ in range(5):
        generation_paid(UserFactory(), "1", noon)
    with CaptureQueriesContext(connection) as captured:
        assert generation_digest_build(day=noon.date()) == 5
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].lstrip().startswith("INSERT")


def test_a_completed_mining_session_notifies_its_member(django_capture_on_commit_callbacks):
    from mining.services import mining_sessions_complete

    member = UserFactory()
    mining_session(member, started_at=timezone.now() - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        mining_sessions_complete()
    with django_capture_on_commit_callbacks(execute=True):
        mining_sessions_complete()  # again: nothing new
    row = Notification.objects.get(user=member)
    assert row.kind == Kind.MINING_SESSION_COMPLETED and row.params["outcome"] == "rewarded"
    assert "0.10 USDT free reward" in notification_text(row).body


def test_a_subscription_completed_at_its_cap_is_notified(django_capture_on_commit_callbacks):
    from earnings.services import daily_income_pay

    member = UserFactory()
    subscription = buy(member, "100")
    monday = dt.date(2026, 11, 30)
    Subscription.objects.filter(pk=subscription.pk).update(
        total_earned=Decimal("299.9"), started_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        daily_income_pay(payout_date=monday)
    row = Notification.objects.get(user=member, kind=Kind.SUBSCRIPTION_COMPLETED)
    assert row.params == {"subscription": str(subscription.pk), "amount": "100.000000", "earned": "300.000000"}


def test_a_promotion_and_its_weekly_bonus_are_notified(django_capture_on_commit_callbacks):
    from ranks.services import ranks_check, weekly_bonuses_pay
    from ranks.tests.factories import invest

    sunday = dt.datetime(2025, 3, 2, 23, 0, tzinfo=dt.UTC)
    sponsor = UserFactory()
    invest(sponsor, "100000")
    invest(UserFactory(sponsor=sponsor), "5000")
    invest(UserFactory(sponsor=sponsor), "5000")
    with django_capture_on_commit_callbacks(execute=True):
        ranks_check(now=sunday)
        weekly_bonuses_pay(week=dt.date(2025, 3, 3))
    assert kinds(sponsor) == [Kind.RANK_ACHIEVED, Kind.WEEKLY_BONUS]
    bonus = Notification.objects.get(user=sponsor, kind=Kind.WEEKLY_BONUS)
    assert bonus.params == {"week": "2025-W10", "rank": "connector", "amount": "50.000000"}


def test_the_text_is_written_in_the_readers_language():
    row = notification(UserFactory(), Kind.DEPOSIT_CREDITED, amount="25.5")
    assert notification_text(row).title == "Deposit credited"
    with translation.override("zh-hans"):
        chinese = notification_text(row)
    assert chinese.title != "Deposit credited" and "25.50" in chinese.body


def test_every_kind_has_its_own_text():
    member = UserFactory()
    for kind in Kind.values:
        text = notification_text(Notification(user=member, kind=kind, params={"amount": "1"}))
        assert text.title and text.url.startswith("/")


def test_pruning_drops_old_read_rows_and_very_old_ones_only():
    member = UserFactory()
    now = timezone.now()
    old_read, old_unread, ancient, fresh_read = (notification(member) for _ in range(4))
    rows = {old_read: (100, True), old_unread: (100, False), ancient: (400, False), fresh_read: (10, True)}
    for row, (days, read) in rows.items():
        Notification.objects.filter(pk=row.pk).update(created_at=now - dt.timedelta(days=days),
                                                      read_at=now if read else None)
    assert notifications_prune(now=now, batch_size=1) == 2
    assert set(Notification.objects.values_list("pk", flat=True)) == {old_unread.pk, fresh_read.pk}


def test_the_unread_count_uses_the_partial_index():
    member = UserFactory()
    notification(member)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT 1 FROM dashboard_notification WHERE user_id = %s AND read_at IS NULL",
                       [member.pk])
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "notification_user_unread" in plan
