"""The payout state of subscriptions, recorded by investment for the payout runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from investment.models import Subscription
from investment.services import subscription_generation_claim, subscriptions_daily_settle
from investment.tests.factories import buy

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


def test_a_day_settles_each_subscription_and_names_members_whose_last_one_completed():
    keeps, done = UserFactory(), UserFactory()
    keeps_first, keeps_second = buy(keeps, "100"), buy(keeps, "100")
    done_only = buy(done, "100")
    now = timezone.now()
    settlement = subscriptions_daily_settle(
        payout_date=MONDAY, now=now, subscription_ids=[keeps_first.pk, keeps_second.pk, done_only.pk],
        amounts=[Decimal(300), Decimal("0.2"), Decimal(300)],  # 300 = the 3× cap of 100
    )
    assert (settlement.completed, settlement.members_done) == (2, [done.pk])
    first, second, only = (Subscription.objects.get(pk=s.pk) for s in (keeps_first, keeps_second, done_only))
    assert (first.is_active, first.completed_at, first.total_earned) == (False, now, Decimal(300))
    assert (second.is_active, second.completed_at, second.daily_paid_through) == (True, None, MONDAY)
    assert (only.is_active, only.daily_paid_through) == (False, MONDAY)


def test_nothing_to_settle_settles_nothing():
    settlement = subscriptions_daily_settle(payout_date=MONDAY, now=timezone.now(), subscription_ids=[], amounts=[])
    assert (settlement.completed, settlement.members_done) == (0, [])


def test_the_generation_claim_is_given_once():
    subscription = buy(UserFactory(), "100")
    Subscription.objects.filter(pk=subscription.pk).update(generation_paid_at=None)
    now = timezone.now()
    assert subscription_generation_claim(subscription_id=subscription.pk, now=now)
    assert not subscription_generation_claim(subscription_id=subscription.pk, now=now)
    assert Subscription.objects.get(pk=subscription.pk).generation_paid_at == now
