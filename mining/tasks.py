import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# Source failures are handled inside the refresh (fall back, then last known values), so only a
# lost database connection is worth a retry; the next run is five minutes away anyway.
@shared_task(soft_time_limit=120, time_limit=150, max_retries=0)
def market_data_refresh_task() -> str:
    from mining.services import market_data_refresh

    report = market_data_refresh()
    if not report.ok:
        logger.warning(report.summary())
    return report.summary()
