"""Rate limits answer 429 with a page that says how long to wait, and a Retry-After header."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import recovery_codes_regenerate
from accounts.tests.factories import UserFactory
from wallet.models import Withdrawal
from wallet.tests.conftest import assert_ledger_invariants
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
ADDRESS = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"  # any valid address that is not one of the platform's


@pytest.fixture
def limit(settings):
    def set_limit(group: str, rate: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, group: rate}
    return set_limit


def assert_limited(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Please wait" in response.content.decode()


def _join(client, n, ip):
    return client.post(reverse("accounts:register"), {
        "username": f"newbie{n}", "email": f"newbie{n}@example.com", "password1": "Sturdy-pass-2026",
        "password2": "Sturdy-pass-2026", "referral_code": "",
    }, REMOTE_ADDR=ip)


def test_registrations_are_limited_per_address(client, limit):
    limit("registration", "3/h")
    for n in range(3):
        assert _join(client, n, "10.0.0.7").status_code == 302
        client.logout()
    assert User.objects.filter(username__startswith="newbie").count() == 3
    assert_limited(_join(client, 3, "10.0.0.7"))
    assert not User.objects.filter(username="newbie3").exists()
    assert _join(client, 4, "10.0.0.8").status_code == 302  # another address is not affected


@pytest.fixture
def member():
    user = UserFactory()
    user.trc20_wallet_address = ADDRESS
    user.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
    user.save()
    fund(user, 500)
    return user


def _withdraw(client, amount="20", password=PASSWORD):
    return client.post(reverse("wallet:withdraw"), {"amount": amount, "password": password,
                                                    "token": str(uuid.uuid4())})


def test_withdrawal_requests_are_limited_per_member(client, limit, member):
    limit("withdrawal", "2/h")
    client.force_login(member)
    assert [_withdraw(client).status_code for _ in range(2)] == [302, 302]
    assert_limited(_withdraw(client))
    assert Withdrawal.objects.filter(user=member).count() == 2
    other = UserFactory()
    client.force_login(other)
    assert _withdraw(client).status_code == 200  # counted apart (refused for its own reasons)
    assert_ledger_invariants()


def test_withdrawal_address_changes_are_limited_per_member(client, limit, member):
    limit("address_change", "2/h")
    client.force_login(member)
    for _ in range(2):
        response = client.post(reverse("accounts:profile"),
                               {"save_address": "1", "address": ADDRESS, "password": PASSWORD})
        assert response.status_code == 302
    assert_limited(client.post(reverse("accounts:profile"),
                               {"save_address": "1", "address": ADDRESS, "password": PASSWORD}))


def test_every_in_session_password_check_counts_toward_one_limit(client, limit, member):
    limit("password_check", "3/h")
    client.force_login(member)
    change = reverse("accounts:password_change")
    wrong = {"old_password": "guess", "new_password1": "Another-strong-2026", "new_password2": "Another-strong-2026"}
    assert client.post(change, wrong).status_code == 200
    assert _withdraw(client, password="guess").status_code == 200
    assert client.post(reverse("accounts:profile"),
                       {"save_address": "1", "address": ADDRESS, "password": "guess"}).status_code == 200
    assert_limited(client.post(change, {**wrong, "old_password": PASSWORD}))
    assert_limited(_withdraw(client))
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_two_factor_codes_at_sign_in_are_limited_per_member(client, limit):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    limit("two_factor", "3/h")
    user = UserFactory(username="careful")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    codes = recovery_codes_regenerate(user=user)
    client.post(reverse("accounts:login"), {"username": "careful", "password": PASSWORD})
    for wrong in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        assert client.post(reverse("accounts:login_verify"), {"token": wrong}).status_code == 200
    assert_limited(client.post(reverse("accounts:login_verify"), {"token": codes[0]}))
    assert "_auth_user_id" not in client.session


def test_referral_pages_are_limited_per_address(client, limit):
    limit("referral_lookup", "3/m")
    sponsor = UserFactory()
    for _ in range(2):
        assert client.get(f"/r/{sponsor.referral_code}/", REMOTE_ADDR="10.0.0.9").status_code == 302
    assert client.get(reverse("accounts:register_sponsor"), {"referral_code": "ABCDEFGH"},
                      REMOTE_ADDR="10.0.0.9").status_code == 200
    assert_limited(client.get(f"/r/{sponsor.referral_code}/", REMOTE_ADDR="10.0.0.9"))
    assert_limited(client.get(reverse("accounts:register"), {"ref": sponsor.referral_code},
                              REMOTE_ADDR="10.0.0.9"))
    assert client.get(f"/r/{sponsor.referral_code}/", REMOTE_ADDR="10.0.0.10").status_code == 302
