from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from investment.selectors import next_payout_date, plan_current
from investment.tests.factories import buy

pytestmark = pytest.mark.django_db


def test_the_landing_page_shows_the_plan_in_force_and_the_rules(client):
    plan = plan_current()
    body = client.get(reverse("home")).content.decode()

    assert f'{plan.tier_3_rate.normalize():f}%' in body
    assert "Monday to Friday" in body and "3× cap" in body and "direct referrals" in body
    assert 'id="landing-generation"' in body and 'id="landing-ranks"' in body
    assert "5 % of the amount" in body or "% of the amount" in body
    assert f'href="{reverse("accounts:register")}"' in body and f'href="{reverse("mining:calculator")}"' in body


def test_the_landing_page_follows_a_plan_change(client):
    plan = plan_current()
    plan.pk = None
    plan.tier_3_rate = Decimal("12.5")
    plan.save()
    assert "12.500%" in client.get(reverse("home")).content.decode()


def test_the_dashboard_shows_active_subscriptions_and_the_referral_link(client, django_assert_max_num_queries):
    member = UserFactory()
    buy(member, "100")
    client.force_login(member)

    with django_assert_max_num_queries(17):
        body = client.get(reverse("dashboard:home")).content.decode()

    assert 'id="dashboard-subscriptions"' in body and f"Next payout {next_payout_date().isoformat()}" in body
    assert f"/r/{member.referral_code}/" in body and "<svg" in body
    assert 'id="referral-share"' in body and "dashboard/dashboard.js" in body


def test_a_referral_link_shows_who_invited_the_visitor(client):
    sponsor = UserFactory()
    body = client.get(f"/r/{sponsor.referral_code}/", follow=True).content.decode()
    assert f"Your sponsor will be <strong>{sponsor.display_name}</strong>" in body
    assert sponsor.email not in body
