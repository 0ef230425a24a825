from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.selectors import tree_inconsistencies


class Command(BaseCommand):
    help = "Prove every member's upline, depth and direct count agree with the sponsors; non-zero exit if not."

    def handle(self, *args: Any, **options: Any) -> None:
        bad = tree_inconsistencies()
        total = User.objects.count()
        if bad:
            raise CommandError(f"referral tree: {bad} of {total} members inconsistent")
        self.stdout.write(f"referral tree: {total} members, all consistent")
