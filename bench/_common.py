"""Shared set-up for benchmark scripts: Django on a throw-away database, and the BENCH line."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def setup_django() -> None:
    """Point Django at a fresh `bench_phonix` database on the same server and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phonix.settings.test")
    import django
    from django.conf import settings

    # Benchmarks build their data with raw SQL the application role may not run: as the owner.
    name = os.environ.get("BENCH_DATABASE_NAME", "bench_phonix")
    settings.DATABASES["default"] = {**settings.DATABASES["owner"], "NAME": name}
    settings.DATABASES["owner"]["NAME"] = name
    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases  # noqa: F401  (keeps django.test importable)

    _recreate_database(connection)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _recreate_database(connection) -> None:
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def scaled(n: int) -> int:
    return max(1, int(n * SCALE))


def report(name: str, value: float, unit: str, size) -> None:
    print(f"BENCH {name} {value:.3f} {unit} n={size}", flush=True)


def slow_statements(execute, sql, params, many, context):
    """A Django execute wrapper that prints every statement slower than 0.2 s (where the time goes)."""
    import time

    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - started
        if elapsed > 0.2:
            print(f"# {elapsed:.2f} s  {' '.join(sql.split())[:110]}", flush=True)


def investors_from_subscriptions(cursor, *, purchase_key_like: str = "%") -> None:
    """Make the seeded subscriptions' members active investors with the totals they invested."""
    cursor.execute(
        """
        UPDATE accounts_user u SET total_invested = s.total, is_active_investor = true
        FROM (SELECT user_id, sum(amount) AS total FROM investment_subscription
              WHERE purchase_key LIKE %s GROUP BY user_id) s
        WHERE u.id = s.user_id
        """,
        [purchase_key_like],
    )
