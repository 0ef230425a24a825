import os
from typing import TypedDict

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun
from kombu import Queue

from phonix import task_runs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phonix.settings.local")



class RetryOptions(TypedDict, total=False):
    """How a family of tasks is retried, spread into `shared_task(**options)`."""

    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: bool
    retry_jitter: bool
    max_retries: int


class TaskOptions(RetryOptions, total=False):
    """Retries, queue and acknowledgement that a family of tasks shares."""

    queue: str
    acks_late: bool


app = Celery("phonix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "chain", "payouts")]
app.autodiscover_tasks()


# Every task's outcome is recorded in phonix.TaskRun (see phonix/task_runs.py).
task_prerun.connect(task_runs.task_started, weak=False, dispatch_uid="phonix-task-run-start")
task_failure.connect(task_runs.task_failed, weak=False, dispatch_uid="phonix-task-run-failure")
task_postrun.connect(task_runs.task_finished, weak=False, dispatch_uid="phonix-task-run-end")
