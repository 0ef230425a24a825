from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallet.models import LedgerTransaction, Transaction
from wallet.services import HistoryLine, ledger_post, member_account, platform_account
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def _credit_many(user, count: int) -> None:
    main = member_account(user_id=user.pk, code="main")
    payouts = platform_account("payouts")
    for i in range(count):
        ledger_post(
            key=f"view:{user.pk}:{i}", kind=LedgerTransaction.Kind.DAILY_INCOME,
            entries=[(main.id, Decimal("1.25")), (payouts.id, Decimal("-1.25"))],
            history=[HistoryLine(user_id=user.pk, type=Transaction.Type.DAILY_INCOME, amount=Decimal("1.25"),
                                 description=f"payout {i}")],
        )


@pytest.mark.parametrize("url", ["/dashboard/", "/wallet/", "/wallet/transactions/"])
def test_member_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_wallet_shows_each_account_balance_with_two_places(client):
    member = UserFactory()
    fund(member, "1234.567891")
    fund(member, "10", code="bonus")
    client.force_login(member)

    page = client.get("/wallet/").content.decode()

    assert 'data-account="main">1,234.56 <small' in page
    assert 'data-account="bonus">10.00 <small' in page
    assert 'data-account="withdrawal_hold">0.00 <small' in page


def test_history_is_paginated_newest_first_and_private(client):
    member, other = UserFactory(), UserFactory()
    _credit_many(member, 30)
    fund(other, "99", code="main")
    client.force_login(member)

    first = client.get("/wallet/transactions/").content.decode()
    second = client.get("/wallet/transactions/?page=2").content.decode()

    assert "payout 29" in first and "payout 5" in first and "payout 4" not in first
    assert "payout 4" in second and "payout 0" in second
    assert "Page 2 of 2" in second
    assert "99.00" not in first + second  # another member's credit never shows


def test_history_filter_and_htmx_partial(client):
    member = UserFactory()
    _credit_many(member, 2)
    fund(member, "7")
    client.force_login(member)

    filtered = client.get("/wallet/transactions/?type=adjustment", HTTP_HX_REQUEST="true")

    body = filtered.content.decode()
    assert filtered.templates[0].name == "wallet/partials/_history.html"
    assert "Adjustment" in body and "payout 0" not in body


def test_bad_page_and_filter_values_do_not_fail(client):
    member = UserFactory()
    client.force_login(member)
    assert client.get("/wallet/transactions/?page=abc&type=<script>").status_code == 200
    assert client.get("/wallet/transactions/?page=99999").status_code == 200


def test_dashboard_shows_balances_and_recent_history(client):
    member = UserFactory()
    _credit_many(member, 3)
    client.force_login(member)

    page = client.get("/dashboard/").content.decode()

    assert 'data-account="main">3.75 <small' in page
    assert "Daily income" in page


def test_pages_render_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    member = UserFactory()
    _credit_many(member, 40)
    client.force_login(member)
    with django_assert_max_num_queries(12):
        client.get("/wallet/transactions/?page=2")
    with django_assert_max_num_queries(12):
        client.get("/dashboard/")
