"""E-mail confirmation by signed link, and changing the address the same way."""

from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.urls import reverse

from accounts.email_address import EmailLinkInvalid, email_confirm, email_link_token
from accounts.models import Credential, User
from accounts.selectors import tree_inconsistencies
from accounts.services import user_register, user_sponsor_change
from accounts.tests.factories import SITE, UserFactory, link_token
from wallet.ledger.accounts import member_account
from wallet.models import AccountCode, LedgerTransaction

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _register(capture, *, sponsor=None, username="newbie") -> User:
    with capture(execute=True):
        return user_register(username=username, email=f"{username}@example.com", password=PASSWORD,
                             sponsor=sponsor, site_url=SITE)


def _open(capture, message):
    with capture(execute=True):
        return email_confirm(token=link_token(message))


def test_a_new_member_has_no_bonus_and_does_not_count_until_the_link_is_opened(
    django_capture_on_commit_callbacks, invariants,
):
    sponsor = UserFactory()
    user = _register(django_capture_on_commit_callbacks, sponsor=sponsor)

    assert user.email_confirmed_at is None
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == 0
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 0
    assert tree_inconsistencies() == 0

    confirmed = _open(django_capture_on_commit_callbacks, mail.outbox[0])

    assert confirmed.first_time and confirmed.user.email_confirmed_at is not None
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == Decimal("10")
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 1
    assert tree_inconsistencies() == 0
    again = email_confirm(token=link_token(mail.outbox[0]))
    assert not again.first_time
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 1
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 1


@pytest.mark.parametrize("tamper", ["forged", "expired", "garbage"])
def test_a_forged_or_expired_link_is_refused(django_capture_on_commit_callbacks, settings, tamper, invariants):
    user = _register(django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    if tamper == "forged":
        token = signing.dumps({"u": user.pk, "from": user.email, "to": user.email}, key="not-the-secret-key",
                              salt="accounts.email-address", compress=True)
    elif tamper == "expired":
        settings.EMAIL_LINK_MAX_AGE = -1
    else:
        token = "x" * 80

    with pytest.raises(EmailLinkInvalid):
        email_confirm(token=token)
    assert User.objects.get(pk=user.pk).email_confirmed_at is None
    assert not LedgerTransaction.objects.filter(kind="bonus").exists()


def test_a_bad_link_in_the_browser_is_a_message_not_an_error(client):
    response = client.get(reverse("accounts:email_confirm", args=["not-a-token"]), follow=True)
    assert response.status_code == 200
    assert "not valid or has expired" in response.content.decode()


def test_the_link_can_be_sent_again_a_few_times_an_hour(client, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_LINK_SENDS_PER_HOUR = 2
    user = _register(django_capture_on_commit_callbacks)
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(reverse("accounts:email_resend"), follow=True).content.decode() for _ in range(3)]

    assert "on its way" in answers[0] and "on its way" in answers[1]
    assert "Too many e-mails" in answers[2]
    assert len(mail.outbox) == 3  # the registration's link and two more
    _open(django_capture_on_commit_callbacks, mail.outbox[2])
    assert User.objects.get(pk=user.pk).email_confirmed_at is not None


def test_changing_the_email_asks_for_the_current_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:email_change"), {"email": "new@example.com", "password": "wrong"})
    assert "The password is not correct." in response.content.decode()
    assert mail.outbox == []
    assert User.objects.get(pk=user.pk).email == user.email


def test_password_guesses_on_the_email_change_are_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_check": "3/15m"}
    user = UserFactory()
    client.force_login(user)
    answers = [client.post(reverse("accounts:email_change"), {"email": "new@example.com", "password": "guess"})
               for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"]


def test_a_new_address_counts_once_its_link_is_opened_and_the_old_one_is_told(
    client, django_capture_on_commit_callbacks,
):
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:email_change"), {"email": "New@Example.com", "password": PASSWORD})
    assert [m.to for m in mail.outbox] == [["New@example.com"]]
    assert User.objects.get(pk=user.pk).email == "old@example.com"  # until the new mailbox answers

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("accounts:email_confirm", args=[link_token(mail.outbox[0])]), follow=True)

    changed = User.objects.get(pk=user.pk)
    assert changed.email == "New@example.com"
    assert changed.credentials_changed == Credential.EMAIL and changed.credentials_changed_at is not None
    assert "Your e-mail address is now New@example.com." in response.content.decode()
    notice = mail.outbox[1]
    assert notice.to == ["old@example.com"] and "New@example.com" in notice.body
    assert "Withdrawals are paused until" in notice.body


def test_a_link_stops_working_once_the_address_changed(django_capture_on_commit_callbacks):
    user = UserFactory(email="first@example.com")
    to_second = email_link_token(user=user, address="second@example.com")
    to_third = email_link_token(user=user, address="third@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        email_confirm(token=to_third)

    with pytest.raises(EmailLinkInvalid, match="no longer on the account"):
        email_confirm(token=to_second)
    assert User.objects.get(pk=user.pk).email == "third@example.com"


def test_a_new_address_another_member_took_in_between_is_refused(django_capture_on_commit_callbacks):
    user = UserFactory(email="mine@example.com")
    token = email_link_token(user=user, address="wanted@example.com")
    UserFactory(email="WANTED@example.com")

    with pytest.raises(EmailLinkInvalid, match="Another account"):
        email_confirm(token=token)
    assert User.objects.get(pk=user.pk).email == "mine@example.com"


def test_moving_an_unconfirmed_member_changes_no_direct_count(django_capture_on_commit_callbacks):
    old_sponsor, new_sponsor, staff = UserFactory(), UserFactory(), UserFactory()
    user = _register(django_capture_on_commit_callbacks, sponsor=old_sponsor)

    user_sponsor_change(user=user, new_sponsor=new_sponsor, changed_by=staff, reason="asked by both")

    assert User.objects.get(pk=old_sponsor.pk).direct_referrals_count == 0
    assert User.objects.get(pk=new_sponsor.pk).direct_referrals_count == 0
    assert tree_inconsistencies() == 0
    _open(django_capture_on_commit_callbacks, mail.outbox[0])
    assert User.objects.get(pk=new_sponsor.pk).direct_referrals_count == 1
    assert tree_inconsistencies() == 0


def test_seeded_members_are_confirmed():
    call_command("seed_network", "--users", "30", "--bonuses")
    assert not User.objects.filter(email_confirmed_at__isnull=True).exists()
    assert tree_inconsistencies() == 0
