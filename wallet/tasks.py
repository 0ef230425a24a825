import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def ledger_reconcile_task() -> bool:
    """The nightly `reconcile_ledger`, all of it: the ledger, members' totals and custody item by item.

    A drift is logged with every listed item and shown in /healthz as a stuck item of the job
    "reconcile_ledger" until a run finds none.
    """
    from io import StringIO

    from django.core.management import CommandError, call_command

    from phonix.stuck import stuck_item_clear, stuck_item_record

    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile_ledger", stdout=out, stderr=err)
    except CommandError as drift:
        listed = err.getvalue().strip()
        logger.error("%s%s", drift, f"\n{listed}" if listed else "")
        stuck_item_record(job="reconcile_ledger", item_id="drift", error=str(drift))
        return False
    logger.info("%s", out.getvalue().strip())
    stuck_item_clear(job="reconcile_ledger", item_id="drift")
    return True


# TRON custody ---------------------------------------------------------------------------------
# Chain work runs on the `chain` queue; transient node errors are retried with backoff, domain
# refusals never are.

from django.db import InterfaceError, OperationalError  # noqa: E402

from phonix.celery import TaskOptions  # noqa: E402
from wallet.custody.chain import ChainUnavailable  # noqa: E402

CHAIN_TRANSIENT = (ChainUnavailable, OperationalError, InterfaceError)
CHAIN_TASK: TaskOptions = {"acks_late": True, "queue": "chain", "autoretry_for": CHAIN_TRANSIENT,
                           "retry_backoff": True, "retry_jitter": True, "max_retries": 5}


@shared_task(soft_time_limit=240, time_limit=300, **CHAIN_TASK)
def deposits_scan_task() -> dict[str, object]:
    from wallet.custody.deposits import deposits_scan

    result = deposits_scan()
    return {"from": result.from_block, "to": result.to_block, "credited": result.credited, "busy": result.busy,
            "stopped_at": result.stopped_at, "stop_reason": result.stop_reason}


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def deposits_credited_notify_task(deposit_ids: list[int]) -> int:
    from wallet.custody.deposits import deposits_credited_notify

    return deposits_credited_notify(deposit_ids=deposit_ids)


@shared_task(soft_time_limit=540, time_limit=600, **CHAIN_TASK)
def withdrawals_process_task() -> dict[str, object]:
    from wallet.custody.withdrawals import withdrawals_process

    result = withdrawals_process()
    return {"sent": result.sent, "completed": result.completed, "failed": result.failed,
            "resigned": result.resigned}


@shared_task(soft_time_limit=240, time_limit=300, **CHAIN_TASK)
def withdrawals_watchdog_task() -> dict[str, object]:
    from wallet.custody.withdrawals import withdrawals_watchdog

    report = withdrawals_watchdog()
    return {"released": report.released, "stuck": report.stuck, "completed": report.followed.completed}


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def withdrawal_notify_task(withdrawal_id: int, status: str) -> bool:
    from wallet.custody.withdrawals import withdrawal_notify

    return withdrawal_notify(withdrawal_id=withdrawal_id, status=status)


@shared_task(soft_time_limit=1800, time_limit=1900, **CHAIN_TASK)
def deposits_sweep_task() -> dict[str, object]:
    from wallet.custody.sweeps import deposits_sweep

    report = deposits_sweep()
    return {"planned": len(report.planned), "gas_sent": len(report.gas_sent), "sent": len(report.sweeps_sent)}


@shared_task(soft_time_limit=240, time_limit=300, **CHAIN_TASK)
def sweeps_advance_task() -> dict[str, object]:
    from wallet.custody.sweeps import sweeps_advance

    report = sweeps_advance()
    return {"gas_sent": len(report.gas_sent), "sent": len(report.sweeps_sent), "completed": len(report.completed)}
