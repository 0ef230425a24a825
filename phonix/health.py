"""The state of what Phonix depends on, for /healthz."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

CHECK_TIMEOUT_S = 2


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache read back a different value")
    return "ok"


def _broker() -> str:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_S) as broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
    return "ok"


CHECKS = {"database": _database, "redis": _redis, "broker": _broker}


def health_report() -> dict:
    report: dict = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports every failure instead of raising
            report[name] = f"error: {type(error).__name__}"
    report["ok"] = all(value == "ok" for value in report.values())
    return report
