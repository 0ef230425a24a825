"""The operator console's figures: the platform's health, its obligations and its reserves.

Every figure comes from one set-based statement per area (a fixed number of queries whatever
the data size) or from a small summary table (payout days, task runs, custody readings). A Beat
job (`refresh-console`, every minute) computes the set ahead of the pages; it is cached and
shared by the console page and `/metrics`.

Time windows are rolling from now ("7 days" = the last 7 × 24 hours) except for payouts, which
are summed by UTC day (today so far, the last 7 and the last 30 UTC days). Amounts are Decimals
with 6 places; durations are seconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from investment.caps import cap_room_sql
from investment.selectors import cap_multiple
from phonix.money import ZERO

from .payout_days import CURSOR_NAME, PAYOUT_TYPES, PAYOUTS_BETWEEN_SQL

CACHE_KEY = "console:figures"
WINDOWS = {"today": None, "7d": 7, "30d": 30}
QUEUES = ("default", "chain", "payouts")
PENDING_LISTED = 10
BROKER_TIMEOUT_S = 2

def _since(now: dt.datetime) -> dict[str, dt.datetime]:
    today = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time.min, tzinfo=dt.UTC)
    return {"today": today, "1d": now - dt.timedelta(days=1), "7d": now - dt.timedelta(days=7),
            "30d": now - dt.timedelta(days=30)}


def _one(sql: str, params: dict) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def members_figures(*, now: dt.datetime) -> dict:
    """Members (staff not counted) and the plan's outstanding obligation: Σ of their cap room."""
    since = _since(now)
    total, investors, today, week, month, active, obligation = _one(
        f"""
        SELECT count(*), count(*) FILTER (WHERE u.is_active_investor),
               count(*) FILTER (WHERE u.joined_at >= %(today)s), count(*) FILTER (WHERE u.joined_at >= %(7d)s),
               count(*) FILTER (WHERE u.joined_at >= %(30d)s), count(*) FILTER (WHERE u.last_login >= %(30d)s),
               coalesce(sum({cap_room_sql("u")}), 0)
        FROM accounts_user u WHERE NOT u.is_staff
        """,
        {**since, "cap_multiple": cap_multiple()},
    )
    return {"total": total, "active_investors": investors, "new": {"today": today, "7d": week, "30d": month},
            "active_users_30d": active, "obligation": obligation}


# Count and value of the subscriptions started in each window, a pair of columns per window.
_NEW_SUBSCRIPTIONS_SQL = ", ".join(
    f"count(*) FILTER (WHERE started_at >= %({window})s), "
    f"coalesce(sum(amount) FILTER (WHERE started_at >= %({window})s), 0)"
    for window in WINDOWS
)


def subscriptions_figures(*, now: dt.datetime) -> dict:
    """Active subscriptions by tier, new ones, those completed at their cap, and the daily run-rate:
    what the active ones pay on a weekday, each cut to its own cap room."""
    since = _since(now)
    rows = _all(
        f"""
        SELECT tier, count(*) FILTER (WHERE is_active), coalesce(sum(amount) FILTER (WHERE is_active), 0),
               {_NEW_SUBSCRIPTIONS_SQL},
               count(*) FILTER (WHERE completed_at IS NOT NULL),
               coalesce(sum(LEAST(trunc(amount * monthly_rate / 3000, 6), earnings_cap - total_earned))
                        FILTER (WHERE is_active), 0)
        FROM investment_subscription GROUP BY tier ORDER BY tier
        """,
        since,
    )
    by_tier = {tier: {"count": count, "value": value} for tier, count, value, *_rest in rows}
    new = {window: {"count": sum(row[3 + 2 * i] for row in rows), "value": sum((row[4 + 2 * i] for row in rows), ZERO)}
           for i, window in enumerate(WINDOWS)}
    return {
        "by_tier": by_tier, "active_count": sum(t["count"] for t in by_tier.values()),
        "active_value": sum((t["value"] for t in by_tier.values()), ZERO), "new": new,
        "completed": sum(row[9] for row in rows), "daily_run_rate": sum((row[10] for row in rows), ZERO),
    }


def payouts_figures(*, now: dt.datetime) -> dict:
    """What the `payouts` account paid by type per UTC day over the last 30 days (today included),
    and its totals today, over the last 7 and the last 30 UTC days.

    Summarised days (`PayoutDay`) plus the postings after the summary's cursor, read live: one query.
    """
    today = now.astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(29, -1, -1)]
    live = PAYOUTS_BETWEEN_SQL.format(
        start="coalesce((SELECT through FROM phonix_summarycursor WHERE name = %(cursor)s), %(first)s)",
        end="'infinity'",
    )
    rows = _all(
        f"""
        SELECT day, type, total FROM phonix_payoutday WHERE day >= %(first_day)s AND day <= %(today)s
        UNION ALL
        SELECT day, type, total FROM ({live}) live
        """,
        {"cursor": CURSOR_NAME, "first_day": days[0], "today": today,
         "first": dt.datetime.combine(days[0], dt.time.min, tzinfo=dt.UTC)},
    )
    daily = {kind: dict.fromkeys(days, ZERO) for kind in PAYOUT_TYPES}
    for day, kind, amount in rows:
        if day in daily[kind]:
            daily[kind][day] += amount
    totals = {
        kind: {"today": series[today], "7d": sum(list(series.values())[-7:], ZERO), "30d": sum(series.values(), ZERO)}
        for kind, series in daily.items()
    }
    return {"days": days, "daily": {kind: list(series.values()) for kind, series in daily.items()},
            "totals": totals}


def balances_figures() -> dict:
    """Members' balances by account: what Phonix owes them now."""
    rows = dict(_all(
        "SELECT code, coalesce(sum(balance), 0) FROM wallet_ledgeraccount WHERE user_id IS NOT NULL GROUP BY code",
        {},
    ))
    by_code = {code: rows.get(code, ZERO) for code in ("main", "bonus", "withdrawal_hold")}
    return {**by_code, "total": sum(by_code.values(), ZERO)}


def reserves_figures(*, balances: dict, daily_run_rate: Decimal) -> dict:
    """USDT on chain from the latest itemised custody reconciliation, against members' balances."""
    from phonix.readings import custody_reading_latest

    reading = custody_reading_latest()
    if reading is None:
        return {"read_at": None, "hot_wallet": None, "deposit_addresses": None, "on_chain": None,
                "surplus": None, "days_covered": None, "problems": None}
    on_chain = reading.hot_wallet + reading.deposit_addresses
    days = (on_chain / daily_run_rate).quantize(Decimal("0.1")) if daily_run_rate else None
    return {"read_at": reading.read_at, "hot_wallet": reading.hot_wallet,
            "deposit_addresses": reading.deposit_addresses, "on_chain": on_chain,
            "surplus": on_chain - balances["total"], "days_covered": days, "problems": reading.problems}


def withdrawals_figures(*, now: dt.datetime) -> dict:
    """The queue (pending, approved not yet sent, sent not yet completed) and the last 7 days."""
    since = _since(now)
    (pending, pending_amount, oldest, approved, approved_amount, sent, p50, p95, completed, rejected,
     failed) = _one(
        """
        SELECT count(*) FILTER (WHERE status = 'pending'), coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0),
               min(created_at) FILTER (WHERE status = 'pending'),
               count(*) FILTER (WHERE status IN ('approved', 'processing', 'signed')),
               coalesce(sum(amount) FILTER (WHERE status IN ('approved', 'processing', 'signed')), 0),
               count(*) FILTER (WHERE status = 'broadcast'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))
                   FILTER (WHERE status = 'completed' AND completed_at >= %(7d)s),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))
                   FILTER (WHERE status = 'completed' AND completed_at >= %(7d)s),
               count(*) FILTER (WHERE status = 'completed' AND completed_at >= %(7d)s),
               count(*) FILTER (WHERE status = 'rejected' AND updated_at >= %(7d)s),
               count(*) FILTER (WHERE status = 'failed' AND updated_at >= %(7d)s)
        FROM wallet_withdrawal
        WHERE status IN ('pending', 'approved', 'processing', 'signed', 'broadcast') OR updated_at >= %(7d)s
        """,
        since,
    )
    queue = _all(
        """
        SELECT w.id, u.username, w.amount, w.created_at FROM wallet_withdrawal w
        JOIN accounts_user u ON u.id = w.user_id WHERE w.status = 'pending' ORDER BY w.created_at, w.id LIMIT %(n)s
        """,
        {"n": PENDING_LISTED},
    )
    return {
        "pending": pending, "pending_amount": pending_amount,
        "oldest_pending_age": (now - oldest).total_seconds() if oldest else None,
        "pending_listed": [{"id": pk, "username": name, "amount": amount, "age": (now - created).total_seconds()}
                           for pk, name, amount, created in queue],
        "approved_unsent": approved, "approved_unsent_amount": approved_amount, "sent_unconfirmed": sent,
        "processing_p50": p50, "processing_p95": p95, "completed_7d": completed,
        "rejected_7d": rejected, "failed_7d": failed,
    }


def deposits_figures(*, now: dt.datetime) -> dict:
    """Detection latency over 7 days (first seen by the scanner → credited; the block's own time is
    not stored), below-minimum deposits waiting for staff, orphaned and fork-reversal ones."""
    since = _since(now)
    p50, p95, credited, below, below_amount, orphaned, reversal = _one(
        """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM credited_at - created_at))
                   FILTER (WHERE status = 'credited' AND credited_at >= %(7d)s),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM credited_at - created_at))
                   FILTER (WHERE status = 'credited' AND credited_at >= %(7d)s),
               count(*) FILTER (WHERE status = 'credited' AND credited_at >= %(7d)s),
               count(*) FILTER (WHERE status = 'below_minimum'),
               coalesce(sum(amount) FILTER (WHERE status = 'below_minimum'), 0),
               count(*) FILTER (WHERE status = 'orphaned'), count(*) FILTER (WHERE status = 'reversal_pending')
        FROM wallet_deposit
        WHERE credited_at >= %(7d)s OR status IN ('below_minimum', 'orphaned', 'reversal_pending')
        """,
        since,
    )
    return {"latency_p50": p50, "latency_p95": p95, "credited_7d": credited, "below_minimum": below,
            "below_minimum_amount": below_amount, "orphaned": orphaned, "reversal_pending": reversal}


def jobs_figures(*, now: dt.datetime) -> list[dict]:
    """Every periodic job: last start and state, last success and its duration, runs and failures in 24 h."""
    from phonix.schedules import SCHEDULES

    names = {task: name for name, (task, _cron, _queue) in SCHEDULES.items()}
    rows = _all(
        """
        SELECT n.task, last.started_at, last.state, ok.started_at, ok.finished_at, day.runs, day.failures
        FROM unnest(%(tasks)s::text[]) AS n(task)
        LEFT JOIN LATERAL (SELECT started_at, state FROM phonix_taskrun r WHERE r.name = n.task
                           ORDER BY started_at DESC LIMIT 1) last ON true
        LEFT JOIN LATERAL (SELECT started_at, finished_at FROM phonix_taskrun r WHERE r.name = n.task
                           AND state = 'success' ORDER BY started_at DESC LIMIT 1) ok ON true
        CROSS JOIN LATERAL (SELECT count(*) AS runs, count(*) FILTER (WHERE state = 'failure') AS failures
                            FROM phonix_taskrun r WHERE r.name = n.task AND started_at >= %(1d)s) day
        """,
        {**_since(now), "tasks": list(names)},
    )
    jobs = [
        {"name": names[task], "task": task, "last_start": started, "last_state": state, "last_success": ok_end,
         "duration": (ok_end - ok_start).total_seconds() if ok_end else None, "runs_24h": runs,
         "failures_24h": failures}
        for task, started, state, ok_start, ok_end, runs, failures in rows
    ]
    return sorted(jobs, key=lambda job: job["name"])


def queue_lengths() -> dict[str, int | None]:
    """Messages waiting in each Celery queue (None when the broker does not answer)."""
    from phonix.celery import app

    try:
        with app.connection_for_read(connect_timeout=BROKER_TIMEOUT_S) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
            channel = conn.default_channel
            # kombu types the channel as its abstract base; every transport's channel declares queues.
            declare = channel.queue_declare  # type: ignore[attr-defined]
            return {name: declare(queue=name, passive=False).message_count for name in QUEUES}
    except Exception:  # the console reports a broker it cannot read instead of failing
        return dict.fromkeys(QUEUES)


def console_figures_compute(*, now: dt.datetime | None = None) -> dict:
    from phonix.stuck import stuck_items_count

    now = now or timezone.now()
    subscriptions = subscriptions_figures(now=now)
    balances = balances_figures()
    return {
        "generated_at": now,
        "members": members_figures(now=now),
        "subscriptions": subscriptions,
        "payouts": payouts_figures(now=now),
        "balances": balances,
        "reserves": reserves_figures(balances=balances, daily_run_rate=subscriptions["daily_run_rate"]),
        "withdrawals": withdrawals_figures(now=now),
        "deposits": deposits_figures(now=now),
        "jobs": jobs_figures(now=now),
        "queues": queue_lengths(),
        "stuck_items": stuck_items_count(),
    }


def console_figures() -> dict:
    """The figures as `console_refresh` left them a minute ago, or computed now when it has not run
    (then kept `CONSOLE_CACHE_SECONDS` for every web process)."""
    # The stub allows None, which get_or_set returns only when its default does.
    return cache.get_or_set(  # type: ignore[return-value]
        CACHE_KEY, console_figures_compute, settings.CONSOLE_CACHE_SECONDS
    )


def console_refresh() -> dict:
    """Summarise the payouts and compute the figures ahead of the pages (every minute, by Beat).

    Kept two periods, so that a page between two refreshes never waits for a computation.
    """
    from .payout_days import payout_days_summarise

    payout_days_summarise()
    figures = console_figures_compute()
    cache.set(CACHE_KEY, figures, 2 * settings.CONSOLE_CACHE_SECONDS)
    return figures
