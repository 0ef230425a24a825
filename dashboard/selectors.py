"""Reads of the member dashboard: announcements, notifications, counts, the balance chart."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import Announcement, AnnouncementRead, EmailPreference, Notification


class ReadMark(TypedDict):
    is_read: bool  # the member has opened it


if TYPE_CHECKING:  # Python 3.11 cannot subscript the alias with two arguments at run time
    from django_stubs_ext import WithAnnotations

    VisibleAnnouncement = WithAnnotations[Announcement, ReadMark]

UNREAD_COUNT_MAX = 99  # the bell shows "99+" beyond: counting further costs without telling more


def announcements_visible(*, user, now: dt.datetime | None = None) -> "QuerySet[VisibleAnnouncement]":
    """Published now, for the member's audience, pinned first then newest, with `is_read`."""
    now = now or timezone.now()
    audiences = [Announcement.Audience.EVERYONE]
    if user.is_active_investor:
        audiences.append(Announcement.Audience.INVESTORS)
    return (
        Announcement.objects.filter(publish_from__lte=now, audience__in=audiences)
        .filter(Q(publish_until__isnull=True) | Q(publish_until__gt=now))
        .annotate(is_read=Exists(AnnouncementRead.objects.filter(user=user, announcement=OuterRef("pk"))))
        .order_by("-pinned", "-publish_from", "-id")
    )


def notifications_for(*, user) -> QuerySet[Notification]:
    """The member's own notifications, newest first (the only way views read them)."""
    return Notification.objects.filter(user=user).order_by("-id")


@dataclass(frozen=True)
class UnreadCounts:
    notifications: int
    announcements: int

    @property
    def notifications_label(self) -> str:
        return f"{UNREAD_COUNT_MAX}+" if self.notifications > UNREAD_COUNT_MAX else str(self.notifications)


def unread_counts(*, user, now: dt.datetime | None = None) -> UnreadCounts:
    """Unread notifications (bounded, from the partial index) and announcements, in one query."""
    now = now or timezone.now()
    audiences = ["everyone", "investors"] if user.is_active_investor else ["everyone"]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM dashboard_notification
                                          WHERE user_id = %(user)s AND read_at IS NULL LIMIT %(cap)s) n),
                   (SELECT count(*) FROM dashboard_announcement a
                    WHERE a.publish_from <= %(now)s AND (a.publish_until IS NULL OR a.publish_until > %(now)s)
                      AND a.audience = ANY(%(audiences)s)
                      AND NOT EXISTS (SELECT 1 FROM dashboard_announcementread r
                                      WHERE r.user_id = %(user)s AND r.announcement_id = a.id))
            """,
            {"user": user.pk, "cap": UNREAD_COUNT_MAX + 1, "now": now, "audiences": audiences},
        )
        notifications, announcements = cursor.fetchone()
    return UnreadCounts(notifications=notifications, announcements=announcements)


@dataclass(frozen=True)
class EmailChoices:
    deposits: bool
    withdrawals: bool
    mining_reminder: bool


def email_choices(*, user) -> EmailChoices:
    from mining.models import MiningProfile

    preference = EmailPreference.objects.filter(user=user).first() or EmailPreference(user=user)
    reminder = MiningProfile.objects.filter(user=user).values_list("email_reminder", flat=True).first()
    return EmailChoices(deposits=preference.deposits, withdrawals=preference.withdrawals,
                        mining_reminder=bool(reminder))


EMAIL_TOPICS = ("deposits", "withdrawals")


def email_declined_by(*, user_ids: list[int], topic: str) -> set[int]:
    """The members among `user_ids` who turned the optional e-mail `topic` off (no row: they get it)."""
    if topic not in EMAIL_TOPICS:
        raise ValueError(topic)
    return set(EmailPreference.objects.filter(user_id__in=user_ids, **{topic: False})
               .values_list("user_id", flat=True))


# The balance chart ----------------------------------------------------------------------------

CHART_DAYS = 365
EARNING_KINDS = ("daily_income", "commission", "weekly_bonus")


@dataclass(frozen=True)
class ChartDay:
    day: dt.date
    balance: Decimal  # main + bonus at the end of the day (UTC)
    earned: Decimal  # daily income, generation income and weekly bonuses credited that day


def balance_chart(*, user, days: int = CHART_DAYS, today: dt.date | None = None) -> list[ChartDay]:
    """The member's balance and earnings for each of the last `days` days, in one query.

    The balance is walked back from the cached one by the entries since the first day, so only
    the member's entries of the period are read, however long the history.
    """
    today = today or timezone.now().astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH accounts AS (
                SELECT id, balance FROM wallet_ledgeraccount WHERE user_id = %(user)s AND code IN ('main', 'bonus')
            ), moves AS (
                SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day, sum(e.amount) AS net,
                       coalesce(sum(e.amount) FILTER (WHERE t.kind = ANY(%(kinds)s) AND e.amount > 0), 0) AS earned
                FROM wallet_ledgerentry e JOIN wallet_ledgertransaction t ON t.id = e.transaction_id
                WHERE e.account_id IN (SELECT id FROM accounts) AND t.created_at >= %(start)s
                GROUP BY 1
            ), opening AS (
                SELECT (SELECT coalesce(sum(balance), 0) FROM accounts)
                       - (SELECT coalesce(sum(net), 0) FROM moves) AS amount
            )
            SELECT d.day::date, o.amount + sum(coalesce(m.net, 0)) OVER (ORDER BY d.day), coalesce(m.earned, 0)
            FROM generate_series(%(first)s::date, %(today)s::date, interval '1 day') AS d(day)
            CROSS JOIN opening o
            LEFT JOIN moves m ON m.day = d.day::date
            ORDER BY d.day
            """,
            {"user": user.pk, "kinds": list(EARNING_KINDS), "first": first, "today": today,
             "start": dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)},
        )
        return [ChartDay(day, balance, earned) for day, balance, earned in cursor.fetchall()]


def balance_chart_data(*, user, today: dt.date | None = None) -> dict:
    """The chart as the page's JSON: dates and 2-place amounts (the script shows 30, 90 or 365)."""
    rows = balance_chart(user=user, today=today)
    return {
        "labels": [row.day.isoformat() for row in rows],
        "balance": [f"{row.balance:.2f}" for row in rows],
        "earned": [f"{row.earned:.2f}" for row in rows],
    }
