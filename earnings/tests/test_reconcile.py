"""reconcile_ledger proves the figures every cap depends on, and lists any that drifted."""

import datetime as dt
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.models import User
from earnings.reconcile import member_totals_reconcile
from earnings.services import daily_income_pay, generation_distribute
from earnings.tests.factories import member
from investment.models import Subscription
from investment.tests.factories import buy
from ranks.services import weekly_bonuses_pay
from ranks.tests.test_services import FIRST_MONDAY, ranked
from wallet.custody.withdrawals import withdrawal_request
from wallet.models import Withdrawal
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def activity():
    """Every kind of earning, a purchase and an open withdrawal, all through the services."""
    sponsor = ranked("5000", "5000", own="1000")  # a connector: 50 a week
    weekly_bonuses_pay(week=FIRST_MONDAY)
    User.objects.filter(pk=sponsor.pk).update(is_active_investor=True)  # the rank helper invests around the service
    buyer = member(sponsor=sponsor)
    subscription = buy(buyer, "1000")
    generation_distribute(subscription_id=subscription.pk)
    daily_income_pay(payout_date=dt.date(2030, 1, 7))
    User.objects.filter(pk=buyer.pk).update(
        trc20_wallet_address=PrivateKey.random().public_key.to_base58check_address(),
        withdrawal_address_changed_at=timezone.now() - timedelta(days=2),
    )
    buyer.refresh_from_db()
    fund(buyer, "100")
    withdrawal = withdrawal_request(user=buyer, amount="40", password="correct-horse-battery",
                                    token=str(uuid.uuid4()))
    return {"sponsor": sponsor, "buyer": buyer, "subscription": subscription, "withdrawal": withdrawal}


def test_consistent_totals_pass(activity, invariants):
    sponsor = User.objects.get(pk=activity["sponsor"].pk)
    assert sponsor.total_earnings == D("152")  # 50 weekly bonus, 100 generation income, 2 daily income
    report = member_totals_reconcile()
    assert report.listed == []
    assert report.ok
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out, stderr=io.StringIO())
    assert "member totals: 0 drifted total_earnings, 0 drifted total_invested, 0 drifted total_earned, " \
           "0 drifted withdrawal_hold" in out.getvalue()


def _drift_earnings(a):
    User.objects.filter(pk=a["sponsor"].pk).update(total_earnings=D("149"))
    return "total_earnings", a["sponsor"].pk, D("149"), D("152")


def _drift_invested(a):
    User.objects.filter(pk=a["buyer"].pk).update(total_invested=D("1500"))
    return "total_invested", a["buyer"].pk, D("1500"), D("1000")


def _drift_earned(a):
    Subscription.objects.filter(pk=a["subscription"].pk).update(total_earned=D("0"))
    return "total_earned", a["subscription"].pk, D("0"), D("2")


def _drift_hold(a):
    # Marked completed without the hold being settled in the ledger.
    Withdrawal.objects.filter(pk=a["withdrawal"].pk).update(status=Withdrawal.Status.COMPLETED)
    return "withdrawal_hold", a["buyer"].pk, D("40"), D("0")


@pytest.mark.parametrize("drift", [_drift_earnings, _drift_invested, _drift_earned, _drift_hold])
def test_each_drifted_figure_is_listed_and_fails_the_command(activity, drift):
    check, row_id, stored, actual = drift(activity)
    report = member_totals_reconcile()
    assert not report.ok
    assert report.found == {check: 1}
    [listed] = report.listed
    assert (listed.check, listed.id, listed.stored, listed.actual) == (check, row_id, stored, actual)

    err = io.StringIO()
    with pytest.raises(CommandError, match=rf"DRIFT — .*1 drifted {check}") as error:
        call_command("reconcile_ledger", stdout=io.StringIO(), stderr=err)
    assert error.value.returncode == 1
    assert str(listed) in err.getvalue()
    assert f"{stored:f}" in str(listed) and f"{actual:f}" in str(listed)


def test_a_member_with_open_withdrawals_but_no_hold_account_is_listed(activity):
    other = member()
    Withdrawal.objects.create(user=other, amount=D("12"), fee=D("0"), net_amount=D("12"),
                              address=activity["buyer"].trc20_wallet_address)
    report = member_totals_reconcile()
    assert [(d.check, d.id, d.stored, d.actual) for d in report.listed] == [("withdrawal_hold", other.pk, 0, D("12"))]
