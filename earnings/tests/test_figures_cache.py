"""The earnings totals, line counts and chart are computed once per state of the member's history
and computed again as soon as a line is added."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from earnings.selectors import earnings_overview, earnings_summary
from earnings.services import daily_income_pay, generation_distribute
from earnings.tests.factories import member as make_member
from investment.tests.factories import buy
from wallet.models import Transaction

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # as a request loads the member


def test_a_second_read_takes_the_totals_from_the_cache(django_assert_num_queries):
    sponsor = make_member(invested="100", extra_directs=0)
    generation_distribute(subscription_id=buy(make_member(sponsor=sponsor), "1000").pk)
    first = earnings_summary(user=fresh(sponsor))
    member = fresh(sponsor)
    with django_assert_num_queries(2):  # the newest history line and the plan: no sum over the history
        again = earnings_summary(user=member)
    assert again == first
    assert first.generation == Decimal("100")


def test_a_payout_refreshes_the_totals_and_the_chart():
    sponsor = make_member(invested="100", extra_directs=0)
    generation_distribute(subscription_id=buy(make_member(sponsor=sponsor), "1000").pk)
    before = earnings_overview(user=fresh(sponsor))
    daily_income_pay(payout_date=MONDAY)
    after = earnings_overview(user=fresh(sponsor))
    assert after.summary.daily_income == before.summary.daily_income + Decimal("0.2")
    assert after.history_length() == before.history_length() + 1
    assert after.history_length(Transaction.Type.DAILY_INCOME) == 1


def test_a_line_that_leaves_the_total_alone_refreshes_them_too(client):
    member = make_member(invested="100", extra_directs=0)
    client.force_login(member)
    assert client.get(reverse("earnings:overview")).context["page"].paginator.count == 0
    Transaction.objects.create(user=member, type=Transaction.Type.WEEKLY_BONUS, amount=Decimal("7.5"),
                               net_amount=Decimal("7.5"))
    response = client.get(reverse("earnings:overview"))
    assert response.context["summary"].weekly_bonus == Decimal("7.5")
    assert response.context["page"].paginator.count == 1
    assert response.context["chart"]["datasets"][2]["data"][-1] == 7.5  # today, weekly bonus


def test_the_dashboard_totals_follow_a_new_line(client):
    member = make_member(invested="100", extra_directs=0)
    client.force_login(member)
    assert client.get(reverse("dashboard:home")).context["earnings"].weekly_bonus == 0
    Transaction.objects.create(user=member, type=Transaction.Type.WEEKLY_BONUS, amount=Decimal("2.5"),
                               net_amount=Decimal("2.5"))
    assert client.get(reverse("dashboard:home")).context["earnings"].weekly_bonus == Decimal("2.5")
