"""The bell, the notifications list, marking read, and the e-mail choices on the profile."""

import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_member
from dashboard.models import EmailPreference, Notification
from dashboard.selectors import unread_counts
from dashboard.tests.factories import notification
from mining.models import MiningProfile
from phonix.notifications import email_wanted
from wallet.custody.withdrawals import withdrawal_reject, withdrawal_request
from wallet.tests.factories import withdrawing_member

pytestmark = pytest.mark.django_db


def test_the_bell_shows_the_unread_count(client):
    member = UserFactory()
    client.force_login(member)
    assert 'id="nav-bell-count"' not in client.get(reverse("dashboard:home")).content.decode()
    notification(member)
    notification(member)
    notification(UserFactory())  # someone else's
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="nav-bell-count">2<' in body


def test_the_count_stops_at_99_plus():
    member = UserFactory()
    Notification.objects.bulk_create([Notification(user=member, kind="deposit_credited") for _ in range(120)])
    counts = unread_counts(user=member)
    assert counts.notifications == 100 and counts.notifications_label == "99+"


def test_the_list_is_paginated_newest_first_and_shows_only_the_members_own(client):
    member, other = UserFactory(), UserFactory()
    for n in range(25):
        notification(member, amount=str(n))
    notification(other, amount="777")
    client.force_login(member)
    first = client.get(reverse("dashboard:notifications")).content.decode()
    assert "of 24.00 USDT" in first and "of 5.00 USDT" in first and "of 4.00 USDT" not in first
    assert "777.00" not in first and "Page 1 of 2" in first
    second = client.get(reverse("dashboard:notifications"), {"page": 2}).content.decode()
    assert "of 4.00 USDT" in second and "of 0.00 USDT" in second and "of 5.00 USDT" not in second


def test_a_bad_page_number_answers_400(client):
    client.force_login(UserFactory())
    assert client.get(reverse("dashboard:notifications"), {"page": "1e3"}).status_code == 400


def test_marking_one_read(client):
    member = UserFactory()
    row, other_row = notification(member), notification(member)
    client.force_login(member)
    response = client.post(reverse("dashboard:notification_read"), {"notification": row.pk})
    assert response.status_code == 302
    row.refresh_from_db()
    other_row.refresh_from_db()
    assert row.read_at is not None and other_row.read_at is None


def test_a_member_can_never_mark_another_members_notification(client):
    owner, intruder = UserFactory(), UserFactory()
    row = notification(owner)
    client.force_login(intruder)
    client.post(reverse("dashboard:notification_read"), {"notification": row.pk})
    client.post(reverse("dashboard:notifications_read_all"))
    row.refresh_from_db()
    assert row.read_at is None
    assert f'value="{row.pk}"' not in client.get(reverse("dashboard:notifications")).content.decode()


def test_mark_all_read_reads_only_the_members_own(client):
    member, other = UserFactory(), UserFactory()
    notification(member)
    notification(member)
    theirs = notification(other)
    client.force_login(member)
    client.post(reverse("dashboard:notifications_read_all"))
    assert unread_counts(user=member).notifications == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_post_and_the_csrf_token():
    member = UserFactory()
    row = notification(member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(reverse("dashboard:notifications_read_all")).status_code == 405
    assert client.post(reverse("dashboard:notification_read"), {"notification": row.pk}).status_code == 403
    row.refresh_from_db()
    assert row.read_at is None


def test_a_hostile_notification_id_changes_nothing(client):
    member = UserFactory()
    row = notification(member)
    client.force_login(member)
    for value in ("abc", "-1", "１", str(2**70), ""):
        assert client.post(reverse("dashboard:notification_read"), {"notification": value}).status_code == 302
    row.refresh_from_db()
    assert row.read_at is None


def test_notifications_need_a_login(client):
    response = client.get(reverse("dashboard:notifications"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# E-mail choices ------------------------------------------------------------------------------


def test_the_profile_shows_and_saves_the_email_choices(client):
    member = UserFactory()
    client.force_login(member)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="deposits" id="email-deposits" checked' in body
    assert 'name="mining_reminder" id="email-mining-reminder">' in body  # opt-in

    response = client.post(reverse("dashboard:email_preferences"), {"withdrawals": "on", "mining_reminder": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    preference = EmailPreference.objects.get(user=member)
    assert (preference.deposits, preference.withdrawals) == (False, True)
    assert MiningProfile.objects.get(user=member).email_reminder is True
    assert email_wanted(user_ids=[member.pk], topic="deposits") == set()
    assert email_wanted(user_ids=[member.pk, UserFactory().pk], topic="withdrawals") != set()


def test_a_member_who_declined_withdrawal_emails_gets_none_but_still_the_notification(
    django_capture_on_commit_callbacks
):
    declined, default = withdrawing_member(200), withdrawing_member(200)
    EmailPreference.objects.create(user=declined, withdrawals=False)
    approver = staff_member("wallet.approve_withdrawal")
    with django_capture_on_commit_callbacks(execute=True):
        for member in (declined, default):
            withdrawal = withdrawal_request(user=member, amount="50", password="correct-horse-battery",
                                            token=str(uuid.uuid4()))
            withdrawal_reject(withdrawal_id=withdrawal.pk, staff=approver, reason="Check your address")
    assert [m.to for m in mail.outbox] == [[default.email], [default.email]]
    assert Notification.objects.filter(user=declined).count() == 2


def test_security_emails_are_sent_whatever_the_choices(django_capture_on_commit_callbacks):
    from accounts.services import withdrawal_address_set

    member = UserFactory()
    EmailPreference.objects.create(user=member, deposits=False, withdrawals=False)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_address_set(user=member, address="TJRabPrwbZy45sbavfcjinPJC18kjpRTv8")
    assert [m.to for m in mail.outbox] == [[member.email]]
