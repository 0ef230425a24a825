"""Announcements and notifications as staff and the events write them."""

import datetime as dt

from django.utils import timezone

from dashboard.models import Announcement, Notification


def announcement(**fields) -> Announcement:
    values = {"title": "Maintenance on Sunday", "body": "The site pauses for an hour.",
              "publish_from": timezone.now() - dt.timedelta(hours=1), **fields}
    return Announcement.objects.create(**values)


def notification(user, kind: str = Notification.Kind.DEPOSIT_CREDITED, **params) -> Notification:
    return Notification.objects.create(user=user, kind=kind, params={"amount": "25.5", **params})
