import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from earnings.models import Commission
from earnings.services import daily_income_pay
from earnings.tests.factories import member
from investment.models import Subscription
from investment.tests.factories import buy

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


def on(weekday: int) -> dt.date:
    return MONDAY + dt.timedelta(days=weekday)


def pay(*args) -> str:
    out = io.StringIO()
    call_command("pay_daily_income", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_date_after_today_is_refused_with_exit_status_1(invariants, monkeypatch):
    subscription = buy(member(), "100")
    monkeypatch.setattr("earnings.services.payout_today", lambda: MONDAY)
    with pytest.raises(CommandError, match=r"cannot be paid for 2030-01-08: it is after today \(2030-01-07") as error:
        pay("--date", "2030-01-08")
    assert error.value.returncode == 1
    assert not Commission.objects.exists()
    assert Subscription.objects.get(pk=subscription.pk).daily_paid_through is None


def test_without_a_date_it_catches_up_to_today_like_the_scheduled_job(invariants, monkeypatch):
    buy(member(), "100")
    daily_income_pay(payout_date=MONDAY)
    monkeypatch.setattr("earnings.services.payout_today", lambda: on(10))  # a Thursday, 9 weekdays missed
    line = pay()
    assert "paid daily income for 2030-01-08 … 2030-01-17 (8 weekdays): 8 payouts, 1.600000 USDT" in line
    assert Commission.objects.count() == 9


def test_a_re_run_of_a_paid_date_says_so_and_succeeds(invariants):
    buy(member(), "100")
    daily_income_pay(payout_date=MONDAY)
    line = pay("--date", str(MONDAY))
    assert "0 payouts" in line and "1 subscriptions were already settled for 2030-01-07 (not paid twice)" in line


def test_a_date_that_subscriptions_have_passed_unpaid_fails_with_the_count_and_the_reason(invariants):
    paid = buy(member(), "100")
    passed = buy(member(), "100")
    for weekday in range(3):
        daily_income_pay(payout_date=on(weekday))
    # Settled through Wednesday without Tuesday's payout (an older run went back at most a week).
    Commission.objects.filter(source_subscription=passed, payout_date=on(1)).delete()
    with pytest.raises(CommandError) as error:
        pay("--date", str(on(1)))
    message = str(error.value)
    assert "1 subscriptions were already settled for 2030-01-08" in message
    assert "1 subscriptions skipped: they were settled through a later date without a payout for 2030-01-08" in message
    assert Commission.objects.filter(payout_date=on(1)).count() == 1
    assert Subscription.objects.get(pk=paid.pk).total_earned == Decimal("0.6")


def test_a_weekend_date_pays_nothing_and_says_why(invariants):
    buy(member(), "100")
    daily_income_pay(payout_date=on(4))
    assert pay("--date", str(on(5))) == "2030-01-12 is a Saturday: no daily income is paid at weekends\n"


def test_a_dry_run_writes_nothing(invariants):
    buy(member(), "100")
    assert "DRY RUN — would pay daily income for 2030-01-07: 1 payouts" in pay("--date", str(MONDAY), "--dry-run")
    assert not Commission.objects.exists()
