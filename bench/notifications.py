"""Notifications: the daily generation-income digest over 100,000 members, a set-based fan-out of
100,000 notifications (a payout run's), and the navbar's unread count with 1,000,000 rows stored."""

import datetime as dt
import random
import time

from _common import report, scaled, setup_django, slow_statements

setup_django()

from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from dashboard.selectors import unread_counts  # noqa: E402
from dashboard.services import generation_digest_build, notifications_insert  # noqa: E402
from investment.models import PlanVersion  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402

DAY = dt.date(2026, 11, 30)


def seed_generation(members: int) -> int:
    """One purchase per member fanned out on DAY, paying its sponsor (level 1) and the sponsor's
    sponsor (level 2): about two commissions per purchase, one digest per upline member."""
    network_seed(users=members, seed=5, prefix="note-")
    plan = PlanVersion.objects.order_by("-id").first() or PlanVersion.objects.create()
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap,
                 is_active, bonus_used, started_at, generation_paid_at, purchase_key)
            SELECT id, %(plan)s, 100, 'tier_1', 6, 0, 300, true, 0, %(noon)s,
                   %(noon)s + (id %% 3600) * interval '1 second', 'bench-note:' || id
            FROM accounts_user WHERE referred_by_id IS NOT NULL
            """,
            {"plan": plan.pk, "noon": noon},
        )
        cursor.execute(
            """
            INSERT INTO earnings_commission
                (user_id, from_user_id, level, amount, capped_amount, commission_type, skip_reason,
                 source_subscription_id, plan_version_id, description, paid_at)
            SELECT up.id, s.user_id, l.level, CASE l.level WHEN 1 THEN 10 ELSE 5 END, 0, 'generation', '',
                   s.id, s.plan_version_id, '', s.generation_paid_at
            FROM investment_subscription s JOIN accounts_user b ON b.id = s.user_id
            CROSS JOIN LATERAL (VALUES (1, b.referred_by_id),
                                       (2, (SELECT referred_by_id FROM accounts_user WHERE id = b.referred_by_id)))
                       AS l(level, upline)
            JOIN accounts_user up ON up.id = l.upline
            """
        )
        commissions = cursor.rowcount
        cursor.execute("ANALYZE")
    return commissions


def bench() -> None:
    members = scaled(100_000)
    started = time.perf_counter()
    commissions = seed_generation(members)
    print(f"# seeded {members} members, {commissions} commissions in {time.perf_counter() - started:.1f} s",
          flush=True)

    with connection.execute_wrapper(slow_statements):
        started = time.perf_counter()
        digests = generation_digest_build(day=DAY)
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert generation_digest_build(day=DAY) == 0
        rerun = time.perf_counter() - started
    report("generation_digest_build_s", first, "s", f"{commissions}commissions/{digests}digests")
    report("generation_digest_rerun_s", rerun, "s", f"{commissions}commissions")

    started = time.perf_counter()
    fanned = notifications_insert(kind="mining_session_completed", source_sql="""
        SELECT id, 'bench-fanout:' || id, jsonb_build_object('outcome', 'rewarded', 'reward', '0.100000')
        FROM accounts_user
    """)
    report("notifications_fan_out_s", time.perf_counter() - started, "s", fanned)

    # Fill the table to ten rows a member, a third of them unread, then time the navbar's count.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO dashboard_notification (user_id, kind, key, params, created_at, read_at)
            SELECT u.id, 'deposit_credited', NULL, '{"amount": "10"}', now(),
                   CASE WHEN mod(g, 3) = 0 THEN NULL ELSE now() END
            FROM accounts_user u CROSS JOIN generate_series(1, 8) g
            """
        )
        cursor.execute("SELECT count(*) FROM dashboard_notification")
        (stored,) = cursor.fetchone()
        cursor.execute("ANALYZE dashboard_notification")
    users = list(User.objects.order_by("?")[:500])
    random.seed(1)
    started = time.perf_counter()
    for user in users:
        unread_counts(user=user)
    report("unread_count_ms", (time.perf_counter() - started) * 1000 / len(users), "ms", stored)


if __name__ == "__main__":
    bench()
