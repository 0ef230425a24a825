"""The outcome of every Celery task run, recorded by Phonix itself from Celery's signals.

`task_prerun` opens a row, `task_failure` keeps the error and `task_postrun` closes it with the
final state; the console and `/metrics` read each periodic job's last start, last success,
duration and recent failures from these rows, not from Flower. Tasks run eagerly (tests, a shell)
are not worker outcomes and are left out unless `TASK_RUNS_RECORD_EAGER` is set. Recording never
fails a task: a database error is logged and the task's own result stands. Rows older than
`TASK_RUNS_KEEP_DAYS` are pruned daily (`task_runs_prune_task`).

Models are imported inside the handlers: this module is loaded with the Celery app, before Django.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

logger = logging.getLogger(__name__)

PRUNE_BATCH = 10_000
_STATES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}


def _recorded(task) -> bool:
    request = getattr(task, "request", None)
    return not getattr(request, "is_eager", False) or settings.TASK_RUNS_RECORD_EAGER


def task_started(sender=None, task_id: str | None = None, task=None, **kwargs) -> None:
    if task_id is None or not _recorded(task):
        return
    from phonix.models import TaskRun

    try:  # a retry runs again under the same id: the row starts over
        TaskRun.objects.update_or_create(task_id=task_id, defaults={
            "name": task.name, "state": TaskRun.State.STARTED, "started_at": timezone.now(),
            "finished_at": None, "error": "",
        })
    except DatabaseError:
        logger.warning("task run of %s %s not recorded", getattr(task, "name", "?"), task_id, exc_info=True)


def task_failed(sender=None, task_id: str | None = None, exception: BaseException | None = None, **kwargs) -> None:
    if task_id is None or not _recorded(sender):
        return
    from phonix.models import TaskRun

    try:
        TaskRun.objects.filter(task_id=task_id).update(error=f"{type(exception).__name__}: {exception}"[:500])
    except DatabaseError:
        logger.warning("failure of task %s not recorded", task_id, exc_info=True)


def task_finished(sender=None, task_id: str | None = None, task=None, state: str | None = None,
                  **kwargs) -> None:
    if task_id is None or not _recorded(task):
        return
    from phonix.models import TaskRun

    try:
        TaskRun.objects.filter(task_id=task_id).update(
            state=_STATES.get(state or "", TaskRun.State.FAILURE), finished_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("end of task %s not recorded", task_id, exc_info=True)


def task_runs_prune(*, keep_days: int | None = None) -> int:
    """Delete runs that started more than `keep_days` ago, in bounded batches; return how many."""
    from phonix.models import TaskRun

    cutoff = timezone.now() - dt.timedelta(days=keep_days if keep_days is not None else settings.TASK_RUNS_KEEP_DAYS)
    deleted = 0
    while True:
        ids = list(TaskRun.objects.filter(started_at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH])
        if not ids:
            return deleted
        deleted += TaskRun.objects.filter(pk__in=ids).delete()[0]
