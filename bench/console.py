"""Operator console at 100k members: page server time and queries (with the figures the
every-minute job keeps ready, and computed cold), the job itself, /metrics, and a staff distribution
to every member (≤ 10 s) with its re-run paying nothing.

Data: `seed_network` members, one subscription for half of them (paid one day of daily income,
so the payouts figures read real ledger rows), 30 days of per-minute task runs for every periodic
job, and a few thousand withdrawals.
"""

import datetime as dt
import statistics
import time
import uuid

from _common import report, scaled, setup_django, slow_statements

setup_django()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.tests.factories import staff_member, verified_login  # noqa: E402
from dashboard.console.selectors import console_refresh  # noqa: E402
from earnings.distributions import RecipientFilter, distribution_pay  # noqa: E402
from earnings.services import daily_income_pay  # noqa: E402
from investment.selectors import plan_current  # noqa: E402
from phonix.readings import custody_reading_record  # noqa: E402
from phonix.schedules import SCHEDULES  # noqa: E402
from wallet.ledger.accounts import platform_accounts_open  # noqa: E402
from wallet.models import LedgerTransaction  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402

_TODAY = dt.datetime.now(dt.UTC).date()
PAYOUT_DATE = _TODAY - dt.timedelta(days=max(0, _TODAY.weekday() - 4))  # the latest weekday up to today
RUNS = 5


def seed(members: int) -> None:
    network_seed(users=members, seed=11, prefix="console-")
    platform_accounts_open()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO investment_subscription
                (user_id, plan_version_id, amount, tier, monthly_rate, total_earned, earnings_cap, is_active,
                 bonus_used, started_at, purchase_key, generation_paid_at)
            SELECT u.id, %s, a.amount,
                   CASE WHEN a.amount <= 3000 THEN 'tier_1' WHEN a.amount <= 5000 THEN 'tier_2' ELSE 'tier_3' END,
                   CASE WHEN a.amount <= 3000 THEN 6 WHEN a.amount <= 5000 THEN 8 ELSE 10 END,
                   0, a.amount * 3, true, 0, now() - interval '40 days' + (u.id %% 40) * interval '1 day',
                   'bench:' || u.id, now()
            FROM accounts_user u
            CROSS JOIN LATERAL (SELECT round((50 + random() * 9950)::numeric, 2) AS amount) a
            WHERE u.username LIKE 'console-%%' AND u.id %% 2 = 0
            """,
            [plan_current().pk],
        )
        cursor.execute(
            """
            UPDATE accounts_user u SET total_invested = s.amount, is_active_investor = true,
                   last_login = now() - (u.id % 60) * interval '1 day'
            FROM investment_subscription s WHERE s.user_id = u.id AND s.purchase_key LIKE 'bench:%'
            """
        )
        cursor.execute(
            """
            INSERT INTO phonix_taskrun (task_id, name, state, started_at, finished_at, error)
            SELECT md5(t.task || m::text), t.task,
                   CASE WHEN m %% 97 = 0 THEN 'failure' ELSE 'success' END,
                   now() - m * interval '1 minute', now() - m * interval '1 minute' + interval '2 seconds', ''
            FROM unnest(%s::text[]) AS t(task) CROSS JOIN generate_series(1, 30 * 24 * 60) AS m
            """,
            [[task for task, _cron, _queue in SCHEDULES.values()]],
        )
        cursor.execute(
            """
            INSERT INTO wallet_withdrawal (user_id, amount, fee, net_amount, address, status, approvals_required,
                                           txid, failure_reason, created_at, updated_at, completed_at)
            SELECT u.id, 100, 5, 95, 'T' || repeat('1', 33),
                   (ARRAY['pending', 'approved', 'completed', 'completed', 'rejected'])[1 + u.id % 5], 1, '', '',
                   now() - (u.id % 14) * interval '1 day', now() - (u.id % 14) * interval '1 day',
                   CASE WHEN u.id % 5 IN (2, 3) THEN now() - (u.id % 14) * interval '1 day' + interval '20 minutes' END
            FROM accounts_user u WHERE u.username LIKE 'console-%' AND u.id % 20 = 1
            """
        )
        cursor.execute("VACUUM ANALYZE")
    custody_reading_record(hot_wallet=1_000_000, deposit_addresses=25_000, ledger_custody=1_025_000, problems=0)
    daily_income_pay(payout_date=PAYOUT_DATE)
    with connection.cursor() as cursor:  # autovacuum runs between the midnight payout and a staff action
        cursor.execute("VACUUM ANALYZE")


def _timed_get(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed, len(captured)


def bench_page(members: int) -> None:
    """The page as staff see it (figures refreshed by the every-minute job), and computed cold."""
    client = Client(SERVER_NAME="localhost")  # an allowed host
    verified_login(client, staff_member("earnings.distribute_promotion", username="console-staff"))
    client.get("/admin/console/")  # the session, the permissions and the templates, loaded once
    refresh_times, page_times, cold_times = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        console_refresh()
        refresh_times.append(time.perf_counter() - started)
        elapsed, queries = _timed_get(client, "/admin/console/")
        page_times.append(elapsed)
    for _ in range(RUNS):
        cache.clear()
        elapsed, cold_queries = _timed_get(client, "/admin/console/")
        cold_times.append(elapsed)
    report("console_page_ms", statistics.median(page_times) * 1000, "ms", members)
    report("console_page_queries", queries, "queries", members)
    report("console_refresh_job_ms", statistics.median(refresh_times) * 1000, "ms", members)
    report("console_page_cold_ms", statistics.median(cold_times) * 1000, "ms", members)
    report("console_page_cold_queries", cold_queries, "queries", members)
    token = "bench-metrics-token"
    from django.conf import settings

    settings.METRICS_TOKEN = token
    console_refresh()
    started = time.perf_counter()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    report("console_metrics_ms", (time.perf_counter() - started) * 1000, "ms", members)


def bench_distribution(members: int) -> None:
    staff = staff_member("earnings.distribute_promotion", username="distributing-staff")
    key = str(uuid.uuid4())
    terms = {"actor": staff, "key": key, "recipients": RecipientFilter(), "amount": "1.5", "account": "main",
             "reason": "bench"}
    started = time.perf_counter()
    with connection.execute_wrapper(slow_statements):
        first = distribution_pay(**terms).distribution
    elapsed = time.perf_counter() - started
    assert first.recipients >= members, first.recipients
    postings = LedgerTransaction.objects.count()
    started = time.perf_counter()
    again = distribution_pay(**terms)
    rerun = time.perf_counter() - started
    assert not again.created and LedgerTransaction.objects.count() == postings
    report("console_distribution_main_s", elapsed, "s", first.recipients)
    report("console_distribution_paid_members", first.paid_count, "members", first.recipients)
    report("console_distribution_rerun_s", rerun, "s", first.recipients)
    report("console_distribution_rerun_paid", LedgerTransaction.objects.count() - postings, "postings",
           first.recipients)
    started = time.perf_counter()
    bonus = distribution_pay(**{**terms, "key": str(uuid.uuid4()), "account": "bonus"}).distribution
    report("console_distribution_bonus_s", time.perf_counter() - started, "s", bonus.recipients)


if __name__ == "__main__":
    size = scaled(100_000)
    started = time.perf_counter()
    seed(size)
    print(f"# seeded {size} members in {time.perf_counter() - started:.1f} s", flush=True)
    bench_page(size)
    bench_distribution(size)
