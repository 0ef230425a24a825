"""Every console figure against values worked out by hand on a few rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory, staff_member
from dashboard.console import selectors
from earnings.tests.factories import member
from investment.models import Subscription
from phonix.models import CustodyReading, StuckItem, TaskRun
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, Deposit, DepositAddress, LedgerTransaction, Withdrawal
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def now():
    return timezone.now()


def test_members_counts_by_window_and_sign_in_without_staff(now):
    ages = [dt.timedelta(hours=1), dt.timedelta(days=5), dt.timedelta(days=20), dt.timedelta(days=40)]
    people = [UserFactory() for _ in ages]
    for person, age in zip(people, ages, strict=True):
        User.objects.filter(pk=person.pk).update(joined_at=now - age)
    User.objects.filter(pk=people[0].pk).update(last_login=now - dt.timedelta(days=10), is_active_investor=True)
    User.objects.filter(pk=people[1].pk).update(last_login=now - dt.timedelta(days=40))
    staff_member()  # joined now, not a member
    figures = selectors.members_figures(now=now)
    assert figures["total"] == 4
    assert figures["active_investors"] == 1
    assert figures["active_users_30d"] == 1
    expected_today = 1 if (now - dt.timedelta(hours=1)).date() == now.date() else 0
    assert figures["new"] == {"today": expected_today, "7d": 2, "30d": 3}


def test_obligation_is_the_sum_of_remaining_cap_room(now):
    member(invested=100)  # room 300
    member(invested=4000, earned=1000)  # room 12,000 − 1,000 = 11,000
    member(invested=100, earned=300)  # room 0
    member()  # nothing invested: 0
    assert selectors.members_figures(now=now)["obligation"] == D(11_300)


def test_subscriptions_by_tier_new_completed_and_the_daily_run_rate(now):
    small, middle, large = member(invested=100), member(invested=4000), member(invested=6000)
    done = member(invested=200)
    Subscription.objects.filter(user=done).update(is_active=False, completed_at=now)
    Subscription.objects.filter(user=small).update(started_at=now - dt.timedelta(days=10))
    figures = selectors.subscriptions_figures(now=now)
    assert figures["by_tier"] == {
        "tier_1": {"count": 1, "value": D(100)}, "tier_2": {"count": 1, "value": D(4000)},
        "tier_3": {"count": 1, "value": D(6000)},
    }
    assert (figures["active_count"], figures["active_value"]) == (3, D(10_100))
    assert figures["new"]["7d"] == {"count": 3, "value": D(10_200)}
    assert figures["new"]["30d"] == {"count": 4, "value": D(10_300)}
    assert figures["completed"] == 1
    # 100 × 6 % / 30 = 0.2; 4,000 × 8 % / 30 = 10.666666 (rounded down); 6,000 × 10 % / 30 = 20
    assert figures["daily_run_rate"] == D("30.866666")
    assert middle and large


def _payout(key: str, kind: str, user, amount: str, code: str = AccountCode.MAIN) -> None:
    ledger_post(key=key, kind=kind, entries=[
        (platform_account(AccountCode.PAYOUTS).pk, -D(amount)), (member_account(user_id=user.pk, code=code).pk, D(amount)),
    ])


def test_payouts_by_type_come_from_the_payouts_account_only(now):
    one = UserFactory()
    Kind = LedgerTransaction.Kind
    _payout("daily:1:2030-01-07", Kind.DAILY_INCOME, one, "5")
    _payout("daily:1:2030-01-08", Kind.DAILY_INCOME, one, "1.5")
    _payout("gen:1:1", Kind.COMMISSION, one, "3")
    _payout("weekly:1:2030-W02", Kind.WEEKLY_BONUS, one, "7")
    _payout(f"bonus:registration:{one.pk}", Kind.BONUS, one, "10", AccountCode.BONUS)
    _payout("promotion:1:1", Kind.BONUS, one, "4")
    _payout("mining:1", Kind.BONUS, one, "0.5", AccountCode.BONUS)
    fund(one, "1000")  # an adjustment: not a payout
    figures = selectors.payouts_figures(now=now)
    totals = {kind: windows["30d"] for kind, windows in figures["totals"].items()}
    assert totals == {"daily_income": D("6.5"), "generation_income": D(3), "weekly_bonus": D(7),
                      "registration_bonus": D(10), "distribution": D(4), "mining_reward": D("0.5")}
    assert figures["totals"]["daily_income"]["today"] == D("6.5") == figures["totals"]["daily_income"]["7d"]
    assert len(figures["days"]) == 30 and figures["days"][-1] == now.astimezone(dt.UTC).date()
    assert figures["daily"]["daily_income"][-1] == D("6.5") and sum(figures["daily"]["daily_income"][:-1]) == 0
    # Seen ten days later the same postings are outside today and the last 7 days, inside 30.
    later = selectors.payouts_figures(now=now + dt.timedelta(days=10))
    assert later["totals"]["weekly_bonus"] == {"today": 0, "7d": 0, "30d": D(7)}
    assert later["daily"]["weekly_bonus"][-11] == D(7)


def test_balances_and_reserves_from_the_latest_custody_reading(now):
    one, two = UserFactory(), UserFactory()
    fund(one, "100")
    fund(two, "50.5")
    fund(two, "10", code=AccountCode.BONUS)
    balances = selectors.balances_figures()
    assert balances == {"main": D("150.5"), "bonus": D(10), "withdrawal_hold": D(0), "total": D("160.5")}
    assert selectors.reserves_figures(balances=balances, daily_run_rate=D(20))["on_chain"] is None
    CustodyReading.objects.create(hot_wallet=D(1), deposit_addresses=D(1), ledger_custody=D(2), problems=0)
    latest = CustodyReading.objects.create(hot_wallet=D(1000), deposit_addresses=D("234.5"), ledger_custody=D(0),
                                           problems=2)
    reserves = selectors.reserves_figures(balances=balances, daily_run_rate=D("30.866666"))
    assert reserves["on_chain"] == D("1234.5")
    assert reserves["surplus"] == D(1074)
    assert reserves["days_covered"] == D("40.0")  # 1,234.5 / 30.866666 = 39.99…
    assert (reserves["read_at"], reserves["problems"]) == (latest.read_at, 2)
    assert selectors.reserves_figures(balances=balances, daily_run_rate=D(0))["days_covered"] is None


def _withdrawal(user, status: str, amount: str, *, created_ago=None, completed_after=None, updated_ago=None, now):
    fee = D(amount) / 20
    row = Withdrawal.objects.create(user=user, amount=D(amount), fee=fee, net_amount=D(amount) - fee,
                                    address="T" + "1" * 33, status=status)
    created = now - (created_ago or dt.timedelta(0))
    fields = {"created_at": created}
    if completed_after is not None:
        fields["completed_at"] = created + completed_after
    if updated_ago is not None:
        fields["updated_at"] = now - updated_ago
    Withdrawal.objects.filter(pk=row.pk).update(**fields)
    return row


def test_withdrawals_queue_processing_time_and_refusals(now):
    one = UserFactory()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    oldest = _withdrawal(one, "pending", "20", created_ago=2 * hour, now=now)
    _withdrawal(one, "pending", "30", created_ago=hour, now=now)
    _withdrawal(one, "approved", "50", now=now)
    _withdrawal(one, "processing", "10", now=now)
    _withdrawal(one, "broadcast", "10", now=now)
    for seconds in (60, 120, 600):
        _withdrawal(one, "completed", "10", created_ago=day, completed_after=dt.timedelta(seconds=seconds), now=now)
    _withdrawal(one, "completed", "10", created_ago=10 * day, completed_after=dt.timedelta(seconds=5), now=now)
    _withdrawal(one, "rejected", "10", updated_ago=hour, now=now)
    _withdrawal(one, "rejected", "10", created_ago=10 * day, updated_ago=10 * day, now=now)
    _withdrawal(one, "failed", "10", updated_ago=hour, now=now)
    figures = selectors.withdrawals_figures(now=now)
    assert (figures["pending"], figures["pending_amount"]) == (2, D(50))
    assert figures["oldest_pending_age"] == pytest.approx(7200, abs=1)
    assert [row["id"] for row in figures["pending_listed"]] == [oldest.pk, oldest.pk + 1]
    assert (figures["approved_unsent"], figures["approved_unsent_amount"], figures["sent_unconfirmed"]) == (2, D(60), 1)
    assert figures["completed_7d"] == 3
    assert figures["processing_p50"] == pytest.approx(120)
    assert figures["processing_p95"] == pytest.approx(552)  # 120 + 0.9 × (600 − 120)
    assert (figures["rejected_7d"], figures["failed_7d"]) == (1, 1)


def test_deposits_latency_and_those_waiting_for_staff(now):
    one = UserFactory()
    address = DepositAddress.objects.create(user=one, address="T" + "2" * 33, derivation_index=one.pk)
    rows = [("credited", "5", 30), ("credited", "6", 90), ("credited", "7", 5), ("below_minimum", "0.5", None),
            ("below_minimum", "0.3", None), ("orphaned", "9", None), ("reversal_pending", "3", None)]
    for n, (status, amount, seconds) in enumerate(rows):
        deposit = Deposit.objects.create(user=one, deposit_address=address, txid=f"{n:064x}", log_index=0,
                                         from_address="T" + "3" * 33, amount=D(amount), block_number=n, status=status)
        if seconds is not None:
            seen = now - (dt.timedelta(days=10) if amount == "7" else dt.timedelta(hours=1))
            Deposit.objects.filter(pk=deposit.pk).update(created_at=seen, credited_at=seen + dt.timedelta(seconds=seconds))
    figures = selectors.deposits_figures(now=now)
    assert figures["credited_7d"] == 2  # the one credited 10 days ago is outside the window
    assert figures["latency_p50"] == pytest.approx(60)
    assert figures["latency_p95"] == pytest.approx(87)  # 30 + 0.95 × 60
    assert (figures["below_minimum"], figures["below_minimum_amount"]) == (2, D("0.8"))
    assert (figures["orphaned"], figures["reversal_pending"]) == (1, 1)


def test_jobs_show_last_start_last_success_duration_and_failures_in_24_hours(now):
    task = "wallet.tasks.deposits_scan_task"
    minute = dt.timedelta(minutes=1)
    TaskRun.objects.create(task_id="a", name=task, state="success", started_at=now - 10 * minute,
                           finished_at=now - 10 * minute + dt.timedelta(seconds=2.5))
    TaskRun.objects.create(task_id="b", name=task, state="failure", started_at=now - 5 * minute,
                           finished_at=now - 5 * minute)
    TaskRun.objects.create(task_id="c", name=task, state="failure", started_at=now - dt.timedelta(days=2))
    jobs = {job["name"]: job for job in selectors.jobs_figures(now=now)}
    from phonix.schedules import SCHEDULES

    assert set(jobs) == set(SCHEDULES)
    scan = jobs["scan-deposits"]
    assert (scan["last_start"], scan["last_state"]) == (now - 5 * minute, "failure")
    assert scan["last_success"] == now - 10 * minute + dt.timedelta(seconds=2.5)
    assert scan["duration"] == pytest.approx(2.5)
    assert (scan["runs_24h"], scan["failures_24h"]) == (2, 1)
    never = jobs["check-ranks"]
    assert (never["last_start"], never["last_success"], never["runs_24h"]) == (None, None, 0)


def test_queue_lengths_are_read_from_the_broker():
    from phonix.celery import app

    before = selectors.queue_lengths()
    assert set(before) == {"default", "chain", "payouts"} and before["chain"] is not None
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue("chain")
        try:
            queue.put({"probe": 1})
            assert selectors.queue_lengths()["chain"] == before["chain"] + 1
        finally:
            queue.get(timeout=2).ack()
            queue.close()


def test_the_console_runs_a_bounded_number_of_queries_and_caches_them(now):
    StuckItem.objects.create(job="sweep_advance", item_id="7", reason="x")
    for _ in range(3):
        member(invested=100)
    with CaptureQueriesContext(connection) as first:
        figures = selectors.console_figures()
    assert figures["stuck_items"] == {"sweep_advance": 1}
    for _ in range(3):
        member(invested=100)
    with CaptureQueriesContext(connection) as again:
        assert selectors.console_figures()["members"]["total"] == 3  # cached for a minute
    assert len(first) <= 14 and len(again) == 0


def test_summarised_payout_days_plus_the_live_tail_count_each_posting_once():
    from dashboard.console.payout_days import SUMMARY_LAG, payout_days_summarise
    from phonix.models import PayoutDay

    _payout("daily:9:2030-01-07", LedgerTransaction.Kind.DAILY_INCOME, UserFactory(), "5")
    posted = LedgerTransaction.objects.get().created_at
    # Too recent to summarise (its transaction could still be open): read live.
    payout_days_summarise(now=posted + SUMMARY_LAG - dt.timedelta(seconds=1))
    assert not PayoutDay.objects.exists()
    assert selectors.payouts_figures(now=posted)["totals"]["daily_income"]["today"] == D(5)
    later = posted + SUMMARY_LAG + dt.timedelta(minutes=1)
    payout_days_summarise(now=later)
    payout_days_summarise(now=later)  # run twice, same state
    assert list(PayoutDay.objects.values_list("type", "total")) == [("daily_income", D(5))]
    # From the summary now, and not read live a second time.
    assert selectors.payouts_figures(now=posted)["totals"]["daily_income"]["today"] == D(5)


def test_the_refresh_job_computes_the_figures_ahead_of_the_page(now):
    from dashboard.tasks import console_refresh_task

    member(invested=100)
    console_refresh_task.delay()
    member(invested=100)
    with CaptureQueriesContext(connection) as captured:
        assert selectors.console_figures()["members"]["total"] == 1
    assert len(captured) == 0
