from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from phonix.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Create or update every periodic task by name (safe to run on every deploy)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        created = updated = 0
        for name, (task, cron, queue) in SCHEDULES.items():
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*",
                      "month_of_year": "*", **cron}
            schedule, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **fields)
            _, was_created = PeriodicTask.objects.update_or_create(
                name=name,
                defaults={"task": task, "crontab": schedule, "interval": None, "queue": queue,
                          "enabled": True},
            )
            created += was_created
            updated += not was_created
        stale = PeriodicTask.objects.exclude(name__in=SCHEDULES).exclude(name__startswith="celery.")
        removed, _ = stale.delete()
        self.stdout.write(f"periodic tasks: {created} created, {updated} updated, {removed} removed")
