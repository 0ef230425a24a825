"""Two workers at once: the same state as one."""

import uuid
from decimal import Decimal

import pytest

from earnings.models import Commission
from earnings.services import daily_income_pay, generation_distribute
from earnings.tests.factories import member
from earnings.tests.test_daily import MONDAY, state
from investment.models import Subscription
from investment.services import subscription_purchase
from phonix.money import round_down
from wallet.ledger.history import member_balance
from wallet.models import AccountCode
from wallet.tests.conftest import assert_ledger_invariants, run_in_threads
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_daily_runs_at_once_pay_each_subscription_once():
    owners = [member(invested=amount) for amount in ("100", "3500", "7000", "100")]
    results = run_in_threads(2, lambda _i: daily_income_pay(payout_date=MONDAY, batch_members=2))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.paid_count for r in results) == 4
    assert Commission.objects.filter(commission_type="daily_bond").count() == 4
    after = state()
    daily_income_pay(payout_date=MONDAY)
    assert state() == after
    assert member_balance(user=owners[1], code=AccountCode.MAIN) == round_down(Decimal("3500") * 8 / 3000)
    assert_ledger_invariants()


def test_two_fan_outs_of_one_purchase_at_once_pay_once():
    sponsor = member(invested="100")
    buyer = member(sponsor=sponsor)
    fund(buyer, "200")
    # Outside a test transaction on_commit fires at once; the eager task pays the fan-out first.
    subscription = subscription_purchase(user=buyer, amount="200", use_bonus=False, token=str(uuid.uuid4()))
    results = run_in_threads(2, lambda _i: generation_distribute(subscription_id=subscription.pk))
    assert all(r.already_paid for r in results), results
    assert Commission.objects.filter(source_subscription_id=subscription.pk).count() == 1
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == Decimal("20")
    assert_ledger_invariants()


def test_an_unclaimed_fan_out_run_twice_at_once_pays_once():
    sponsor = member(invested="100")
    buyer = member(sponsor=sponsor, invested="200")  # the eager task already paid this one …
    Subscription.objects.filter(user=buyer).update(generation_paid_at=None)  # … make it owed again
    Commission.objects.filter(source_subscription__user=buyer).delete()
    results = run_in_threads(2, lambda _i: generation_distribute(
        subscription_id=Subscription.objects.get(user=buyer).pk))
    assert sorted(r.already_paid for r in results) == [False, True], results


def test_a_double_submitted_purchase_form_buys_once():
    buyer = member()
    fund(buyer, "150")
    token = str(uuid.uuid4())
    results = run_in_threads(4, lambda _i: subscription_purchase(
        user=buyer, amount="100", use_bonus=False, token=token))
    assert not any(isinstance(r, Exception) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Subscription.objects.filter(user=buyer).count() == 1
    assert member_balance(user=buyer, code=AccountCode.MAIN) == Decimal("50")
    assert_ledger_invariants()


def test_simultaneous_purchases_cannot_overspend():
    buyer = member()
    fund(buyer, "250")
    results = run_in_threads(5, lambda _i: subscription_purchase(
        user=buyer, amount="100", use_bonus=False, token=str(uuid.uuid4())))
    bought = [r for r in results if isinstance(r, Subscription)]
    assert len(bought) == 2, results
    assert member_balance(user=buyer, code=AccountCode.MAIN) == Decimal("50")
    assert_ledger_invariants()
