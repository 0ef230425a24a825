"""The member cap with a fractional multiple, and which plan's multiple applies, for every payout type."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from earnings.models import Commission
from earnings.services import daily_income_pay, generation_distribute
from earnings.tests.factories import member
from investment.caps import cap_room, cap_room_sql, cap_total
from investment.models import PlanVersion
from investment.tests.factories import buy
from ranks.models import WeeklyBonus
from ranks.services import weekly_bonuses_pay
from ranks.tests.test_services import FIRST_MONDAY, ranked
from wallet.ledger.history import member_balance
from wallet.models import AccountCode

pytestmark = pytest.mark.django_db

D = Decimal
MONDAY = dt.date(2030, 1, 7)

# invested 100.000001: × 2.5 = 250.0000025 and × 2.999999 = 299.999902999999 — both have more
# than 6 places and round down.
FRACTIONS = [(D("2.5"), D("250.000002")), (D("2.999999"), D("299.999902"))]


def plan_with(multiple) -> PlanVersion:
    return PlanVersion.objects.create(cap_multiple=D(multiple), note=f"cap {multiple}")


@given(invested=st.decimals(min_value=0, max_value=10**12, places=6),
       earned=st.decimals(min_value=0, max_value=10**12, places=6),
       multiple=st.decimals(min_value=D("0.000001"), max_value=9999, places=6))
@settings(max_examples=80, deadline=None)
def test_the_sql_cap_room_equals_the_python_one(invested, earned, multiple):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cap_room_sql('u')} FROM (SELECT %(inv)s::numeric(20, 6) AS total_invested,"
            " %(earn)s::numeric(20, 6) AS total_earnings) u",
            {"inv": invested, "earn": earned, "cap_multiple": multiple},
        )
        room = cursor.fetchone()[0]
    assert room == cap_room(total_invested=invested, total_earnings=earned, multiple=multiple)
    assert room == room.quantize(D("0.000001"))


@pytest.mark.parametrize(("multiple", "cap"), FRACTIONS)
def test_the_cap_rounds_down_to_six_places(multiple, cap):
    assert cap_total(total_invested=D("100.000001"), multiple=multiple) == cap
    assert cap_room(total_invested=D("100.000001"), total_earnings=D("200"), multiple=multiple) == cap - 200


@pytest.mark.parametrize(("multiple", "cap"), FRACTIONS)
def test_generation_income_under_a_fractional_cap_pays_the_room_rounded_down(multiple, cap, invariants):
    plan_with(multiple)
    sponsor = member(invested="100.000001", earned="200")
    subscription = buy(member(sponsor=sponsor), "1000")  # level 1: 10 % = 100 against a room of cap − 200
    generation_distribute(subscription_id=subscription.pk)
    commission = Commission.objects.get(source_subscription=subscription, level=1)
    assert (commission.amount, commission.capped_amount) == (cap - 200, 100 - (cap - 200))
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == cap - 200
    assert User.objects.get(pk=sponsor.pk).total_earnings == cap


@pytest.mark.parametrize(("multiple", "cap"), FRACTIONS)
def test_daily_income_under_a_fractional_cap_never_rounds_up(multiple, cap, invariants):
    plan_with(multiple)
    owner = member(invested="100.000001", earned=cap - D("0.100002"))
    daily_income_pay(payout_date=MONDAY)  # 0.2 a day against a room of 0.1000025 or 0.100002999999
    commission = Commission.objects.get(user=owner)
    assert (commission.amount, commission.capped_amount) == (D("0.100002"), D("0.099998"))
    assert User.objects.get(pk=owner.pk).total_earnings == cap


@pytest.mark.parametrize(("multiple", "cap"), [(D("2.5"), D("25.000002")), (D("2.999999"), D("29.999992"))])
def test_weekly_bonuses_under_a_fractional_cap_settle(multiple, cap, invariants):
    plan_with(multiple)
    sponsor = ranked("5000", "5000", own="10.000001")  # connector: 50 a week
    weekly_bonuses_pay(week=FIRST_MONDAY)
    bonus = WeeklyBonus.objects.get(user=sponsor)
    assert (bonus.paid_amount, bonus.capped_amount) == (cap, 50 - cap)
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == cap


# The plan in force at payout time ---------------------------------------------------------------


def test_a_pending_fan_out_uses_the_multiple_in_force_when_it_is_paid(invariants):
    sponsor = member(invested="100")  # cap 300 under the plan of the purchase
    subscription = buy(member(sponsor=sponsor), "2000")  # level 1: 200
    plan_with("1.5")  # staff lower the multiple before the worker pays: the cap is now 150
    generation_distribute(subscription_id=subscription.pk)
    commission = Commission.objects.get(source_subscription=subscription, level=1)
    assert (commission.amount, commission.capped_amount) == (D("150"), D("50"))


def test_daily_income_uses_the_multiple_in_force_when_it_is_paid(invariants):
    owner = member(invested="100", earned="149.9")  # bought under 3×
    plan_with("1.5")
    daily_income_pay(payout_date=MONDAY)
    assert Commission.objects.get(user=owner).amount == D("0.1")


def test_weekly_bonuses_use_the_multiple_in_force_when_they_are_paid(invariants):
    sponsor = ranked("5000", "5000", own="20")
    plan_with("1.5")  # cap 30
    weekly_bonuses_pay(week=FIRST_MONDAY)
    assert WeeklyBonus.objects.get(user=sponsor).paid_amount == D("30")
