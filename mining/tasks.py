import logging

from celery import shared_task

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
