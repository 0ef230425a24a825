"""What every endpoint of /api/v1/ shares: problem details, amounts as text, throttles, the schema
and its documentation pages, Idempotency-Key."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.tests.factories import UserFactory, api_client
from investment.models import Subscription
from phonix.models import ApiIdempotencyKey
from wallet.tests.conftest import run_in_threads
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def _buy(client, key, amount="100", **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/subscriptions/", {"amount": amount, **body}, format="json", **headers)


def test_the_schema_validates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/subscriptions/" in schema and "Idempotency-Key" in schema


def test_errors_are_problem_documents_with_a_stable_code():
    anonymous = api_client()
    response = anonymous.get("/api/v1/dashboard/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_authenticated" and body["type"] == "urn:phonix:problem:not_authenticated"
    assert body["status"] == 401 and body["title"] and body["detail"]
    assert anonymous.get("/api/v1/no-such-thing/").json()["code"] == "not_found"


def test_a_float_amount_is_refused_with_the_field_named(invariants):
    client = api_client(UserFactory())
    response = client.post("/api/v1/subscriptions/preview/", {"amount": 100.5}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "strings" in body["errors"]["amount"][0]
    for bad in ["1e3", "１００", "100.1234567", "-5", "", "NaN"]:
        response = client.post("/api/v1/subscriptions/preview/", {"amount": bad}, format="json")
        assert response.status_code == 400, bad
        assert "amount" in response.json()["errors"], bad


def test_malformed_json_is_a_400_not_a_500():
    client = api_client(UserFactory())
    response = client.post("/api/v1/subscriptions/preview/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_domain_refusal_is_422_with_the_exception_code(invariants):
    client = api_client(UserFactory())
    response = client.post("/api/v1/subscriptions/preview/", {"amount": "100"}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_funds"


def test_requests_beyond_the_token_rate_get_429_with_retry_after(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "3/m"}
    client = api_client(UserFactory())
    assert [client.get("/api/v1/plans/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/plans/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another member's token has its own allowance.
    assert api_client(UserFactory()).get("/api/v1/plans/").status_code == 200


def test_requests_beyond_the_address_rate_get_429_whoever_asks(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "address": "2/m"}
    first, second = api_client(UserFactory()), api_client(UserFactory())
    assert first.get("/api/v1/plans/", REMOTE_ADDR="10.9.9.9").status_code == 200
    assert second.get("/api/v1/plans/", REMOTE_ADDR="10.9.9.9").status_code == 200
    refused = api_client().get("/api/v1/plans/", REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert first.get("/api/v1/plans/", REMOTE_ADDR="10.9.9.10").status_code == 200


def test_the_documentation_is_served_from_this_server_under_the_policy(client):
    swagger = client.get("/api/v1/docs/")
    assert swagger.status_code == 200
    html = swagger.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html and "<script>" not in html and "http" not in html.split("<body>")[1]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    redoc = client.get("/api/v1/docs/redoc/")
    assert redoc.status_code == 200
    assert "redoc.standalone.js" in redoc.content.decode() and "<script>" not in redoc.content.decode()
    assert "fonts.googleapis" not in redoc.content.decode()
    assert client.get("/api/v1/schema/").status_code == 200


# Idempotency-Key -------------------------------------------------------------------------------


def test_a_purchase_needs_an_idempotency_key(invariants):
    user = UserFactory()
    fund(user, 100)
    for key in [None, "", "has space", "x" * 256]:
        response = _buy(api_client(user), key)
        assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required", key
    assert not Subscription.objects.filter(user=user).exists()


def test_the_same_key_returns_the_first_result_and_another_body_is_409(invariants):
    user = UserFactory()
    fund(user, 300)
    client = api_client(user)
    first = _buy(client, "order-1")
    assert first.status_code == 201
    again = _buy(client, "order-1", amount="100.000000")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    conflict = _buy(client, "order-1", amount="150")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert Subscription.objects.filter(user=user).count() == 1
    # Keys are the member's own: another member's identical key is another request.
    other = UserFactory()
    fund(other, 100)
    assert _buy(api_client(other), "order-1").json()["id"] != first.json()["id"]


def test_a_refused_request_stores_no_key_so_it_can_be_retried(invariants):
    user = UserFactory()
    client = api_client(user)
    assert _buy(client, "order-2").status_code == 422
    assert not ApiIdempotencyKey.objects.exists()
    fund(user, 100)
    assert _buy(client, "order-2").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_one_hundred_concurrent_purchases_with_one_key_make_one_subscription():
    from wallet.tests.conftest import assert_ledger_invariants

    user = UserFactory()
    fund(user, 1000)
    from rest_framework.test import APIClient

    from accounts.tokens import api_token_issue

    _instance, token = api_token_issue(user=user)  # one app retrying, from 100 connections at once
    clients = [APIClient(HTTP_AUTHORIZATION=f"Bearer {token}") for _ in range(100)]
    key = str(uuid.uuid4())
    responses = run_in_threads(100, lambda i: _buy(clients[i], key))
    assert all(not isinstance(r, Exception) for r in responses), [r for r in responses if isinstance(r, Exception)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Subscription.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.total_invested == Decimal("100")
    assert ApiIdempotencyKey.objects.filter(user=user).count() == 1
    assert_ledger_invariants()


# Hostile bodies ----------------------------------------------------------------------------------

WRITES = [
    ("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/token/"), ("patch", "/api/v1/profile/"),
    ("post", "/api/v1/profile/withdrawal-address/"), ("post", "/api/v1/subscriptions/preview/"),
    ("post", "/api/v1/subscriptions/"), ("post", "/api/v1/wallet/withdrawals/"),
]
HOSTILE: list[object] = ["\x00", "a\x00b", "99999999999999999999", "1e308", "x" * 5000, "١٠٠", "' OR 1=1 --", None, 10**30,
           1.5, True, [], {"nested": "x"}]
FIELDS = ["amount", "use_bonus", "plan_version", "password", "otp", "login", "username", "email",
          "referral_code", "first_name", "last_name", "address"]


def test_hostile_bodies_are_refused_as_bad_input_and_write_nothing(invariants):
    from wallet.models import LedgerTransaction, Withdrawal

    user = UserFactory()
    fund(user, 500)
    client = api_client(user)
    written = (LedgerTransaction.objects.count(), Subscription.objects.count(), Withdrawal.objects.count())
    for method, path in WRITES:
        for body in [[], "text", 42]:
            response = getattr(client, method)(path, body, format="json", HTTP_IDEMPOTENCY_KEY="hostile")
            assert 400 <= response.status_code < 500, (path, body, response.status_code)
        for value in HOSTILE:
            body = dict.fromkeys(FIELDS, value)
            response = getattr(client, method)(path, body, format="json", HTTP_IDEMPOTENCY_KEY="hostile")
            assert 400 <= response.status_code < 500, (path, value, response.status_code)
            assert response["Content-Type"] == "application/problem+json", (path, value)
    assert (LedgerTransaction.objects.count(), Subscription.objects.count(), Withdrawal.objects.count()) == written
    assert User.objects.get(pk=user.pk).first_name == ""
