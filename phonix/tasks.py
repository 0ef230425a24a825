from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def task_runs_prune_task() -> int:
    from phonix.task_runs import task_runs_prune

    return task_runs_prune()
