"""Mining calculator speed: 1,000 configurations, the miner comparison page, the calculator page.

The database holds the seeded ASIC catalogue and a year of 5-minute market snapshots, so the
"latest snapshot" lookup and the history chart run against a realistic table.
"""

import statistics
import time
from decimal import Decimal

from _common import report, scaled, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from mining.calculator import Market, Rig, profitability, projection  # noqa: E402
from mining.models import AsicMiner, NetworkSnapshot  # noqa: E402
from mining.selectors import market_history  # noqa: E402
from mining.services import BUCKET  # noqa: E402

CONFIGS = 1000
REPEAT = 15


def make_snapshots(count: int) -> None:
    """A snapshot in every bucket (5 minutes) back from now, written in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO mining_networksnapshot
                (bucket, fetched_at, btc_price_usd, btc_change_24h_pct, difficulty, network_hashrate,
                 avg_fees_btc, height, next_difficulty_change_pct, sources, as_of, stale)
            SELECT to_timestamp(floor(extract(epoch FROM s.at) / %(bucket)s) * %(bucket)s), s.at,
                   80000 + s.i %% 9000, 0.5,
                   102289354981091 - (s.i / 4032) * 1000000000000::numeric, 791872349810000000000, 0.025,
                   873823 - s.i / 2, 1.2, '{"price": "coingecko"}',
                   (SELECT jsonb_object_agg(q, to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
                    FROM unnest(ARRAY['price', 'difficulty', 'hashrate', 'fees', 'height', 'adjustment']) AS q),
                   '{}'
            FROM (SELECT i, now() - i * %(bucket)s * interval '1 second' AS at
                  FROM generate_series(0, %(count)s - 1) AS i) s
            """,
            {"bucket": int(BUCKET.total_seconds()), "count": count},
        )
        cursor.execute("ANALYZE mining_networksnapshot")


def configs(market: Market) -> list[Rig]:
    miners = list(AsicMiner.objects.all())
    rigs = []
    for i in range(CONFIGS):
        miner = miners[i % len(miners)]
        rigs.append(Rig(
            hashrate_ths=miner.hashrate_ths, power_w=Decimal(miner.power_w), quantity=1 + i % 50,
            electricity_usd_kwh=Decimal("0.02") + Decimal(i % 15) / 100, pool_fee_pct=Decimal(i % 4),
            uptime_pct=Decimal(90 + i % 11), hardware_cost_usd=Decimal(1000 + 10 * i),
            difficulty_growth_pct=Decimal(i % 5),
        ))
    return rigs


def bench_configs(market: Market) -> None:
    rigs = configs(market)
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        for rig in rigs:
            profitability(rig=rig, market=market)
        timings.append((time.perf_counter() - started) * 1000)
    report("calculator_1000_configs_ms", statistics.median(timings), "ms", CONFIGS)

    started = time.perf_counter()
    for rig in rigs[:100]:
        projection(rig=rig, market=market)
    report("calculator_projection_24m_ms", (time.perf_counter() - started) * 1000 / 100, "ms", 1)


def bench_page(client: Client, path: str, params: dict, name: str, size: str) -> None:
    client.get(path, params)  # warm caches and connections
    queries = []
    # Counted by an execute wrapper: the debug query log is a bounded deque that a bulk load can fill.
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
    if name == "calculator_compare":
        report("calculator_compare_queries", len(queries), "queries", size)
    else:
        report(f"{name}_queries", len(queries), "queries", size)
    report(f"{name}_ms", statistics.median(timings), "ms", size)


def main() -> None:
    # The test client's host; setup_test_environment() is not used because it instruments every
    # template render, which is not what a production request pays.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    snapshot_count = scaled(105_120)  # a year of 5-minute snapshots
    make_snapshots(snapshot_count)
    latest = NetworkSnapshot.objects.order_by("-bucket").first()
    market = Market(price_usd=latest.btc_price_usd, difficulty=latest.difficulty, fees_btc=latest.avg_fees_btc,
                    height=latest.height, observed_hashrate_hs=latest.network_hashrate)
    bench_configs(market)
    miners = AsicMiner.objects.count()
    client = Client()
    bench_page(client, "/mining/compare/", {"electricity_usd_kwh": "0.07"}, "calculator_compare",
               f"{miners}miners/{snapshot_count}snapshots")
    started = time.perf_counter()
    points = len(market_history())
    report("calculator_history_uncached_ms", (time.perf_counter() - started) * 1000, "ms",
           f"{snapshot_count}snapshots/{points}days")
    bench_page(client, "/mining/calculator/", {"quantity": "3", "hardware_cost_usd": "3500"}, "calculator_page",
               f"{snapshot_count}snapshots")


if __name__ == "__main__":
    main()
