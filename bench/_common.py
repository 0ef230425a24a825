"""Shared set-up for benchmark scripts: Django on a throw-away database, and the BENCH line."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def setup_django() -> None:
    """Point Django at a fresh `bench_phonix` database on the same server, migrated.

    Migrating takes some ten seconds a script, so the migrated database is kept as a template
    (`<name>_template`, labelled with a fingerprint of every migration) and each script starts
    from a copy of it.
    """
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phonix.settings.test")
    import django
    from django.conf import settings

    # Benchmarks build their data with raw SQL the application role may not run: as the owner.
    name = os.environ.get("BENCH_DATABASE_NAME", "bench_phonix")
    settings.DATABASES["default"] = {**settings.DATABASES["owner"], "NAME": name}
    settings.DATABASES["owner"]["NAME"] = name
    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases  # noqa: F401  (keeps django.test importable)

    template = f"{name}_template"
    fingerprint = _migrations_fingerprint()
    if _database_label(connections["default"], template) != fingerprint:
        _template_build(connections, template, fingerprint)
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _migrations_fingerprint() -> str:
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def _database_label(connection, database: str) -> str | None:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                       [database])
        row = cursor.fetchone()
    return row[0] if row else None


def _template_build(connections, template: str, fingerprint: str) -> None:
    """Migrate a new `template` database; it takes no connections afterwards, so it can be copied."""
    from django.core.management import call_command

    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{template}"')
    names = {alias: connections[alias].settings_dict["NAME"] for alias in ("default", "owner")}
    for alias in names:
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = template
    call_command("migrate", verbosity=0)
    for alias, name in names.items():
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = name
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS %s", [fingerprint])
        cursor.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')


def members_make(count: int, prefix: str) -> list[int]:
    """`count` new members (a random referral network, written with COPY), their ids in order."""
    from accounts.seeding import members_seed

    return members_seed(users=count, prefix=prefix).ids


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
