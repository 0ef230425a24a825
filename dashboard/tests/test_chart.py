"""The dashboard's balance and earnings chart against hand-computed figures."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from dashboard.selectors import balance_chart, balance_chart_data
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, LedgerTransaction
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

D = Decimal


def _post(user, kind: str, amount: str, *, code=AccountCode.MAIN, source=AccountCode.PAYOUTS, target=None):
    account = member_account(user_id=user.pk, code=code).pk
    other = target.pk if target else platform_account(source).pk
    ledger_post(key=f"chart-test:{kind}:{user.pk}:{amount}", kind=kind,
                entries=[(other, -D(amount)), (account, D(amount))])


@pytest.fixture
def member():
    """Today: +100 main (adjustment), +10 bonus, +2.5 daily income, +1.25 generation income,
    −30 main to withdrawal_hold. Balance (main + bonus) 83.75; earned 3.75."""
    user = UserFactory()
    fund(user, "100")
    fund(user, "10", code=AccountCode.BONUS)
    _post(user, LedgerTransaction.Kind.DAILY_INCOME, "2.5")
    _post(user, LedgerTransaction.Kind.COMMISSION, "1.25")
    hold = member_account(user_id=user.pk, code=AccountCode.WITHDRAWAL_HOLD)
    ledger_post(key=f"chart-test:hold:{user.pk}", kind=LedgerTransaction.Kind.WITHDRAWAL,
                entries=[(member_account(user_id=user.pk, code=AccountCode.MAIN).pk, D("-30")), (hold.pk, D("30"))])
    return user


def test_each_day_has_the_end_of_day_balance_and_that_days_earnings(member):
    today = timezone.now().astimezone(dt.UTC).date()
    rows = balance_chart(user=member, days=5, today=today + dt.timedelta(days=2))
    assert [r.day for r in rows] == [today + dt.timedelta(days=n) for n in range(-2, 3)]
    assert [r.balance for r in rows] == [D(0), D(0), D("83.75"), D("83.75"), D("83.75")]
    assert [r.earned for r in rows] == [D(0), D(0), D("3.75"), D(0), D(0)]


def test_a_window_after_the_moves_starts_from_the_balance_they_left(member):
    today = timezone.now().astimezone(dt.UTC).date()
    rows = balance_chart(user=member, days=2, today=today + dt.timedelta(days=3))
    assert [(r.balance, r.earned) for r in rows] == [(D("83.75"), D(0)), (D("83.75"), D(0))]


def test_another_members_moves_never_show(member):
    assert all(r.balance == 0 and r.earned == 0 for r in balance_chart(user=UserFactory(), days=30))


def test_the_page_carries_365_days_for_the_switch(client, member):
    client.force_login(member)
    body = client.get(reverse("dashboard:home")).content.decode()
    start = body.index('id="balance-chart-data"')
    data = json.loads(body[body.index(">", start) + 1 : body.index("</script>", start)])
    assert len(data["labels"]) == 365 and data["balance"][-1] == "83.75" and data["earned"][-1] == "3.75"
    assert data == balance_chart_data(user=member)
    assert 'data-days="90"' in body and "vendor/chartjs/chart.umd.min.js" in body


def test_the_chart_is_one_query(member, django_assert_num_queries):
    with django_assert_num_queries(1):
        balance_chart(user=member)


def test_the_dashboard_shows_both_legs_against_the_next_rank(client):
    from ranks.tests.factories import invest

    sponsor = UserFactory()
    invest(UserFactory(sponsor=sponsor), "3000")
    invest(UserFactory(sponsor=sponsor), "1200")
    client.force_login(sponsor)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="dashboard-main-leg">3,000.00 / 5,000.00 USDT' in body
    assert 'id="dashboard-other-legs">1,200.00 / 5,000.00 USDT' in body
    assert "pct-60" in body and "pct-24" in body  # 3000 / 5000 and 1200 / 5000 of the connector rank
