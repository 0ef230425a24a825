"""Random trees and purchases: the plan's invariants hold whatever the shape of the network."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.tests.factories import UserFactory
from earnings.models import Commission
from earnings.services import daily_income_pay, generation_catch_up
from investment.models import Subscription
from investment.tests.factories import buy
from wallet.tests.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)

trees = st.integers(min_value=2, max_value=28).flatmap(
    lambda size: st.tuples(
        # sponsor of member i (i ≥ 1): any earlier member, biased to the newest to grow deep chains
        st.lists(st.one_of(st.just(-1), st.integers(min_value=0, max_value=size)), min_size=size - 1,
                 max_size=size - 1),
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=size - 1),
                      st.decimals(min_value=50, max_value=8000, places=2)),
            min_size=1, max_size=12,
        ),
        st.integers(min_value=0, max_value=3),  # weekdays of daily income paid afterwards
    )
)


class Rollback(Exception):
    pass


@given(case=trees)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_random_networks_keep_the_plan_invariants(case):
    sponsors, purchases, days = case
    try:
        with transaction.atomic():
            members = [UserFactory()]
            for i, choice in enumerate(sponsors, start=1):
                sponsor = members[i - 1] if choice == -1 else members[min(choice, i - 1)]
                members.append(UserFactory(sponsor=sponsor))
            for index, amount in purchases:
                buy(User.objects.get(pk=members[index].pk), amount)
            generation_catch_up(older_than=dt.timedelta(0))
            for day in range(days):
                daily_income_pay(payout_date=MONDAY + dt.timedelta(days=day))
            check_invariants()
            raise Rollback
    except Rollback:
        pass


def check_invariants() -> None:
    assert_ledger_invariants()
    assert not Commission.objects.filter(level__gt=20).exists()
    assert not (
        Commission.objects.filter(commission_type="generation")
        .values("source_subscription", "level").annotate(n=Count("id")).filter(n__gt=1).exists()
    )
    # Every generation commission goes to the upline member at exactly that level.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM earnings_commission c
            JOIN accounts_user buyer ON buyer.id = c.from_user_id
            WHERE c.commission_type = 'generation' AND buyer.upline_ids[c.level] IS DISTINCT FROM c.user_id
            """
        )
        assert cursor.fetchone()[0] == 0
    paid = dict(
        Commission.objects.values("user").annotate(total=Sum("amount")).values_list("user", "total")
    )
    for user in User.objects.all():
        assert user.total_earnings <= 3 * user.total_invested
        assert user.total_earnings == paid.get(user.pk, Decimal(0))
    for subscription in Subscription.objects.all():
        assert subscription.total_earned <= 3 * subscription.amount
