"""Earnings speed: purchase and 20-level fan-out (queries and p50), daily income over 100k subscriptions,
the member totals reconciliation after it.

The daily run is compared with an honest floor: the same rows the run writes (commission rows,
a ledger transaction per batch with an entry per member, history lines, balance, subscription and
member total updates) written with the fewest plain statements, user triggers off, no caps, no
locks, rolled back.
"""

import resource
import statistics
import time
import uuid
from decimal import Decimal

from _common import investors_from_subscriptions, report, scaled, setup_django, slow_statements

setup_django()

import datetime as dt  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from earnings import tasks as earnings_tasks  # noqa: E402
from earnings.reconcile import member_totals_reconcile  # noqa: E402
from earnings.services import DAILY_BATCH_MEMBERS, daily_income_pay, generation_distribute  # noqa: E402
from investment.selectors import plan_current  # noqa: E402
from investment.services import subscription_purchase  # noqa: E402
from wallet.ledger.accounts import platform_accounts_open  # noqa: E402
from wallet.ledger.adjustments import balance_adjust  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402

# The latest weekday up to today (UTC): a daily run refuses a date after today.
_TODAY = dt.datetime.now(dt.UTC).date()
PAYOUT_DATE = _TODAY - dt.timedelta(days=max(0, _TODAY.weekday() - 4))


def statements(queries) -> int:
    """Statements sent, without the BEGIN and COMMIT that every transaction has."""
    return sum(1 for query in queries if query["sql"] not in ("BEGIN", "COMMIT"))


def qualifying_chain(levels: int = 20) -> User:
    """A chain where every level qualifies: active investors with 10 directs and a large cap room."""
    sponsor = None
    for level in range(levels):
        member = user_create(username=f"chain{level}", email="", password=None, sponsor=sponsor)
        for extra in range(9):
            user_create(username=f"chain{level}-d{extra}", email="", password=None, sponsor=member)
        sponsor = member
    chain_ids = list(User.objects.filter(username__regex=r"^chain[0-9]+$").values_list("pk", flat=True))
    User.objects.filter(pk__in=chain_ids).update(total_invested=Decimal(10_000_000), is_active_investor=True)
    return User.objects.get(pk=sponsor.pk)


def bench_purchase_and_fan_out() -> None:
    platform_accounts_open()
    plan_current()
    bottom = qualifying_chain()
    count = scaled(60)
    buyers = []
    for i in range(count):
        buyer = user_create(username=f"buyer{i}", email="", password=None, sponsor=bottom)
        balance_adjust(user_id=buyer.pk, amount=Decimal(1000), reason="bench", created_by_id=None)
        buyers.append(buyer)
    # The fan-out is timed on its own below, as the worker runs it; here the enqueue is left out.
    earnings_tasks.generation_distribute_task.delay_on_commit = lambda *args, **kwargs: None

    purchase_times, subscription_ids, purchase_queries = [], [], None
    for i, buyer in enumerate(buyers):
        started = time.perf_counter()
        if i == 0:
            with CaptureQueriesContext(connection) as queries:
                subscription = subscription_purchase(user=buyer, amount="500", use_bonus=False,
                                                     token=str(uuid.uuid4()))
            purchase_queries = statements(queries)
            for query in queries:
                print("#", query["time"], query["sql"][:100].replace("\n", " "))
        else:
            subscription = subscription_purchase(user=buyer, amount="500", use_bonus=False, token=str(uuid.uuid4()))
        purchase_times.append(time.perf_counter() - started)
        subscription_ids.append(subscription.pk)
    report("earnings_purchase_queries", purchase_queries, "queries", 1)
    report("earnings_purchase_p50_ms", statistics.median(purchase_times[1:]) * 1000, "ms", count)

    fan_out_times, fan_out_queries = [], None
    for i, subscription_id in enumerate(subscription_ids):
        started = time.perf_counter()
        if i == 0:
            with CaptureQueriesContext(connection) as queries:
                result = generation_distribute(subscription_id=subscription_id)
            fan_out_queries = statements(queries)
            for query in queries:
                print("#", query["time"], query["sql"][:100].replace("\n", " "))
        else:
            result = generation_distribute(subscription_id=subscription_id)
        fan_out_times.append(time.perf_counter() - started)
        assert sum(1 for o in result.outcomes if o.amount > 0) == 20, result
    report("earnings_fanout_queries", fan_out_queries, "queries", 20)
    report("earnings_fanout_p50_ms", statistics.median(fan_out_times[1:]) * 1000, "ms", count)


def seed_subscriptions(count: int) -> None:
    """Two subscriptions per member of a seeded network, written in one statement."""
    network_seed(users=count // 2, seed=7, prefix="daily-")
    plan_id = plan_current().pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap, is_active,
                 bonus_used, started_at, purchase_key, generation_paid_at)
            SELECT u.id, %s, a.amount,
                   CASE WHEN a.amount <= 3000 THEN 'tier_1' WHEN a.amount <= 5000 THEN 'tier_2' ELSE 'tier_3' END,
                   CASE WHEN a.amount <= 3000 THEN 6 WHEN a.amount <= 5000 THEN 8 ELSE 10 END,
                   0, a.amount * 3, true, 0, now() - interval '30 days', 'bench:' || u.id || ':' || n, now()
            FROM accounts_user u
            CROSS JOIN generate_series(1, 2) AS n
            CROSS JOIN LATERAL (SELECT round((50 + random() * 9950)::numeric, 2) AS amount) a
            WHERE u.username LIKE 'daily-%%'
            """,
            [plan_id],
        )
        investors_from_subscriptions(cursor, purchase_key_like="bench:%")
        # Autovacuum runs between a day's purchases and the midnight payout; do the same here so the
        # run finds the free page space that keeps its updates HOT.
        cursor.execute("VACUUM ANALYZE")


FLOOR_TABLES = ("earnings_commission", "wallet_ledgertransaction", "wallet_ledgerentry", "wallet_transaction",
                "wallet_ledgeraccount", "investment_subscription", "accounts_user")


def honest_floor(count: int, payout_date: dt.date) -> float:
    """The rows a daily run over `count` subscriptions writes, in plain statements, rolled back.

    As the run does: a commission row per subscription; per batch of members one ledger
    transaction, an entry per member and one for `payouts`; a history line per member; the
    balance, subscription and member total updates.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for table in FLOOR_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute("SELECT id FROM wallet_ledgeraccount WHERE user_id IS NULL AND code = 'payouts'")
        (payouts,) = cursor.fetchone()
        values = {"date": payout_date, "payouts": payouts, "batch": DAILY_BATCH_MEMBERS}
        started = time.perf_counter()
        cursor.execute(
            """
            CREATE TEMP TABLE floor_pay ON COMMIT DROP AS
            SELECT s.id AS subscription_id, s.user_id, s.plan_version_id, a.id AS account_id,
                   trunc(s.amount * s.monthly_rate / 3000, 6) AS amount,
                   (dense_rank() OVER (ORDER BY s.user_id) - 1) / %(batch)s AS batch
            FROM investment_subscription s JOIN wallet_ledgeraccount a ON a.user_id = s.user_id AND a.code = 'main'
            WHERE s.purchase_key LIKE 'bench:%%'
            """,
            values,
        )
        assert cursor.rowcount == count, cursor.rowcount
        cursor.execute(
            """
            CREATE TEMP TABLE floor_member ON COMMIT DROP AS
            SELECT user_id, account_id, batch, sum(amount) AS amount FROM floor_pay GROUP BY 1, 2, 3
            """
        )
        cursor.execute(
            """
            WITH t AS (
                INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)
                SELECT 'daily_income', 'floor:' || batch, '', '', now() FROM (SELECT DISTINCT batch FROM floor_pay) b
                RETURNING id, idempotency_key
            ), c AS (
                INSERT INTO earnings_commission
                    (user_id, from_user_id, level, amount, capped_amount, commission_type, skip_reason,
                     source_subscription_id, plan_version_id, payout_date, description, paid_at, ledger_transaction_id)
                SELECT user_id, user_id, 0, amount, 0, 'daily_bond', '', subscription_id, plan_version_id,
                       %(date)s, '', now(), t.id FROM floor_pay p JOIN t ON t.idempotency_key = 'floor:' || p.batch
            ), e AS (
                INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount)
                SELECT t.id, m.account_id, m.amount
                FROM floor_member m JOIN t ON t.idempotency_key = 'floor:' || m.batch
                UNION ALL
                SELECT t.id, %(payouts)s, -sum(m.amount)
                FROM floor_member m JOIN t ON t.idempotency_key = 'floor:' || m.batch GROUP BY t.id
            )
            INSERT INTO wallet_transaction
                (user_id, type, amount, fee, net_amount, status, txn_hash, wallet_address, description,
                 subscription_id, ledger_transaction_id, created_at, updated_at, completed_at)
            SELECT m.user_id, 'daily_income', m.amount, 0, m.amount, 'completed', '', '', '', NULL, t.id,
                   now(), now(), now()
            FROM floor_member m JOIN t ON t.idempotency_key = 'floor:' || m.batch
            """,
            values,
        )
        cursor.execute(
            """
            UPDATE wallet_ledgeraccount a SET balance = a.balance + m.amount
            FROM floor_member m WHERE a.id = m.account_id
            """
        )
        cursor.execute("UPDATE wallet_ledgeraccount SET balance = balance - (SELECT sum(amount) FROM floor_pay) "
                       "WHERE id = %(payouts)s", values)
        cursor.execute(
            """
            UPDATE investment_subscription s SET total_earned = s.total_earned + p.amount, daily_paid_through = %(date)s
            FROM floor_pay p WHERE s.id = p.subscription_id
            """,
            values,
        )
        cursor.execute(
            """
            UPDATE accounts_user u SET total_earnings = u.total_earnings + m.amount
            FROM floor_member m WHERE u.id = m.user_id
            """
        )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # the rolled-back rows must not take the run's free page room
    return elapsed


def bench_daily_income() -> None:
    count = scaled(100_000)
    started = time.perf_counter()
    seed_subscriptions(count)
    print(f"# seeded {count} subscriptions in {time.perf_counter() - started:.1f} s", flush=True)
    floor = honest_floor(count, PAYOUT_DATE)
    started = time.perf_counter()
    with connection.execute_wrapper(slow_statements):
        result = daily_income_pay(payout_date=PAYOUT_DATE)
    first = time.perf_counter() - started
    assert result.paid_count >= count, result  # and the bench purchases above
    started = time.perf_counter()
    again = daily_income_pay(payout_date=PAYOUT_DATE)
    rerun = time.perf_counter() - started
    assert again.paid_count == 0, again
    report("earnings_daily_100k_s", first, "s", count)
    report("earnings_daily_rerun_s", rerun, "s", count)
    report("earnings_daily_honest_floor_s", floor, "s", count)
    report("earnings_daily_vs_honest_floor", first / floor, "x", count)
    # The process's peak resident memory so far (seeding included, so an upper bound for the run).
    report("earnings_daily_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB", count)
    started = time.perf_counter()
    member_totals_reconcile()  # the chain above holds invested totals without subscriptions: drift, listed
    report("earnings_member_totals_reconcile_s", time.perf_counter() - started, "s", count)


if __name__ == "__main__":
    bench_purchase_and_fan_out()
    bench_daily_income()
