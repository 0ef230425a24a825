import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from earnings.models import Commission
from earnings.services import daily_income_pay, generation_distribute
from earnings.templatetags.commissions import skip_explained
from earnings.tests.factories import member as make_member
from investment.tests.factories import buy

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def sponsor(client):
    user = make_member(invested="100", extra_directs=0)
    client.force_login(user)
    return user


def test_the_earnings_page_totals_each_kind_against_the_cap(client, sponsor, django_assert_max_num_queries):
    buyer = make_member(sponsor=sponsor)
    generation_distribute(subscription_id=buy(buyer, "1000").pk)  # 100 to the sponsor, under a 300 cap
    daily_income_pay(payout_date=MONDAY)  # 0.2 of the sponsor's own
    with django_assert_max_num_queries(8):
        response = client.get(reverse("earnings:overview"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "100.00" in body and "0.20" in body
    assert "100.20 of your 300.00 USDT cap earned; 199.80 USDT left." in body
    assert 'id="earnings-chart-data"' in body


def test_the_history_filters_by_kind(client, sponsor):
    buyer = make_member(sponsor=sponsor)
    generation_distribute(subscription_id=buy(buyer, "1000").pk)
    daily_income_pay(payout_date=MONDAY)
    response = client.get(reverse("earnings:overview"), {"type": "daily_income"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Daily income of subscription" in body
    assert "generation income" not in body


def test_a_member_sees_why_a_downline_purchase_did_not_pay_them(client, django_assert_max_num_queries):
    top = make_member(invested="100")  # level 3 needs 2 direct referrals; top has 1
    client.force_login(top)
    middle = make_member(sponsor=top, invested="100")
    buyer = make_member(sponsor=make_member(sponsor=middle, invested="100"))
    generation_distribute(subscription_id=buy(buyer, "1000").pk)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("earnings:generation"))
    body = response.content.decode()
    assert "Not enough direct referrals" in body
    assert buyer.username in body


def test_the_dashboard_shows_the_same_totals(client, sponsor):
    buyer = make_member(sponsor=sponsor)
    generation_distribute(subscription_id=buy(buyer, "1000").pk)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "100.00 of your 300.00 USDT cap earned" in body
    assert Decimal("100") == sponsor.__class__.objects.get(pk=sponsor.pk).total_earnings


def test_a_skipped_level_says_what_was_missing(client):
    top = make_member(invested="100")  # level 3 needs 2 direct referrals; top has 1
    client.force_login(top)
    middle = make_member(sponsor=top, invested="100")
    near = make_member(sponsor=middle, invested="100")
    near.__class__.objects.filter(pk=near.pk).update(is_active=False)
    generation_distribute(subscription_id=buy(make_member(sponsor=near), "1000").pk)

    body = client.get(reverse("earnings:generation")).content.decode()
    assert "This level needs 2 direct referrals; you had 1." in body

    skipped = Commission.objects.get(user=near)
    assert skipped.skip_reason == Commission.SkipReason.DISABLED
    assert skip_explained(skipped) == "Account deactivated."


def test_generation_income_has_one_name_and_two_place_amounts(client, sponsor):
    buyer = make_member(sponsor=sponsor)
    generation_distribute(subscription_id=buy(buyer, "6197.360775").pk)

    body = client.get(reverse("earnings:overview")).content.decode()

    assert f"generation income from {buyer.username}&#x27;s purchase of 6,197.36 USDT" in body
    assert "6197.360775" not in body and ">Commission<" not in body
    assert "<td>Generation income</td>" in body
