"""Dashboard endpoint of the JSON API."""

import pytest

from accounts.tests.factories import UserFactory, api_client
from investment.tests.factories import buy
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def test_balances_earnings_cap_room_and_rank_in_one_call(django_assert_max_num_queries):
    member = UserFactory()
    buy(member, 100)
    fund(member, 7)
    client = api_client(member)
    with django_assert_max_num_queries(20):
        response = client.get("/api/v1/dashboard/")
    body = response.json()
    balances = {row["code"]: row["amount"] for row in body["balances"]}
    assert balances["main"] == "7.000000" and balances["bonus"] == "0.000000"
    earnings = body["earnings"]
    assert (earnings["invested"], earnings["cap"], earnings["room"]) == ("100.000000", "300.000000", "300.000000")
    assert earnings["daily_income"] == "0.000000"
    assert body["rank"]["rank_code"] == "none" and body["rank"]["next_step"]["code"] == "connector"
    other = api_client(UserFactory()).get("/api/v1/dashboard/").json()
    assert {row["amount"] for row in other["balances"]} == {"0.000000"}
