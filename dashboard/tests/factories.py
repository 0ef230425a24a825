"""Announcements and notifications as staff and the events write them."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import UserFactory
from dashboard.models import Announcement, Notification
from earnings.models import Commission
from investment.models import Subscription
from investment.tests.factories import buy


def announcement(**fields) -> Announcement:
    values = {"title": "Maintenance on Sunday", "body": "The site pauses for an hour.",
              "publish_from": timezone.now() - dt.timedelta(hours=1), **fields}
    return Announcement.objects.create(**values)


def notification(user, kind: str = Notification.Kind.DEPOSIT_CREDITED, **params) -> Notification:
    return Notification.objects.create(user=user, kind=kind, params={"amount": "25.5", **params})


def generation_paid(recipient, amount: str, paid_at: dt.datetime, level: int = 1) -> Commission:
    """A purchase fanned out at `paid_at` that paid `recipient` at `level`."""
    buyer = UserFactory.create()
    subscription = buy(buyer, "100")
    Subscription.objects.filter(pk=subscription.pk).update(generation_paid_at=paid_at)
    return Commission.objects.create(
        user=recipient, from_user=buyer, level=level, amount=Decimal(amount), commission_type="generation",
        source_subscription=subscription, plan_version=subscription.plan_version, paid_at=paid_at,
    )
