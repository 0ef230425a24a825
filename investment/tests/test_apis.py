"""Investment endpoints of the JSON API: the plan, subscriptions, preview, purchase, generation levels."""

import pytest

from accounts.tests.factories import UserFactory, api_client
from investment.models import Subscription
from investment.tests.factories import buy
from wallet.models import AccountCode
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def test_the_plan_in_force_with_tiers_and_twenty_generation_levels():
    plan = api_client().get("/api/v1/plans/").json()
    assert plan["minimum_amount"] == "50.000000" and plan["cap_multiple"] == "3.000"
    assert [(t["code"], t["rate"]) for t in plan["tiers"]] == [("tier_1", "6.000"), ("tier_2", "8.000"),
                                                              ("tier_3", "10.000")]
    assert plan["tiers"][2]["high"] is None
    levels = plan["generation"]
    assert [row["level"] for row in levels] == list(range(1, 21))
    assert (levels[0]["rate"], levels[0]["directs"]) == ("10.000", 0)
    assert (levels[19]["rate"], levels[19]["directs"]) == ("0.300", 10)


def test_preview_shows_the_terms_and_writes_nothing(invariants):
    user = UserFactory()
    fund(user, 4000)
    preview = api_client(user).post("/api/v1/subscriptions/preview/", {"amount": "3500"}, format="json")
    assert preview.status_code == 200
    assert preview.json() | {"plan_version": 0} == {
        "amount": "3500.000000", "tier": "tier_2", "tier_label": "Tier 2", "monthly_rate": "8.000",
        "daily_income": "9.333333", "earnings_cap": "10500.000000", "bonus_used": "0.000000",
        "from_main": "3500.000000", "plan_version": 0,
    }
    assert not Subscription.objects.exists()
    below = api_client(user).post("/api/v1/subscriptions/preview/", {"amount": "49.99"}, format="json")
    assert below.status_code == 422 and below.json()["code"] == "invalid_amount"


def test_purchase_takes_the_money_and_lists_the_subscription(invariants):
    from wallet.ledger.accounts import member_account

    user = UserFactory()
    fund(user, 150)
    client = api_client(user)
    made = client.post("/api/v1/subscriptions/", {"amount": "120.5"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert made.status_code == 201
    body = made.json()
    assert body["amount"] == "120.500000" and body["tier"] == "tier_1" and body["state"] == "earning"
    assert member_account(user_id=user.pk, code=AccountCode.MAIN).balance == 29.5
    listed = client.get("/api/v1/subscriptions/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert client.get(f"/api/v1/subscriptions/{body['id']}/").json() == body
    assert client.get("/api/v1/subscriptions/", {"page": "9"}).json()["errors"]["page"]


def test_purchase_refusals_change_nothing(invariants):
    user = UserFactory()
    fund(user, 60)
    client = api_client(user)
    for amount, code in [("100", "insufficient_funds"), ("10", "invalid_amount")]:
        response = client.post("/api/v1/subscriptions/", {"amount": amount}, format="json",
                               HTTP_IDEMPOTENCY_KEY=f"key-{amount}")
        assert response.status_code == 422 and response.json()["code"] == code
    bonus = client.post("/api/v1/subscriptions/", {"amount": "50", "use_bonus": True}, format="json",
                        HTTP_IDEMPOTENCY_KEY="bonus")
    assert bonus.status_code == 422 and bonus.json()["code"] == "bonus_unavailable"
    old_plan = client.post("/api/v1/subscriptions/", {"amount": "50", "plan_version": 999999}, format="json",
                           HTTP_IDEMPOTENCY_KEY="plan")
    assert old_plan.status_code == 422 and old_plan.json()["code"] == "plan_changed"
    assert not Subscription.objects.exists()


def test_generation_levels_of_a_purchase_say_paid_skipped_or_no_upline(django_capture_on_commit_callbacks):
    top = UserFactory()
    buy(top, 100)
    middle = UserFactory(sponsor=top)
    buyer = UserFactory(sponsor=middle)
    with django_capture_on_commit_callbacks(execute=True):
        subscription = buy(buyer, 1000)
    levels = api_client(buyer).get(f"/api/v1/subscriptions/{subscription.pk}/generation/").json()
    assert [row["level"] for row in levels] == list(range(1, 21))
    # Level 1 (middle) has invested nothing: no cap room. Level 2 (top) is paid 5 %.
    assert levels[0]["outcome"] in ("skipped", "capped") and levels[0]["amount"] == "0.000000"
    assert (levels[1]["outcome"], levels[1]["amount"]) == ("paid", "50.000000")
    assert {row["outcome"] for row in levels[2:]} == {"no_upline"}
    assert "username" not in str(levels)
