"""JSON API speed: GET /api/v1/dashboard/ and /api/v1/earnings/ (first page and the next cursor
page) for members sampled from a network of 100,000 (× BENCH_SCALE) with 10 earnings lines each.

Server time: each request runs in this process through the whole Django stack (middleware, token
authentication, throttles, serializers), without a network hop. p50 over the samples; goal ≤ 30 ms.
"""

import random
import statistics
import time

from _common import report, scaled, setup_django, slow_statements

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tokens import api_token_issue  # noqa: E402
from investment.selectors import plan_current  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402

LINES_PER_MEMBER = 10
SAMPLES = 200


def seed(members: int) -> None:
    network_seed(users=members, seed=11, prefix="api-")
    plan_current()
    with connection.cursor() as cursor:
        # Earnings lines over the last 60 days: daily income, generation income and weekly bonuses.
        cursor.execute(
            """
            INSERT INTO wallet_transaction
                (user_id, type, amount, fee, net_amount, status, txn_hash, wallet_address, description,
                 created_at, updated_at)
            SELECT u.id, (ARRAY['daily_income', 'commission', 'weekly_bonus'])[1 + (n %% 3)], a.amount, 0, a.amount,
                   'completed', '', '', 'bench', now() - (n * interval '6 days') - (random() * interval '1 day'),
                   now()
            FROM accounts_user u CROSS JOIN generate_series(1, %s) n
            CROSS JOIN LATERAL (SELECT round((random() * 50)::numeric, 6) + n * 0 AS amount) a
            """,
            [LINES_PER_MEMBER],
        )
        # As tables in service are: vacuumed (visibility maps set) and analysed, so that the
        # measurement does not race autovacuum over what was just loaded.
        cursor.execute("VACUUM ANALYZE")


def timed_get(client: Client, path: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return elapsed, response.json()


def main() -> None:
    members = scaled(100_000)
    started = time.perf_counter()
    seed(members)
    print(f"# seeded {members} members and {members * LINES_PER_MEMBER} earnings lines in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    settings.API_THROTTLE_RATES = {"token": "100000/m", "address": "100000/m"}
    settings.ALLOWED_HOSTS = ["testserver"]
    ids = list(User.objects.values_list("pk", flat=True))
    sample = random.Random(5).sample(ids, min(SAMPLES, len(ids)))
    times: dict[str, list[float]] = {"dashboard": [], "earnings": [], "earnings_next": []}
    with connection.execute_wrapper(slow_statements):
        for user_id in sample:
            _instance, token = api_token_issue(user=User.objects.get(pk=user_id))
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            elapsed, _body = timed_get(client, "/api/v1/dashboard/")
            times["dashboard"].append(elapsed)
            elapsed, page = timed_get(client, "/api/v1/earnings/?page_size=5")
            times["earnings"].append(elapsed)
            assert len(page["results"]) == 5 and page["next"], page
            elapsed, _next = timed_get(client, page["next"])
            times["earnings_next"].append(elapsed)
        with CaptureQueriesContext(connection) as captured:  # apart: capturing slows the statements
            timed_get(client, "/api/v1/dashboard/")
    for name, values in times.items():
        report(f"api_{name}_p50_ms", statistics.median(values) * 1000, "ms", members)
        report(f"api_{name}_p95_ms", statistics.quantiles(values, n=20)[-1] * 1000, "ms", members)
    report("api_dashboard_queries", len(captured), "queries", members)


if __name__ == "__main__":
    main()
