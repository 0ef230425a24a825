"""Ranks speed: leg-volume rebuild, the per-purchase update, the rank check and a weekly payout.

On a seed_network of 100,000 members with 200,000 subscriptions (× BENCH_SCALE); at
BENCH_SCALE=10 the rebuild runs over 1,000,000 members and is reported as ranks_recompute_1m_s.
"""

import datetime as dt
import time
from decimal import Decimal

from _common import investors_from_subscriptions, report, scaled, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from investment.models import PlanVersion  # noqa: E402
from ranks.services import leg_volumes_add, leg_volumes_recompute, ranks_check, weekly_bonuses_pay  # noqa: E402
from ranks.weeks import week_monday  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402


def seed(members: int, subscriptions: int) -> None:
    network_seed(users=members, seed=7)
    plan = PlanVersion.objects.order_by("-id").first() or PlanVersion.objects.create()
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM accounts_user")
        (ids,) = cursor.fetchone()
        # Amounts 50 … 10,000 with a long tail, buyers skewed towards early members.
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap,
                 is_active, bonus_used, started_at, purchase_key)
            SELECT b.user_id, %(plan)s, b.amount, 'tier_1', 6, 0, b.amount * 3, true, 0, now(),
                   'bench:' || b.g
            FROM (
                SELECT g, (%(ids)s::bigint[])[1 + floor(power(random(), 1.3) * %(n)s)::int] AS user_id,
                       round((50 + power(random(), 3) * 9950)::numeric, 2) AS amount
                FROM generate_series(1, %(count)s) g
            ) b
            """,
            {"plan": plan.pk, "ids": ids, "n": len(ids), "count": subscriptions},
        )
        investors_from_subscriptions(cursor)
        cursor.execute("ANALYZE")


def bench_recompute(members: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ranks_membervolume")
    started = time.perf_counter()
    built = leg_volumes_recompute()  # from an empty table: every row is written
    elapsed = time.perf_counter() - started
    name = "ranks_recompute_1m_s" if members >= 1_000_000 else "ranks_recompute_100k_s"
    report(name, elapsed, "s", members)
    started = time.perf_counter()
    check = leg_volumes_recompute()
    print(f"# rebuild wrote {built.differences} rows; a second run found {check.differences} differences "
          f"in {time.perf_counter() - started:.2f} s", flush=True)
    assert check.differences == 0


def bench_incremental(members: int) -> None:
    deepest = User.objects.order_by("-depth").first()
    with CaptureQueriesContext(connection) as ctx:
        leg_volumes_add(buyer=deepest, amount=Decimal("123.45"))
    report("ranks_incremental_queries", len(ctx.captured_queries), "queries", members)
    print(f"# the buyer is {deepest.depth} levels deep", flush=True)


def bench_check(members: int, now: dt.datetime) -> None:
    started = time.perf_counter()
    result = ranks_check(now=now)
    elapsed = time.perf_counter() - started
    report("ranks_check_s", elapsed, "s", members)
    print(f"# {result.checked} members with legs, {result.promoted} promoted: {result.promotions}", flush=True)


def bench_weekly(ranked: int, week: dt.date) -> None:
    """Exactly `ranked` members with a running bonus, then one Monday's payout."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ranks_rankachievement")
        cursor.execute("DELETE FROM ranks_rank")
        cursor.execute(
            """
            INSERT INTO ranks_rank (user_id, current_rank, main_leg_volume, other_legs_volume,
                                    weekly_bonus_amount, weeks_remaining, bonus_start_week)
            SELECT id, 'connector', 5000, 5000, 50, 52, %s FROM accounts_user
            WHERE total_invested > 0 ORDER BY id LIMIT %s
            """,
            [week, ranked],
        )
        cursor.execute("SELECT count(*) FROM ranks_rank")
        (count,) = cursor.fetchone()
    started = time.perf_counter()
    result = weekly_bonuses_pay(week=week)
    elapsed = time.perf_counter() - started
    report("ranks_weekly_10k_s", elapsed, "s", count)
    print(f"# paid {result.paid} and capped {result.capped} over {result.weeks_settled} weeks", flush=True)


def main() -> None:
    members, subscriptions = scaled(100_000), scaled(200_000)
    started = time.perf_counter()
    seed(members, subscriptions)
    print(f"# seeded {members} members and {subscriptions} subscriptions in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    bench_recompute(members)
    bench_incremental(members)
    now = dt.datetime.now(dt.UTC)
    bench_check(members, now)
    bench_weekly(scaled(10_000), week_monday(now.date()))


if __name__ == "__main__":
    main()
