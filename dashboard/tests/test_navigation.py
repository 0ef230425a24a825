import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "dashboard:home", "wallet:overview", "wallet:transactions", "wallet:deposit", "wallet:withdraw",
    "investment:plans", "investment:subscriptions", "earnings:overview", "earnings:generation",
    "ranks:overview", "team:home", "accounts:profile", "accounts:security", "mining:calculator",
    "mining:compare",
]
MENU_LINKS = ["wallet:deposit", "wallet:withdraw", "investment:subscriptions", "wallet:transactions"]


@pytest.fixture
def member_client(client):
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_every_member_page_links_to_deposit_withdraw_and_subscriptions(member_client, page):
    response = member_client.get(reverse(page))

    assert response.status_code == 200
    body = response.content.decode()
    for target in MENU_LINKS:
        assert f'href="{reverse(target)}"' in body, target


@pytest.mark.parametrize("page", ["wallet:deposit", "wallet:withdraw", "investment:subscriptions", "ranks:overview"])
def test_the_current_page_is_marked_in_the_menu(member_client, page):
    body = member_client.get(reverse(page)).content.decode()

    assert f'active" href="{reverse(page)}" aria-current="page"' in body
    assert body.count('aria-current="page"') == 1


@pytest.mark.parametrize("page", ["dashboard:home", "wallet:overview"])
def test_dashboard_and_wallet_offer_quick_actions(member_client, page):
    body = member_client.get(reverse(page)).content.decode()

    actions = body.split('class="d-flex flex-wrap gap-2 mb-4 quick-actions"', 1)[1].split("</nav>", 1)[0]
    for target in ["wallet:deposit", "wallet:withdraw", "investment:plans", "investment:subscriptions"]:
        assert f'href="{reverse(target)}"' in actions


def test_the_phone_menu_toggles_the_collapsed_navigation(member_client):
    body = member_client.get(reverse("dashboard:home")).content.decode()

    assert 'data-bs-target="#main-nav"' in body and 'id="main-nav"' in body
    assert "vendor/bootstrap/js/bootstrap.bundle.min.js" in body  # collapse and dropdowns need it


def test_visitors_see_register_and_log_in_but_no_wallet(client):
    body = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("accounts:register")}"' in body and f'href="{reverse("accounts:login")}"' in body
    assert f'href="{reverse("wallet:deposit")}"' not in body
