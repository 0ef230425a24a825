"""Writes of the member dashboard: notifications, read markers, e-mail preferences.

Notifications are written after the action that caused them has committed
(`transaction.on_commit(..., robust=True)`): a notification that cannot be written is logged and
lost, never a reason for a deposit, payout or withdrawal to fail or wait.
"""

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from .models import AnnouncementRead, EmailPreference, Notification

Kind = Notification.Kind


def notification_create(*, user_id: int, kind: str, params: dict | None = None, key: str | None = None) -> bool:
    """Write one notification now; False when `key` was already notified."""
    # Its own (sub)transaction: a failed insert must leave whatever runs around it usable.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO dashboard_notification (user_id, kind, key, params, created_at)
            VALUES (%s, %s, %s, %s::jsonb, now()) ON CONFLICT (key) DO NOTHING
            """,
            [user_id, kind, key, json.dumps(params or {})],
        )
        return cursor.rowcount == 1


def notify(*, user_id: int, kind: str, params: dict | None = None, key: str | None = None) -> None:
    """Notify one member once the current transaction commits (at once outside one)."""
    params = {name: str(value) for name, value in (params or {}).items()}
    transaction.on_commit(
        lambda: notification_create(user_id=user_id, kind=kind, params=params, key=key), robust=True
    )


def notifications_insert(*, kind: str, source_sql: str, params: dict | None = None) -> int:
    """One INSERT … SELECT for a set-based event: `source_sql` yields (user_id, key, params jsonb).

    Keys make it idempotent: a re-run, or a second worker, inserts nothing twice.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO dashboard_notification (user_id, kind, key, params, created_at)
            SELECT s.user_id, %(kind)s, s.key, s.params, now() FROM ({source_sql}) AS s(user_id, key, params)
            ON CONFLICT (key) DO NOTHING
            """,
            {**(params or {}), "kind": kind},
        )
        return cursor.rowcount


def notify_set(*, kind: str, source_sql: str, params: dict | None = None) -> None:
    """`notifications_insert` once the current transaction commits."""
    transaction.on_commit(
        lambda: notifications_insert(kind=kind, source_sql=source_sql, params=params), robust=True
    )


def notification_mark_read(*, user, notification_id: int) -> bool:
    """Mark one of the member's own notifications read; another member's id changes nothing."""
    return bool(
        Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def announcements_mark_read(*, user, announcement_ids: Iterable[int]) -> None:
    AnnouncementRead.objects.bulk_create(
        [AnnouncementRead(user=user, announcement_id=pk) for pk in announcement_ids], ignore_conflicts=True
    )


def generation_digest_build(*, day: dt.date) -> int:
    """One notification per member for the generation income paid to them on `day` (UTC).

    Set-based: the day's purchases (their fan-out time) joined to their paid levels, grouped by
    member, in one INSERT … SELECT. Safe to run again: the key is `generation:<member>:<day>`.
    """
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return notifications_insert(
        kind=Kind.GENERATION_INCOME,
        source_sql="""
            SELECT c.user_id, 'generation:' || c.user_id || ':' || %(day)s,
                   jsonb_build_object('date', %(day)s, 'amount', sum(c.amount)::text, 'count', count(*)::text)
            FROM investment_subscription s
            JOIN earnings_commission c ON c.source_subscription_id = s.id AND c.commission_type = 'generation'
            WHERE s.generation_paid_at >= %(start)s AND s.generation_paid_at < %(end)s AND c.amount > 0
            GROUP BY c.user_id
        """,
        params={"day": day.isoformat(), "start": start, "end": start + dt.timedelta(days=1)},
    )


def notifications_prune(*, now: dt.datetime | None = None, read_days: int = 90, unread_days: int = 365,
                        batch_size: int = 50_000) -> int:
    """Delete read notifications after `read_days` and any after `unread_days`, in bounded batches."""
    now = now or timezone.now()
    deleted = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                """
                DELETE FROM dashboard_notification WHERE id IN (
                    SELECT id FROM dashboard_notification
                    WHERE created_at < %(unread)s OR (read_at IS NOT NULL AND created_at < %(read)s)
                    LIMIT %(batch)s
                )
                """,
                {"unread": now - dt.timedelta(days=unread_days), "read": now - dt.timedelta(days=read_days),
                 "batch": batch_size},
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch_size:
                return deleted


def email_preferences_set(*, user, deposits: bool, withdrawals: bool, mining_reminder: bool) -> EmailPreference:
    """Save the member's optional e-mails (the mining reminder is kept by mining/)."""
    from mining.services import mining_reminder_set

    with transaction.atomic():
        preference, _created = EmailPreference.objects.update_or_create(
            user=user, defaults={"deposits": deposits, "withdrawals": withdrawals}
        )
        mining_reminder_set(user=user, enabled=mining_reminder)
    return preference
