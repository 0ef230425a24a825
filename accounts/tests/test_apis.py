"""Accounts endpoints of the JSON API: joining, app tokens, sign-in lockout, profile, team, export."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import User
from accounts.tests.factories import UserFactory, api_client, totp_code, two_factor_member

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
GOOD_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def _token(client, login, password=PASSWORD, ip="10.0.0.1", **extra):
    return client.post("/api/v1/auth/token/", {"login": login, "password": password, **extra}, format="json",
                       REMOTE_ADDR=ip)


# Joining and tokens ----------------------------------------------------------------------------


def test_registration_under_a_sponsor_code_makes_the_member(django_capture_on_commit_callbacks):
    sponsor = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client().post("/api/v1/auth/register/", {
            "username": "newbie", "email": "newbie@example.com", "password": "Sturdy-pass-2026",
            "referral_code": sponsor.referral_code.lower(),
        }, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sponsor"] == sponsor.username and response.json()["email_confirmed"] is False
    assert User.objects.get(username="newbie").referred_by == sponsor
    assert len(mail.outbox) == 1  # the confirmation link, as from the page


def test_registration_refuses_what_the_page_refuses():
    UserFactory(username="taken")
    response = api_client().post("/api/v1/auth/register/", {
        "username": "taken", "email": "bad", "password": "123", "referral_code": "NOPE",
    }, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"username", "email", "referral_code"}
    assert not User.objects.filter(email="bad").exists()


def test_registration_is_rate_limited_per_address(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": "1/h"}
    client = api_client()
    body = {"username": "one", "email": "one@example.com", "password": "Sturdy-pass-2026"}
    assert client.post("/api/v1/auth/register/", body, format="json").status_code == 201
    refused = client.post("/api/v1/auth/register/", {**body, "username": "two", "email": "two@example.com"},
                          format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited" and refused["Retry-After"]


def test_a_token_comes_for_the_username_or_the_email_and_is_stored_hashed():
    user = UserFactory(username="Alice", email="alice@example.com")
    for login in ["alice", "ALICE@example.com"]:
        response = _token(api_client(), login)
        assert response.status_code == 201
        token = response.json()["token"]
        assert not AuthToken.objects.filter(digest=token).exists()  # only its digest is stored
        stored = AuthToken.objects.get(token_key=response.json()["token_key"])
        assert stored.user == user and stored.expiry > timezone.now() + dt.timedelta(days=29)
        me = api_client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/profile/")
        assert me.status_code == 200 and me.json()["username"] == "Alice"


def test_a_wrong_password_is_401_and_an_expired_or_revoked_token_is_refused():
    user = UserFactory()
    refused = _token(api_client(), user.username, "wrong")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    token = _token(api_client(), user.username).json()
    client = api_client(HTTP_AUTHORIZATION=f"Bearer {token['token']}")
    AuthToken.objects.filter(token_key=token["token_key"]).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/profile/").status_code == 401
    fresh = _token(api_client(), user.username).json()
    client = api_client(HTTP_AUTHORIZATION=f"Bearer {fresh['token']}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/profile/").status_code == 401


def test_the_token_endpoint_shares_the_page_lockout(client, settings):
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(api_client(), "victim", "wrong", ip="10.0.0.66").status_code == 401
    # The last allowed failure is made on the page; the API is locked out too, even with the password.
    page = client.post("/accounts/login/", {"username": "victim", "password": "wrong"}, REMOTE_ADDR="10.0.0.66")
    assert page.status_code == 429
    locked = _token(api_client(), "victim", ip="10.0.0.66")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out" and int(locked["Retry-After"]) > 0
    # The attacker's address does not lock the member out of their own.
    assert _token(api_client(), "victim", ip="10.0.0.1").status_code == 201


def test_api_failures_lock_the_page_sign_in_too(client, settings):
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _token(api_client(), "victim", "wrong", ip="10.0.0.66")
    page = client.post("/accounts/login/", {"username": "victim", "password": PASSWORD}, REMOTE_ADDR="10.0.0.66")
    assert page.status_code == 429


def test_with_two_factor_a_token_needs_a_valid_unused_code():
    user, device = two_factor_member()
    missing = _token(api_client(), user.username)
    assert missing.status_code == 401 and missing.json()["code"] == "two_factor_required"
    assert _token(api_client(), user.username, otp="000000").status_code == 401
    throttled = _token(api_client(), user.username, otp=totp_code(device, shift=1))
    assert throttled.status_code == 422 and throttled.json()["code"] == "two_factor_throttled"
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    code = totp_code(device, shift=1)
    assert _token(api_client(), user.username, otp=code).status_code == 201
    assert _token(api_client(), user.username, otp=code).status_code == 401  # a code works once
    assert AuthToken.objects.filter(user=user).count() == 1


def test_a_member_lists_and_revokes_their_own_tokens_only():
    user, other = UserFactory(), UserFactory()
    client = api_client(user)
    second = _token(api_client(), user.username).json()
    others = _token(api_client(), other.username).json()
    listed = client.get("/api/v1/auth/tokens/").json()
    assert {row["token_key"] for row in listed} == set(AuthToken.objects.filter(user=user).values_list(
        "token_key", flat=True))
    assert [row["current"] for row in listed].count(True) == 1
    assert client.delete(f"/api/v1/auth/tokens/{others['token_key']}/").status_code == 404
    assert AuthToken.objects.filter(token_key=others["token_key"]).exists()
    assert client.delete(f"/api/v1/auth/tokens/{second['token_key']}/").status_code == 204
    assert not AuthToken.objects.filter(token_key=second["token_key"]).exists()


def test_a_member_holds_a_bounded_number_of_tokens(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    user = UserFactory()
    assert _token(api_client(), user.username).status_code == 201
    assert _token(api_client(), user.username).status_code == 201
    refused = _token(api_client(), user.username)
    assert refused.status_code == 422 and refused.json()["code"] == "token_limit_reached"


# Profile -----------------------------------------------------------------------------------------


def test_profile_reads_and_updates_names():
    user = UserFactory(first_name="Ann")
    client = api_client(user)
    assert client.get("/api/v1/profile/").json()["first_name"] == "Ann"
    updated = client.patch("/api/v1/profile/", {"last_name": "Lee"}, format="json")
    assert updated.status_code == 200 and updated.json()["last_name"] == "Lee"
    assert updated.json()["first_name"] == "Ann"
    too_long = client.patch("/api/v1/profile/", {"first_name": "x" * 151}, format="json")
    assert too_long.status_code == 400 and "first_name" in too_long.json()["errors"]


def test_an_email_change_needs_the_password_and_is_confirmed_by_link(django_capture_on_commit_callbacks):
    user = UserFactory(email="old@example.com")
    client = api_client(user)
    no_password = client.patch("/api/v1/profile/", {"email": "new@example.com", "first_name": "X"}, format="json")
    assert no_password.status_code == 400 and "password" in no_password.json()["errors"]
    wrong = client.patch("/api/v1/profile/", {"email": "new@example.com", "password": "nope", "first_name": "X"},
                         format="json")
    assert wrong.status_code == 422 and wrong.json()["code"] == "email_change_refused"
    assert User.objects.get(pk=user.pk).first_name == ""  # nothing saved from a refused request
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.patch("/api/v1/profile/", {"email": "new@example.com", "password": PASSWORD}, format="json")
    assert asked.status_code == 200 and asked.json()["email"] == "old@example.com"  # until the link is opened
    assert mail.outbox[-1].to == ["new@example.com"]


def test_a_withdrawal_address_needs_the_password_and_a_valid_address():
    user = UserFactory()
    client = api_client(user)
    bad = client.post("/api/v1/profile/withdrawal-address/", {"address": "T123", "password": PASSWORD}, format="json")
    assert bad.status_code == 400 and "address" in bad.json()["errors"]
    wrong = client.post("/api/v1/profile/withdrawal-address/", {"address": GOOD_ADDRESS, "password": "x"},
                        format="json")
    assert wrong.status_code == 400 and "password" in wrong.json()["errors"]
    saved = client.post("/api/v1/profile/withdrawal-address/", {"address": GOOD_ADDRESS, "password": PASSWORD},
                        format="json")
    assert saved.status_code == 200 and saved.json()["trc20_wallet_address"] == GOOD_ADDRESS
    assert saved.json()["withdrawal_address_usable_from"] is not None


def test_a_withdrawal_address_needs_the_code_with_two_factor():
    user, device = two_factor_member()
    client = api_client(user)
    body = {"address": GOOD_ADDRESS, "password": PASSWORD}
    assert "otp" in client.post("/api/v1/profile/withdrawal-address/", body, format="json").json()["errors"]
    saved = client.post("/api/v1/profile/withdrawal-address/", {**body, "otp": totp_code(device, shift=1)},
                        format="json")
    assert saved.status_code == 200


# Team and export ---------------------------------------------------------------------------------


def test_team_stats_members_and_tree(tree25):
    a = tree25["a"]
    client = api_client(a)
    team = client.get("/api/v1/team/").json()
    assert team["referral_code"] == a.referral_code and team["referral_link"].endswith(f"/r/{a.referral_code}/")
    assert team["stats"]["team_size"] == 23 and team["stats"]["per_level"][:2] == [3, 6]
    level_two = client.get("/api/v1/team/members/", {"level": "2"}).json()
    assert level_two["count"] == 6 and {row["username"] for row in level_two["results"]} == set("efghij")
    assert {row["level"] for row in level_two["results"]} == {2}
    assert client.get("/api/v1/team/members/", {"level": "all", "q": "x"}).json()["results"][0]["level"] == 8
    assert client.get("/api/v1/team/members/", {"level": "21"}).status_code == 400
    assert client.get("/api/v1/team/members/", {"status": "sleeping"}).status_code == 400
    tree = client.get(f"/api/v1/team/tree/{tree25['d'].pk}/").json()
    assert {child["username"] for child in tree["children"]} == {"h", "i", "j"} and tree["next_offset"] is None
    assert {child["level"] for child in tree["children"]} == {2}
    assert client.get(f"/api/v1/team/tree/{tree25['y'].pk}/").status_code == 404  # not in the team
    assert client.get(f"/api/v1/team/tree/{tree25['d'].pk}/", {"offset": "-1"}).status_code == 400


def test_the_export_holds_the_members_data_and_nobody_elses():
    from investment.tests.factories import buy

    user, other = UserFactory(), UserFactory()
    buy(user, 100)
    buy(other, 200)
    response = api_client(user).get("/api/v1/export/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["profile"]["username"] == user.username
    assert [s["amount"] for s in data["subscriptions"]] == ["100.000000"]
    assert {t["type"] for t in data["transactions"]} == {"adjustment", "purchase"}
    assert set(data) >= {"balances", "withdrawals", "earnings", "team"}
    assert "200.000000" not in response.content.decode()
