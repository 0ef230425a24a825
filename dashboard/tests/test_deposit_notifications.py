"""A deposit is notified when first seen and when credited; its e-mail follows the member's choice."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from dashboard.models import EmailPreference, Notification
from wallet.custody.deposits import deposit_address_get_or_create, deposits_scan
from wallet.tests.custody_fixtures import SUN, chain_settings, devnode, signer  # noqa: F401

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def test_a_deposit_is_notified_when_seen_and_when_credited_once_each(
    signer, devnode, django_capture_on_commit_callbacks  # noqa: F811
):
    user = UserFactory()
    address = deposit_address_get_or_create(user=user).address
    devnode.op("deposit", to=address, amount=25_500_000)
    devnode.mine()
    with django_capture_on_commit_callbacks(execute=True):
        deposits_scan()
        devnode.mine()
        deposits_scan()  # seen again, still confirming: no second notification
    assert list(Notification.objects.filter(user=user).values_list("kind", flat=True)) == [Kind.DEPOSIT_SEEN]
    devnode.solidify()
    with django_capture_on_commit_callbacks(execute=True):
        deposits_scan()
        deposits_scan()
    credited = Notification.objects.get(user=user, kind=Kind.DEPOSIT_CREDITED)
    assert Decimal(credited.params["amount"]) == Decimal("25.5")
    assert Notification.objects.filter(user=user).count() == 2
    assert len(mail.outbox) == 1


def test_a_deposit_found_already_solid_is_notified_credited_only(
    signer, devnode, django_capture_on_commit_callbacks  # noqa: F811
):
    user = UserFactory()
    devnode.op("deposit", to=deposit_address_get_or_create(user=user).address, amount=10 * SUN)
    devnode.solidify()
    with django_capture_on_commit_callbacks(execute=True):
        deposits_scan()
    assert list(Notification.objects.filter(user=user).values_list("kind", flat=True)) == [Kind.DEPOSIT_CREDITED]


def test_a_member_who_declined_deposit_emails_gets_none(
    signer, devnode, django_capture_on_commit_callbacks  # noqa: F811
):
    declined, default = UserFactory(), UserFactory()
    EmailPreference.objects.create(user=declined, deposits=False)
    for user in (declined, default):
        devnode.op("deposit", to=deposit_address_get_or_create(user=user).address, amount=10 * SUN)
    devnode.solidify()
    with django_capture_on_commit_callbacks(execute=True):
        deposits_scan()
    assert [m.to for m in mail.outbox] == [[default.email]]
    assert Notification.objects.filter(user=declined, kind=Kind.DEPOSIT_CREDITED).exists()
