import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from phonix.celery import TaskOptions

logger = logging.getLogger(__name__)


# Not retried: source failures are already handled inside the refresh (next source, then last
# known values), and the next run is five minutes away.
@shared_task(soft_time_limit=120, time_limit=150, max_retries=0)
def market_data_refresh_task() -> str:
    from mining.services import market_data_refresh

    report = market_data_refresh()
    if not report.ok:
        logger.warning(report.summary())
    return report.summary()


# Only transient database trouble is retried; the job runs again in a minute anyway.
_PAYOUT_TASK: TaskOptions = {
    "queue": "payouts", "acks_late": True, "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True, "retry_jitter": True, "max_retries": 3,
}


@shared_task(soft_time_limit=50, time_limit=58, **_PAYOUT_TASK)
def mining_sessions_complete_task() -> str:
    from mining.services import mining_sessions_complete

    return mining_sessions_complete().summary()


@shared_task(soft_time_limit=120, time_limit=150, queue="default", acks_late=True,
             autoretry_for=(OperationalError, InterfaceError, OSError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def mining_reminders_send_task(session_ids: list[int]) -> int:
    from mining.services import mining_reminders_send

    return mining_reminders_send(session_ids=session_ids)
