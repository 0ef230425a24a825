"""Task outcomes recorded from Celery's signals, and their pruning."""

import datetime as dt

import pytest
from celery import shared_task
from django.utils import timezone

from phonix.models import TaskRun
from phonix.task_runs import task_runs_prune
from phonix.tasks import task_runs_prune_task

pytestmark = pytest.mark.django_db


@shared_task
def failing_task() -> None:
    raise ValueError("the node said no")


@pytest.fixture
def recorded(settings):
    settings.TASK_RUNS_RECORD_EAGER = True


def test_a_successful_run_is_recorded_with_its_start_and_end(recorded):
    before = timezone.now()
    result = task_runs_prune_task.apply()
    run = TaskRun.objects.get(task_id=result.id)
    assert (run.name, run.state, run.error) == ("phonix.tasks.task_runs_prune_task", "success", "")
    assert before <= run.started_at <= run.finished_at <= timezone.now()


def test_a_failed_run_keeps_its_error(recorded):
    failing_task.apply(task_id="failing-1", throw=False)  # as a worker runs it: the error is not raised
    run = TaskRun.objects.get(task_id="failing-1")
    assert run.state == "failure"
    assert run.error == "ValueError: the node said no"
    assert run.finished_at is not None


def test_eager_runs_are_not_worker_outcomes_and_are_left_out():
    task_runs_prune_task.apply()
    assert not TaskRun.objects.exists()


def test_runs_older_than_thirty_days_are_pruned_and_newer_ones_kept(settings):
    now = timezone.now()
    for n, age in enumerate([dt.timedelta(days=31), dt.timedelta(days=30, minutes=1), dt.timedelta(days=29)]):
        TaskRun.objects.create(task_id=f"t{n}", name="x", state="success", started_at=now - age)
    assert task_runs_prune() == 2
    assert list(TaskRun.objects.values_list("task_id", flat=True)) == ["t2"]
    assert task_runs_prune() == 0  # run twice, same state


def test_pruning_is_a_daily_periodic_job():
    from phonix.schedules import SCHEDULES

    assert SCHEDULES["prune-task-runs"][0] == "phonix.tasks.task_runs_prune_task"
