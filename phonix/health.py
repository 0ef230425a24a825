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


def _last_scan() -> dict:
    from wallet.deposits import scan_lag

    lag = scan_lag()
    return {**lag, "updated_at": lag["updated_at"].isoformat() if lag["updated_at"] else None}


def _last_payouts() -> dict | None:
    from earnings.models import DailyIncomeRun

    run = DailyIncomeRun.objects.filter(finished_at__isnull=False).order_by("-payout_date").first()
    if run is None or run.finished_at is None:
        return None
    return {"date": run.payout_date.isoformat(), "finished_at": run.finished_at.isoformat(),
            "paid": run.paid_count}


def _last_mining_completion() -> dict | None:
    from mining.selectors import mining_completion_last

    return mining_completion_last()


def _stuck_items() -> dict[str, int]:
    from phonix.stuck import stuck_items_count

    return stuck_items_count()


def _tron_api_key() -> str:
    from wallet.chain import api_key_warning

    return api_key_warning() or "ok"


# Reported for operators; they do not decide the status code (a new install has neither).
FACTS = {"last_scan": _last_scan, "last_payouts": _last_payouts,
         "last_mining_completion": _last_mining_completion, "stuck_items": _stuck_items,
         "tron_api_key": _tron_api_key}


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
