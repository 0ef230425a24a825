from typing import Any

from django.core.management.base import BaseCommand

from dashboard.services import notifications_prune


class Command(BaseCommand):
    help = "Delete notifications read more than 90 days ago and any older than a year."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"notifications pruned: {notifications_prune()}")
