"""The state of what Phonix depends on, for /healthz."""

from collections.abc import Callable

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


def _stuck_items() -> dict[str, int]:
    from phonix.stuck import stuck_items_count

    return stuck_items_count()


# Reported for operators; they do not decide the status code (a new install has neither). Each app
# adds its own in its AppConfig.ready, so that the core imports no app.
FACTS: dict[str, Callable[[], object]] = {"stuck_items": _stuck_items}


def fact_add(name: str, fact: Callable[[], object]) -> None:
    FACTS[name] = fact


def health_report() -> dict:
    report: dict = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports every failure instead of raising
            report[name] = f"error: {type(error).__name__}"
    report["ok"] = all(value == "ok" for value in report.values())
    for name, fact in FACTS.items():
        try:
            report[name] = fact()
        except Exception as error:  # reported like a check, never raised
            report[name] = f"error: {type(error).__name__}"
    return report
