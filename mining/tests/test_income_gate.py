"""The plan setting "daily income requires a mining session", applied by the daily income run."""

import datetime as dt
from decimal import Decimal

import pytest

from earnings.models import Commission
from earnings.services import daily_income_pay
from earnings.tests.factories import member
from investment.models import Subscription
from mining.tests.factories import mining_session, plan_with
from wallet.ledger.history import member_balance
from wallet.models import AccountCode

pytestmark = pytest.mark.django_db

D = Decimal
TUESDAY = dt.date(2030, 1, 8)
MIDNIGHT = dt.datetime(2030, 1, 8, tzinfo=dt.UTC)  # the start of the payout date
DAILY = D("0.2")  # 100 USDT at 6 % a month


@pytest.fixture(autouse=True)
def payout_today_is_tuesday(monkeypatch):
    """Subscriptions are bought now and paid on a later date: the run's 'today' is moved there."""
    monkeypatch.setattr("earnings.services.payout_today", lambda: TUESDAY)


def investor():
    owner = member(invested="100")
    return owner, Subscription.objects.get(user=owner)


def income_row(subscription) -> Commission:
    return Commission.objects.get(source_subscription=subscription, payout_date=TUESDAY)


def test_with_the_setting_off_income_is_paid_without_a_session(invariants):
    owner, subscription = investor()
    result = daily_income_pay(payout_date=TUESDAY)
    assert result.paid_total == DAILY
    assert (income_row(subscription).amount, income_row(subscription).skip_reason) == (DAILY, "")


def test_with_the_setting_on_no_session_means_no_income_and_the_reason(invariants):
    plan_with(mining_required_for_daily_income=True)
    owner, subscription = investor()
    result = daily_income_pay(payout_date=TUESDAY)
    assert (result.subscriptions, result.paid_count, result.paid_total, result.capped_total) == (1, 0, 0, 0)
    row = income_row(subscription)
    assert (row.amount, row.capped_amount, row.skip_reason) == (0, 0, "no_session")
    assert row.get_skip_reason_display() == "No mining session"
    assert member_balance(user=owner, code=AccountCode.MAIN) == 0
    subscription.refresh_from_db()
    assert subscription.daily_paid_through == TUESDAY and subscription.total_earned == 0
    assert daily_income_pay(payout_date=TUESDAY).subscriptions == 0  # settled: a re-run writes nothing


def test_a_session_that_ended_minutes_before_midnight_counts(invariants):
    plan_with(mining_required_for_daily_income=True)
    owner, subscription = investor()
    mining_session(owner, started_at=MIDNIGHT - dt.timedelta(hours=24, minutes=5), completed=True)
    daily_income_pay(payout_date=TUESDAY)
    assert income_row(subscription).amount == DAILY
    assert member_balance(user=owner, code=AccountCode.MAIN) == DAILY


def test_a_session_that_ended_just_over_a_day_before_midnight_does_not(invariants):
    plan_with(mining_required_for_daily_income=True)
    owner, subscription = investor()
    mining_session(owner, started_at=MIDNIGHT - dt.timedelta(hours=48, minutes=1), completed=True)
    daily_income_pay(payout_date=TUESDAY)
    assert income_row(subscription).skip_reason == "no_session"


def test_a_session_started_after_midnight_does_not_count_for_that_day(invariants):
    plan_with(mining_required_for_daily_income=True)
    owner, subscription = investor()
    mining_session(owner, started_at=MIDNIGHT + dt.timedelta(minutes=3))
    daily_income_pay(payout_date=TUESDAY)
    assert income_row(subscription).skip_reason == "no_session"
    assert member_balance(user=owner, code=AccountCode.MAIN) == 0


def test_a_session_running_across_midnight_counts(invariants):
    plan_with(mining_required_for_daily_income=True)
    owner, subscription = investor()
    mining_session(owner, started_at=MIDNIGHT - dt.timedelta(hours=2))
    daily_income_pay(payout_date=TUESDAY)
    assert income_row(subscription).amount == DAILY


def test_an_unmined_subscription_leaves_the_member_cap_room_to_the_others(invariants):
    """Gated rows pay nothing and use none of the room; other members are paid as before."""
    plan_with(mining_required_for_daily_income=True)
    miner, mined = investor()
    idle, unmined = investor()
    mining_session(miner, started_at=MIDNIGHT - dt.timedelta(hours=3))
    result = daily_income_pay(payout_date=TUESDAY)
    assert (result.paid_count, result.paid_total) == (1, DAILY)
    assert income_row(mined).skip_reason == "" and income_row(unmined).skip_reason == "no_session"
