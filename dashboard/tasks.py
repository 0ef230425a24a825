import datetime as dt

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def generation_digest_build_task(day: str | None = None) -> int:
    """Yesterday's generation income digests (UTC), or those of the ISO date `day`."""
    from django.utils import timezone

    from dashboard.services import generation_digest_build

    date = dt.date.fromisoformat(day) if day else timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return generation_digest_build(day=date)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def notifications_prune_task() -> int:
    from dashboard.services import notifications_prune

    return notifications_prune()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=58, ignore_result=True)
def console_refresh_task() -> None:
    from dashboard.console.selectors import console_refresh

    console_refresh()
