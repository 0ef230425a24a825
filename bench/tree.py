"""Referral tree speed on a seeded network: seeding, upline, per-level counts, registration, /team/."""

import random
import statistics
import time

from _common import report, scaled, setup_django

setup_django()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.selectors import team_stats, team_stats_cache_key, user_upline  # noqa: E402
from accounts.services import user_register  # noqa: E402
from wallet.ledger.accounts import platform_accounts_open  # noqa: E402
from wallet.seeding import network_seed  # noqa: E402


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    size = scaled(100_000)
    platform_accounts_open()
    started = time.perf_counter()
    result = network_seed(users=size, seed=7, password="bench-password-7")
    report("tree_seed_100k_s", time.perf_counter() - started, "s", size)
    root = User.objects.get(pk=result.root_id)

    # Upline of 20 levels for members deep enough to have 20 sponsors above them.
    deep_ids = list(User.objects.filter(depth__gte=20).values_list("pk", flat=True)[:5000])
    rng = random.Random(7)
    members = list(User.objects.filter(pk__in=rng.sample(deep_ids, min(1000, len(deep_ids)))))
    samples = []
    for member in members:
        t0 = time.perf_counter()
        upline = user_upline(user=member, levels=20)
        samples.append(time.perf_counter() - t0)
        assert len(upline) == 20
    report("tree_upline_p50_ms", median_ms(samples), "ms", size)

    team_stats(user=root)  # warm the cache of the index pages
    samples = []
    for _ in range(7):
        t0 = time.perf_counter()
        stats = team_stats(user=root)
        samples.append(time.perf_counter() - t0)
    assert stats.team_size == size - 1
    report("tree_level_counts_ms", median_ms(samples), "ms", size)

    sponsor = members[0]
    with CaptureQueriesContext(connection) as queries:
        user_register(username="bench-newcomer", email="bench-newcomer@example.com", site_url="http://127.0.0.1/",
                      password="bench-password-7", sponsor=sponsor)
    statements = [q["sql"] for q in queries]
    if "COMMIT" in statements:
        statements = statements[: statements.index("COMMIT") + 1]  # the welcome email runs after it
    report("tree_register_queries", len(statements), "queries", size)

    client = Client(SERVER_NAME="localhost")
    client.force_login(root)
    client.get("/team/")
    samples = []
    for _ in range(9):
        t0 = time.perf_counter()
        response = client.get("/team/")
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200
    # Warm: the per-level counts come from the cache (forgotten whenever the tree changes).
    report("tree_team_page_ms", median_ms(samples), "ms", size)
    samples = []
    for _ in range(7):
        cache.delete(team_stats_cache_key(root.pk))
        t0 = time.perf_counter()
        client.get("/team/")
        samples.append(time.perf_counter() - t0)
    report("tree_team_page_cold_ms", median_ms(samples), "ms", size)

    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        client.get("/team/members/", {"level": "all", "page": "3"})
        samples.append(time.perf_counter() - t0)
    report("tree_team_members_all_levels_ms", median_ms(samples), "ms", size)


if __name__ == "__main__":
    main()
