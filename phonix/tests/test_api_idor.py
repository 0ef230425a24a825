"""No endpoint of /api/v1/ shows or changes another member's data, whatever ids it is given.

Every route is listed below; a new route without an entry fails the first test, so that each one
is tried with another member's ids before it ships.
"""

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver

from accounts.models import User
from accounts.tests.factories import UserFactory, api_client
from accounts.tokens import api_token_issue
from dashboard.models import Announcement, AnnouncementRead, Notification
from dashboard.services import notification_create
from dashboard.tests.factories import announcement
from investment.models import Subscription
from investment.tests.factories import buy
from phonix import api_urls
from wallet.custody.withdrawals import withdrawal_request
from wallet.models import LedgerAccount, Transaction, Withdrawal
from wallet.tests.factories import withdrawing_member

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
# Routes without a member's data: the schema and its documentation.
PUBLIC = {"schema", "docs", "redoc"}


def _patterns(patterns, prefix: str = ""):
    """Every URLPattern with its whole path, the apps' included ones too."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _routes() -> dict[str, str]:
    return {entry.name: path for path, entry in _patterns(api_urls.urlpatterns)
            if entry.name and entry.name not in PUBLIC}


@pytest.fixture
def victim():
    """Bravo: a subscription, a withdrawal, a downline member and an app token, all with marked amounts."""
    bravo = withdrawing_member(1000, username="bravo", email="bravo@example.com", first_name="Bravo")
    subscription = buy(bravo, "777")
    withdrawal = withdrawal_request(user=bravo, amount=Decimal("33.33"), password=PASSWORD,
                                    token="6b0f8a36-5b0e-4d1e-9f57-1e9b3c1f0a01")
    downline = UserFactory(username="bravo-child", sponsor=bravo)
    token, _text = api_token_issue(user=bravo)
    notification_create(user_id=bravo.pk, kind=Notification.Kind.RANK_ACHIEVED, params={"rank": "crown"})
    return {"user": User.objects.get(pk=bravo.pk), "subscription": subscription, "withdrawal": withdrawal,
            "downline": downline, "token": token, "notification": Notification.objects.get(user=bravo),
            "announcement": announcement(title="Investors only", audience=Announcement.Audience.INVESTORS)}


def _calls(victim) -> dict[str, tuple[str, str, dict]]:
    """route name → (method, path, body), aimed at the victim's objects wherever a route takes an id."""
    subscription_id, token_key = victim["subscription"].pk, victim["token"].token_key
    return {
        "register": ("post", "/api/v1/auth/register/", {}),
        "token": ("post", "/api/v1/auth/token/", {"login": "bravo", "password": "wrong"}),
        "tokens": ("get", "/api/v1/auth/tokens/", {}),
        "token_revoke": ("delete", f"/api/v1/auth/tokens/{token_key}/", {}),
        "logout": ("post", "/api/v1/auth/logout/", {}),
        "profile": ("patch", "/api/v1/profile/", {"first_name": "Mallory"}),
        "withdrawal_address": ("post", "/api/v1/profile/withdrawal-address/", {}),
        "export": ("get", "/api/v1/export/", {}),
        "team": ("get", "/api/v1/team/", {}),
        "team_members": ("get", "/api/v1/team/members/?level=all&q=bravo", {}),
        "team_tree": ("get", f"/api/v1/team/tree/{victim['user'].pk}/", {}),
        "dashboard": ("get", "/api/v1/dashboard/", {}),
        "announcements": ("get", "/api/v1/announcements/", {}),
        "announcements_read": ("post", "/api/v1/announcements/read/", {"ids": [victim["announcement"].pk]}),
        "notifications": ("get", "/api/v1/notifications/", {}),
        "notification_read": ("post", f"/api/v1/notifications/{victim['notification'].pk}/read/", {}),
        "notifications_read_all": ("post", "/api/v1/notifications/read-all/", {}),
        "plan": ("get", "/api/v1/plans/", {}),
        "subscriptions": ("get", "/api/v1/subscriptions/", {}),
        "purchase_preview": ("post", "/api/v1/subscriptions/preview/", {"amount": "50"}),
        "subscription": ("get", f"/api/v1/subscriptions/{subscription_id}/", {}),
        "subscription_generation": ("get", f"/api/v1/subscriptions/{subscription_id}/generation/", {}),
        "earnings": ("get", "/api/v1/earnings/", {}),
        "earnings_summary": ("get", "/api/v1/earnings/summary/", {}),
        "earnings_generation": ("get", "/api/v1/earnings/generation/", {}),
        "rank": ("get", "/api/v1/ranks/", {}),
        "transactions": ("get", "/api/v1/wallet/transactions/", {}),
        "deposit": ("get", "/api/v1/wallet/deposit/", {}),
        "withdrawals": ("get", "/api/v1/wallet/withdrawals/", {}),
        "ticker": ("get", "/api/v1/market/ticker/", {}),
        "miners": ("get", "/api/v1/mining/miners/", {}),
        "calculator": ("get", "/api/v1/mining/calculator/", {}),
        "compare": ("get", "/api/v1/mining/compare/", {}),
    }


def _state(victim) -> dict:
    bravo = victim["user"]
    return {
        "user": User.objects.filter(pk=bravo.pk).values("first_name", "email", "trc20_wallet_address").get(),
        "balances": dict(LedgerAccount.objects.filter(user=bravo).values_list("code", "balance")),
        "subscriptions": list(Subscription.objects.filter(user=bravo).values_list("pk", "amount")),
        "withdrawals": list(Withdrawal.objects.filter(user=bravo).values_list("pk", "status")),
        "history": Transaction.objects.filter(user=bravo).count(),
        "tokens": victim["user"].auth_token_set.count(),
        "notifications_unread": Notification.objects.filter(user=bravo, read_at__isnull=True).count(),
        "announcements_read": AnnouncementRead.objects.count(),
    }


def test_every_route_is_tried_with_another_members_ids(victim):
    assert set(_calls(victim)) == set(_routes())


def test_no_route_shows_or_changes_another_members_data(victim, settings):
    from wallet.custody.keys import account_xpub, mnemonic_generate

    settings.TRON_XPUB = account_xpub(mnemonic=mnemonic_generate())
    mallory = withdrawing_member(500, username="mallory")
    client = api_client(mallory)
    before = _state(victim)
    by_id = {"token_revoke", "team_tree", "subscription", "subscription_generation", "notification_read"}
    marks = ["bravo", "777.000000", "-33.330000", "33.330000", str(victim["user"].trc20_wallet_address), "Crown",
             "Investors only"]
    for name, (method, path, body) in _calls(victim).items():
        if name == "logout":
            continue  # revokes Mallory's own token: tried last
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code < 500, name
        if name in by_id:
            assert response.status_code == 404, (name, response.status_code)
        if name not in ("token", "register") and response.content:
            text = response.content.decode()
            assert not [mark for mark in marks if mark in text], name
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert _state(victim) == before
    # Mallory's own requests went through (the checks above are not all refusals).
    assert User.objects.get(pk=mallory.pk).first_name == "Mallory"
