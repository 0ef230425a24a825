"""Earnings endpoints of the JSON API: history with filters and cursor, summary, generation decisions."""

import datetime as dt

import pytest

from accounts.tests.factories import api_client
from earnings.services import daily_income_pay, generation_distribute
from earnings.tests.factories import member as make_member
from investment.tests.factories import buy
from wallet.models import Transaction

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def earned():
    """A sponsor paid 100 of generation income (1000 bought below) and 0.2 of daily income."""
    sponsor = make_member(invested="100")
    buyer = make_member(sponsor=sponsor)
    generation_distribute(subscription_id=buy(buyer, "1000").pk)
    daily_income_pay(payout_date=MONDAY)
    return sponsor, buyer


def test_the_summary_totals_each_kind_against_the_cap(earned):
    sponsor, _buyer = earned
    summary = api_client(sponsor).get("/api/v1/earnings/summary/").json()
    assert (summary["generation"], summary["daily_income"]) == ("100.000000", "0.200000")
    assert (summary["counted"], summary["cap"], summary["room"]) == ("100.200000", "300.000000", "199.800000")


def test_the_history_filters_by_type_and_dates(earned):
    sponsor, _buyer = earned
    client = api_client(sponsor)
    everything = client.get("/api/v1/earnings/").json()["results"]
    assert {row["type"] for row in everything} == {"commission", "daily_income"}
    daily = client.get("/api/v1/earnings/", {"type": "daily_income"}).json()["results"]
    assert [row["amount"] for row in daily] == ["0.200000"] and "Daily income" in daily[0]["description"]
    Transaction.objects.filter(user=sponsor, type="commission").update(
        created_at=dt.datetime(2020, 5, 1, 12, tzinfo=dt.UTC))
    in_may = client.get("/api/v1/earnings/", {"since": "2020-05-01", "until": "2020-05-01"}).json()["results"]
    assert [row["type"] for row in in_may] == ["commission"]
    assert client.get("/api/v1/earnings/", {"type": "purchase"}).status_code == 400
    assert client.get("/api/v1/earnings/", {"until": "2020-13-01"}).status_code == 400


def test_the_history_pages_by_cursor_newest_first(earned):
    sponsor, _buyer = earned
    client = api_client(sponsor)
    first = client.get("/api/v1/earnings/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1 and second["next"] is None
    assert first["results"][0]["created_at"] >= second["results"][0]["created_at"]


def test_generation_decisions_say_why_nothing_was_paid():
    top = make_member(invested="100")  # level 3 needs 2 direct referrals; top has 1
    middle = make_member(sponsor=top, invested="100")
    buyer = make_member(sponsor=make_member(sponsor=middle, invested="100"))
    generation_distribute(subscription_id=buy(buyer, "1000").pk)
    rows = api_client(top).get("/api/v1/earnings/generation/").json()["results"]
    assert len(rows) == 1
    assert (rows[0]["level"], rows[0]["skip_reason"], rows[0]["amount"]) == (3, "directs", "0.000000")
    assert (rows[0]["directs_had"], rows[0]["directs_needed"]) == (1, 2)
    assert rows[0]["from_member"] == buyer.username and rows[0]["purchase_amount"] == "1000.000000"
