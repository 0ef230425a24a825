"""Thin Celery wrappers of the earnings services (queue `payouts`)."""

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from phonix.celery import TaskOptions

# Only transient database trouble is retried; a domain error is a bug to look at, not to repeat.
_MONEY_TASK: TaskOptions = {
    "queue": "payouts", "acks_late": True, "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True, "retry_jitter": True, "max_retries": 5,
}


@shared_task(soft_time_limit=60, time_limit=90, **_MONEY_TASK)
def generation_distribute_task(subscription_id: int) -> str:
    from earnings.services import generation_distribute

    result = generation_distribute(subscription_id=subscription_id)
    return "already paid" if result.already_paid else f"paid {result.paid_total}"


@shared_task(soft_time_limit=240, time_limit=300, **_MONEY_TASK)
def generation_catch_up_task() -> str:
    from earnings.services import generation_catch_up

    result = generation_catch_up()
    return f"paid {result.paid}, stuck {len(result.stuck)}"


@shared_task(soft_time_limit=1500, time_limit=1800, **_MONEY_TASK)
def daily_income_pay_task(today: str | None = None) -> list[str]:
    """Pay today (UTC) and every weekday missed since the last finished run; a future date is refused."""
    from earnings.services import daily_income_catch_up

    through = dt.date.fromisoformat(today) if today else None
    return [f"{r.payout_date}: {r.paid_count} paid, {r.paid_total}" for r in daily_income_catch_up(through=through)]
