"""The member admin: two-factor secrets never shown; staff can only reset a member's devices."""

from base64 import b32encode

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import recovery_codes_regenerate
from accounts.tests.factories import UserFactory, verified_login
from phonix.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="olga", is_staff=True, is_superuser=True)
    verified_login(client, user)
    return user


@pytest.fixture
def member():
    user = UserFactory(username="careful", email="careful@example.com")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    codes = recovery_codes_regenerate(user=user)
    return user, device, codes


def test_the_admin_has_no_pages_for_two_factor_devices(client, staff, member):
    for url in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/",
                f"/admin/otp_totp/totpdevice/{member[1].pk}/config/"):
        assert client.get(url).status_code == 404
    index = client.get("/admin/").content.decode()
    assert "otp_totp" not in index and "otp_static" not in index


def test_the_member_page_says_whether_two_factor_is_on_but_shows_no_secret(client, staff, member):
    user, device, codes = member
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "on (10 recovery codes left)" in page
    assert reverse("admin:accounts_user_two_factor_reset", args=[user.pk]) in page
    secret_b32 = b32encode(device.bin_key).decode()
    for secret in (device.key, secret_b32, secret_b32[:4] + " " + secret_b32[4:8], *codes):
        assert secret not in page


def test_staff_reset_a_members_two_factor_with_an_audit_row_and_an_email(
    client, staff, member, django_capture_on_commit_callbacks,
):
    user, device, codes = member
    url = reverse("admin:accounts_user_two_factor_reset", args=[user.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "lost phone, identity checked by video call"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists() and not StaticToken.objects.exists()
    row = AuditLog.objects.get()
    assert (row.actor, row.member, row.action) == (staff, user, AuditLog.Action.TWO_FACTOR_RESET)
    assert row.before == {"authenticator": True, "recovery_codes_left": 10}
    assert row.after == {"authenticator": False, "recovery_codes_left": 0}
    assert row.reason == "lost phone, identity checked by video call"
    assert device.key not in str(row.before) + str(row.after)
    assert [message.to for message in mail.outbox] == [["careful@example.com"]]
    assert "reset the two-factor authentication" in mail.outbox[0].body


def test_a_member_without_two_factor_has_nothing_to_reset(client, staff):
    user = UserFactory()
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "Two-factor authentication" in page and ">off<" in page
    client.post(reverse("admin:accounts_user_two_factor_reset", args=[user.pk]), {"reason": "asked"})
    assert not AuditLog.objects.exists() and not mail.outbox
