import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def ledger_reconcile_task() -> bool:
    from wallet.services import ledger_reconcile

    report = ledger_reconcile()
    if not report.ok:
        logger.error(
            "ledger drift: total=%s drifted_accounts=%d unbalanced_transactions=%d",
            report.total, len(report.drifted_accounts), report.unbalanced_transactions,
        )
    return report.ok
