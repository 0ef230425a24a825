"""Withdrawals wait after a password, e-mail or two-factor change (WITHDRAWAL_HOLD_AFTER_CREDENTIAL_CHANGE)."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from tronpy.keys import PrivateKey

from accounts.models import Credential, User
from accounts.services import credentials_change_record, two_factor_begin, two_factor_confirm, two_factor_disable
from accounts.tests.factories import UserFactory, link_token
from phonix.exceptions import WithdrawalRefused
from wallet.custody.withdrawals import withdrawal_request
from wallet.models import Withdrawal

from .factories import fund

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def member():
    user = UserFactory()
    user.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
    user.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
    user.save()
    fund(user, 1000)
    return User.objects.get(pk=user.pk)


def _request(user, password=PASSWORD):
    return withdrawal_request(user=User.objects.get(pk=user.pk), amount="50", password=password,
                              token=str(uuid.uuid4()))


def _hours_ago(user, hours: float) -> None:
    User.objects.filter(pk=user.pk).update(credentials_changed_at=timezone.now() - timedelta(hours=hours))


def test_a_password_change_holds_withdrawals_for_a_day(member, client, invariants):
    client.force_login(member)
    client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-sturdy-2026", "new_password2": "Another-sturdy-2026",
    })
    changed = User.objects.get(pk=member.pk)
    assert changed.credentials_changed == Credential.PASSWORD

    with pytest.raises(WithdrawalRefused, match="Your password changed recently; withdrawals open again at") as refused:
        _request(member, password="Another-sturdy-2026")
    until = changed.credentials_changed_at + timedelta(hours=24)
    assert until.strftime("%Y-%m-%d %H:%M") in str(refused.value)
    assert not Withdrawal.objects.exists()

    _hours_ago(member, 24.01)
    assert _request(member, password="Another-sturdy-2026").amount == 50


def test_a_password_reset_holds_withdrawals_too(member, client, django_capture_on_commit_callbacks):
    client.post(reverse("accounts:password_reset"), {"email": member.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line).strip()
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "Reset-sturdy-2026", "new_password2": "Reset-sturdy-2026"})
    assert User.objects.get(pk=member.pk).credentials_changed == Credential.PASSWORD
    with pytest.raises(WithdrawalRefused, match="Your password changed recently"):
        _request(member, password="Reset-sturdy-2026")


def test_turning_two_factor_on_or_off_holds_withdrawals(member):
    device = two_factor_begin(user=member)
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    two_factor_confirm(user=member, device_id=device.pk, token=f"{totp.token():0{device.digits}d}")
    assert User.objects.get(pk=member.pk).credentials_changed == Credential.TWO_FACTOR
    _hours_ago(member, 30)
    two_factor_disable(user=member)

    with pytest.raises(WithdrawalRefused, match="Your two-factor authentication changed recently"):
        _request(member)


def test_an_email_change_holds_withdrawals(member, client, django_capture_on_commit_callbacks):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:email_change"), {"email": "elsewhere@example.com", "password": PASSWORD})
    client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]))

    with pytest.raises(WithdrawalRefused, match="Your e-mail address changed recently"):
        _request(member)


def test_the_withdraw_page_shows_the_reason_and_the_end(member, client, settings):
    settings.WITHDRAWAL_HOLD_AFTER_CREDENTIAL_CHANGE = timedelta(hours=6)
    credentials_change_record(user=member, credential=Credential.PASSWORD)
    client.force_login(member)

    page = client.get(reverse("wallet:withdraw")).content.decode()

    until = User.objects.get(pk=member.pk).credentials_changed_at + timedelta(hours=6)
    assert f"Your password changed recently; withdrawals open again at {until:%Y-%m-%d %H:%M} UTC." in page
    _hours_ago(member, 7)
    assert "changed recently" not in client.get(reverse("wallet:withdraw")).content.decode()
