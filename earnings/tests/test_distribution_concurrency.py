"""Distributions at the same time as each other and as a daily run: the state of one after the other."""

from decimal import Decimal

import pytest

from accounts.models import User
from accounts.tests.factories import staff_member
from earnings.distributions import RecipientFilter, distribution_pay
from earnings.models import Distribution
from earnings.services import daily_income_pay
from earnings.tests.factories import member
from earnings.tests.test_daily import MONDAY
from wallet.ledger.history import member_balance
from wallet.models import AccountCode
from wallet.tests.conftest import assert_ledger_invariants, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_confirms_of_one_distribution_at_once_pay_once():
    one = member(invested=100)
    staff = staff_member("earnings.distribute_promotion")
    results = run_in_threads(2, lambda _i: distribution_pay(
        actor=staff, key="same-token", recipients=RecipientFilter(), amount="5", account="main", reason="x"))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert Distribution.objects.count() == 1
    assert member_balance(user=one, code=AccountCode.MAIN) == Decimal(5)
    assert_ledger_invariants()


def test_a_distribution_and_a_daily_run_at_once_never_cross_the_cap():
    # invested 100, already earned 299.9: room 0.1; the daily run pays 0.2 before the cap.
    one = member(invested=100, earned="299.9")
    staff = staff_member("earnings.distribute_promotion")

    def work(i: int):
        if i == 0:
            return daily_income_pay(payout_date=MONDAY)
        return distribution_pay(actor=staff, key="k", recipients=RecipientFilter(), amount="5", account="main",
                                reason="x")

    results = run_in_threads(2, work)
    assert not any(isinstance(r, Exception) for r in results), results
    assert User.objects.get(pk=one.pk).total_earnings == Decimal(300)
    assert member_balance(user=one, code=AccountCode.MAIN) == Decimal("0.1")
    assert_ledger_invariants()
