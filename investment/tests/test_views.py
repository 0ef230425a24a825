import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from investment.models import PlanVersion, Subscription
from investment.selectors import next_payout_date, plan_current
from investment.tests.factories import buy
from wallet.ledger.history import member_balance
from wallet.models import AccountCode
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

URL = "/invest/"


@pytest.fixture
def member(client):
    user = UserFactory()
    client.force_login(user)
    return user


def purchase_data(amount, *, step, use_bonus=False, token=None, plan_version=None):
    data = {"amount": amount, "token": token or str(uuid.uuid4()), "step": step,
            "plan_version": plan_version or plan_current().pk}
    if use_bonus:
        data["use_bonus"] = "on"
    return data


def test_the_page_shows_the_tiers_and_a_fresh_form(client, member):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tier 3" in body and "10%" in body
    assert 'name="token"' in body


def test_the_preview_shows_the_terms_and_writes_nothing(client, member):
    fund(member, "10", AccountCode.BONUS)
    fund(member, "3490")
    response = client.post(URL, purchase_data("3500", step="preview", use_bonus=True))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tier 2" in body
    assert "9.333333" in body  # 3500 × 8 % / 30, rounded down
    assert "10,500.00" in body  # the 3× cap
    assert "Confirm purchase" in body
    assert "3,490.00" in body  # from main, after the 10 USDT bonus
    assert not Subscription.objects.exists()


def test_confirming_buys_once_even_when_submitted_twice(client, member):
    fund(member, "150")
    data = purchase_data("100", step="confirm")
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == reverse("investment:subscriptions")
    assert Subscription.objects.filter(user=member).count() == 1
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "is not a number"),
        ("1e3", "is not a number"),
        ("１００", "is not a number"),
        ("1_0", "is not a number"),
        ("-5", "must be positive"),
        ("0", "must not be zero"),
        ("100.1234567", "at most 6 decimal places"),
        ("49.99", "minimum subscription is 50"),
        ("100.01", "needs 100.01 USDT from your main balance"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(client, member, amount, message):
    fund(member, "100")
    for step in ("preview", "confirm"):
        response = client.post(URL, purchase_data(amount, step=step))
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Subscription.objects.exists()
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("100")


def test_a_spent_bonus_is_refused(client, member):
    fund(member, "200")
    response = client.post(URL, purchase_data("100", step="confirm", use_bonus=True))
    assert "already been used" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_plan_change_before_confirming_is_refused(client, member):
    fund(member, "100")
    seen = plan_current().pk
    PlanVersion.objects.create(note="new rates", tier_1_rate=Decimal("7"))
    response = client.post(URL, purchase_data("100", step="confirm", plan_version=seen))
    assert "plan changed" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_subscriptions_page_shows_progress_and_status(client, member, django_assert_max_num_queries):
    subscription = buy(member, "100")
    Subscription.objects.filter(pk=subscription.pk).update(total_earned=Decimal("150"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("investment:subscriptions"))
    body = response.content.decode()
    assert 'max="100" value="50"' in body and "Active" in body
    assert ">150.00 of 300.00 USDT<" in body
    assert "Earning daily income every weekday." in body
    assert next_payout_date().isoformat() in body


def test_a_subscription_at_the_members_cap_says_why_it_pays_nothing(client, member):
    buy(member, "100")
    member.__class__.objects.filter(pk=member.pk).update(total_earnings=Decimal("300"))

    body = client.get(reverse("investment:subscriptions")).content.decode()

    assert "At your 3× cap: invest more to resume." in body and "Paused" in body


def test_a_completed_subscription_says_so_without_a_next_payout(client, member):
    subscription = buy(member, "100")
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False, total_earned=Decimal("300"),
                                                          completed_at=timezone.now())

    body = client.get(reverse("investment:subscriptions")).content.decode()

    assert "Completed: it earned its whole cap." in body and next_payout_date().isoformat() not in body


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-12-04T10:00:00+00:00", "2026-12-07"),  # Friday → Monday
    ("2026-12-05T23:59:00+00:00", "2026-12-07"),  # Saturday → Monday
    ("2026-12-07T00:30:00+00:00", "2026-12-08"),  # Monday after the run → Tuesday
])
def test_the_next_payout_is_the_next_weekday(now, expected):
    import datetime as dt
    assert next_payout_date(now=dt.datetime.fromisoformat(now)).isoformat() == expected


def test_pages_need_a_login(client):
    assert client.get(URL).status_code == 302
    assert client.get(reverse("investment:subscriptions")).status_code == 302


def test_change_on_the_preview_brings_back_the_form_with_the_amount(client, member):
    fund(member, "500")
    data = purchase_data("120.5", step="edit", use_bonus=True)

    body = client.post(URL, data, HTTP_HX_REQUEST="true").content.decode()

    assert "Confirm purchase" not in body
    assert 'name="amount" value="120.5"' in body
    assert 'name="use_bonus"' in body and "checked" in body
    assert 'value="preview"' in body
    assert not Subscription.objects.exists()
