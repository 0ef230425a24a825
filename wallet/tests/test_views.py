import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from investment.tests.factories import buy
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.postings import HistoryLine, ledger_post
from wallet.models import LedgerTransaction, Transaction
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


def test_bad_page_and_filter_values_answer_400_with_the_reason(client):
    member = UserFactory()
    client.force_login(member)
    refused = client.get("/wallet/transactions/?page=abc&type=<script>")
    assert refused.status_code == 400
    assert "Page: Enter a whole number." in refused.content.decode()
    assert "&lt;script&gt;" in refused.content.decode() and "<script>" not in refused.content.decode()
    assert client.get("/wallet/transactions/?page=99999").status_code == 200  # past the end: the last page


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
    with django_assert_max_num_queries(18):  # one of them the page cache's look-up of the versions
        client.get("/dashboard/")


def _history_line(user, *, type, amount, status=Transaction.Status.COMPLETED, days_ago=0, **fields):
    line = Transaction.objects.create(user=user, type=type, amount=Decimal(amount), net_amount=Decimal(amount),
                                      status=status, **fields)
    Transaction.objects.filter(pk=line.pk).update(created_at=line.created_at - timedelta(days=days_ago))
    return line


def test_history_filters_by_type_status_and_date_range(client):
    member = UserFactory()
    _history_line(member, type=Transaction.Type.DEPOSIT, amount="11", days_ago=10)
    _history_line(member, type=Transaction.Type.DEPOSIT, amount="22", days_ago=3)
    _history_line(member, type=Transaction.Type.WITHDRAWAL, amount="33", status=Transaction.Status.PENDING,
                  days_ago=3, wallet_address="TXa")
    client.force_login(member)
    today = timezone.now().date()

    def amounts(**params):
        return sorted(str(t.amount) for t in client.get("/wallet/transactions/", params).context["page"])

    assert amounts(type="deposit") == ["11.000000", "22.000000"]
    assert amounts(status="pending") == ["33.000000"]
    assert amounts(since=(today - timedelta(days=5)).isoformat()) == ["22.000000", "33.000000"]
    assert amounts(until=(today - timedelta(days=10)).isoformat()) == ["11.000000"]  # the day itself counts
    refused = client.get("/wallet/transactions/", {"type": "deposit", "since": "not-a-date"})
    assert refused.status_code == 400 and "From (UTC): Enter a valid date." in refused.content.decode()


def test_debits_are_shown_negative_and_credits_positive(client):
    member = UserFactory()
    buy(member, "100")
    client.force_login(member)

    body = client.get("/wallet/transactions/").content.decode()

    assert 'amount-debit">-100.00</td>' in body  # the purchase
    assert 'amount-credit">+100.00</td>' in body  # the funding that paid for it


def test_deposit_and_withdrawal_txids_link_to_the_explorer(client, settings):
    settings.TRON_EXPLORER_TX_URL = "https://nile.tronscan.org/#/transaction/{txid}"
    member = UserFactory()
    _history_line(member, type=Transaction.Type.DEPOSIT, amount="5", txn_hash="ab" * 32)
    client.force_login(member)

    body = client.get("/wallet/transactions/").content.decode()

    assert f'href="https://nile.tronscan.org/#/transaction/{"ab" * 32}"' in body
    assert 'rel="noopener noreferrer"' in body


def test_csv_exports_the_filtered_rows_with_signed_amounts(client):
    member = UserFactory()
    buy(member, "60")
    _history_line(member, type=Transaction.Type.DEPOSIT, amount="9", days_ago=40)
    client.force_login(member)

    response = client.get("/wallet/transactions/", {"type": "purchase", "format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["date_utc", "type", "amount_usdt"]
    assert [(r[1], r[2]) for r in rows[1:]] == [("purchase", "-60.000000")]
    assert rows[1][7].startswith("Subscription #")
    everything = list(csv.reader(io.StringIO(client.get("/wallet/transactions/?format=csv").content.decode())))
    assert len(everything) == 1 + 3  # funding, purchase, deposit


def test_the_csv_link_and_pages_keep_the_filters(client):
    member = UserFactory()
    _credit_many(member, 30)
    client.force_login(member)

    body = client.get("/wallet/transactions/", {"type": "daily_income"}).content.decode()

    assert 'href="/wallet/transactions/?type=daily_income&amp;format=csv"' in body
    assert 'href="?type=daily_income&amp;page=2"' in body


def test_descriptions_follow_the_readers_language(client):
    member = UserFactory()
    subscription = buy(member, "6197.360775")
    client.force_login(member)

    english = client.get("/wallet/transactions/?type=purchase").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get("/wallet/transactions/?type=purchase").content.decode()

    assert f"Subscription #{subscription.pk} (Tier 3, 10% a month)" in english
    assert f"认购 #{subscription.pk}" in chinese and "a month" not in chinese
