from celery import shared_task
from django.db import InterfaceError, OperationalError

from phonix.celery import RetryOptions

# Transient database trouble (a dropped connection, a deadlock victim) is retried; domain errors
# are not. Every job is idempotent, so a retry after a partial run finishes the work.
_RETRY: RetryOptions = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, soft_time_limit=1200, time_limit=1260, **_RETRY)
def ranks_check_task() -> dict[str, int]:
    from ranks.services import ranks_check

    result = ranks_check()
    return {"checked": result.checked, "promoted": result.promoted, "overdue_weeks": result.overdue_weeks_settled}


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1860, **_RETRY)
def weekly_bonuses_pay_task(week: str | None = None) -> dict[str, str | int]:
    """`week` is an ISO date of any day in the week to settle up to (default: the current week)."""
    import datetime as dt

    from ranks.services import weekly_bonuses_pay

    result = weekly_bonuses_pay(week=dt.date.fromisoformat(week) if week else None)
    return {"week": result.week, "members": result.members, "paid": str(result.paid),
            "capped": str(result.capped)}


@shared_task(acks_late=True, soft_time_limit=1200, time_limit=1260, **_RETRY)
def leg_volumes_recompute_task() -> int:
    from ranks.services import leg_volumes_recompute

    return leg_volumes_recompute().differences
