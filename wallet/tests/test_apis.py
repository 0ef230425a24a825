"""Wallet endpoints of the JSON API: history, deposit address and deposits, withdrawals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, api_client, totp_code, two_factor_member
from wallet.custody.keys import account_xpub, mnemonic_generate
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, Deposit, DepositAddress, ScanCursor, Transaction, Withdrawal

from .factories import policy_set, withdrawing_member

PASSWORD = "correct-horse-battery"


def _line(user, *, type, amount, status=Transaction.Status.COMPLETED, days_ago=0):
    line = Transaction.objects.create(user=user, type=type, amount=Decimal(amount), net_amount=Decimal(amount),
                                      status=status)
    Transaction.objects.filter(pk=line.pk).update(created_at=line.created_at - dt.timedelta(days=days_ago))
    return line


def _withdraw(client, key, amount="25", **body):
    return client.post("/api/v1/wallet/withdrawals/", {"amount": amount, "password": PASSWORD, **body},
                       format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_history_filters_by_type_status_and_dates_and_pages_by_cursor():
    member = UserFactory()
    _line(member, type=Transaction.Type.DEPOSIT, amount="11", days_ago=10)
    _line(member, type=Transaction.Type.DEPOSIT, amount="22", days_ago=3)
    _line(member, type=Transaction.Type.WITHDRAWAL, amount="33", status=Transaction.Status.PENDING, days_ago=3)
    _line(UserFactory(), type=Transaction.Type.DEPOSIT, amount="44")
    client = api_client(member)
    since = (timezone.now() - dt.timedelta(days=5)).date().isoformat()
    deposits = client.get("/api/v1/wallet/transactions/", {"type": "deposit", "since": since}).json()
    assert [row["amount"] for row in deposits["results"]] == ["22.000000"]
    pending = client.get("/api/v1/wallet/transactions/", {"status": "pending"}).json()["results"]
    assert [row["amount"] for row in pending] == ["-33.000000"]  # withdrawals are debits
    first = client.get("/api/v1/wallet/transactions/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    rest = client.get(first["next"]).json()
    assert [row["amount"] for row in first["results"] + rest["results"]] == ["-33.000000", "22.000000", "11.000000"]
    assert client.get("/api/v1/wallet/transactions/", {"type": "gift"}).status_code == 400
    assert client.get("/api/v1/wallet/transactions/", {"since": "yesterday"}).status_code == 400
    assert client.get("/api/v1/wallet/transactions/", {"cursor": "garbage"}).json()["errors"]["cursor"]


@pytest.mark.django_db
def test_the_deposit_address_with_its_qr_and_recent_deposits(settings):
    member = UserFactory()
    client = api_client(member)
    settings.TRON_XPUB = ""
    assert client.get("/api/v1/wallet/deposit/").json()["code"] == "deposits_unavailable"
    settings.TRON_XPUB = account_xpub(mnemonic=mnemonic_generate())
    first = client.get("/api/v1/wallet/deposit/").json()
    assert first["address"].startswith("T") and "<svg" in first["qr_svg"]
    assert first["minimum"].endswith(".000000") and first["rows"] == []
    address = DepositAddress.objects.get(user=member)
    ScanCursor.objects.create(name="deposits", next_block=1000, head_seen=1010)
    Deposit.objects.create(user=member, deposit_address=address, txid="ab" * 32, log_index=0, from_address="T" * 34,
                           amount=Decimal("12.5"), block_number=1004, status=Deposit.Status.CONFIRMING)
    again = client.get("/api/v1/wallet/deposit/").json()
    assert again["address"] == first["address"]
    assert [(row["amount"], row["status"], row["confirmations"]) for row in again["rows"]] == [
        ("12.500000", "confirming", 6)]
    assert api_client(UserFactory()).get("/api/v1/wallet/deposit/").json()["address"] != first["address"]


@pytest.mark.django_db
def test_a_withdrawal_request_holds_the_amount_once_per_key(invariants):
    member = withdrawing_member(200)
    client = api_client(member)
    made = _withdraw(client, "w-1", "100")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["amount"], body["fee"], body["net_amount"], body["status"]) == (
        "100.000000", "5.000000", "95.000000", "pending")
    assert _withdraw(client, "w-1", "100").json() == body
    assert _withdraw(client, "w-1", "50").status_code == 409
    assert Withdrawal.objects.filter(user=member).count() == 1
    assert member_account(user_id=member.pk, code=AccountCode.MAIN).balance == Decimal(100)
    listed = client.get("/api/v1/wallet/withdrawals/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


@pytest.mark.django_db
def test_a_withdrawal_keeps_every_rule_of_the_page(invariants):
    member = withdrawing_member(200)
    client = api_client(member)
    assert _withdraw(client, "a", "5").json()["code"] == "withdrawal_refused"  # below the minimum
    assert _withdraw(client, "b", "500").json()["code"] == "insufficient_funds"
    assert _withdraw(client, "c", "20", password="wrong").json()["code"] == "withdrawal_refused"
    policy_set(withdrawal_maximum=Decimal(50))
    assert _withdraw(client, "d", "60").status_code == 422
    member.withdrawal_address_changed_at = timezone.now()
    member.save(update_fields=["withdrawal_address_changed_at"])
    cooling = _withdraw(client, "e", "20")
    assert cooling.status_code == 422 and "changed recently" in cooling.json()["detail"]
    assert not Withdrawal.objects.exists()
    assert member_account(user_id=member.pk, code=AccountCode.MAIN).balance == Decimal(200)


@pytest.mark.django_db
def test_a_withdrawal_needs_the_code_when_two_factor_is_on(invariants):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from tronpy.keys import PrivateKey

    from wallet.tests.factories import fund

    member, device = two_factor_member()
    member.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
    past = timezone.now() - dt.timedelta(days=2)  # past the address cooldown and the 2FA change's hold
    member.withdrawal_address_changed_at = member.credentials_changed_at = past
    member.save()
    fund(member, 100)
    client = api_client(member)
    missing = _withdraw(client, "x", "20")
    assert missing.status_code == 400 and "otp" in missing.json()["errors"]
    assert _withdraw(client, "y", "20", otp="000000").status_code == 422
    assert not Withdrawal.objects.exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    assert _withdraw(client, "z", "20", otp=totp_code(device, shift=1)).status_code == 201


@pytest.mark.django_db
def test_withdrawal_requests_share_the_page_rate_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "withdrawal": "2/h"}
    member = withdrawing_member(200)
    client = api_client(member)
    assert _withdraw(client, "r1", "10").status_code == 201
    from django.test import Client

    page = Client()
    page.force_login(member)
    page.post("/wallet/withdraw/", {"amount": "10", "password": PASSWORD, "token": "x"})
    refused = _withdraw(client, "r2", "10")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited" and refused["Retry-After"]
