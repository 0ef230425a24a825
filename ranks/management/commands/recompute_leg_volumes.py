import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ranks.services import leg_volumes_recompute


class Command(BaseCommand):
    help = (
        "Rebuild every member's leg volumes from the subscriptions and report any stored value "
        "that differed (there should be none); exits non-zero when differences were found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report differences, repair nothing.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        started = time.monotonic()
        result = leg_volumes_recompute(dry_run=dry_run)
        elapsed = time.monotonic() - started
        for user_id, stored_personal, stored_group, personal, group in result.sample:
            self.stderr.write(
                f"member {user_id}: stored personal {stored_personal} group {stored_group}, "
                f"subscriptions say personal {personal} group {group}"
            )
        line = f"{result.members} members with volume, {result.differences} differences"
        if result.differences:
            action = "left as they are (dry run)" if dry_run else "repaired"
            raise CommandError(f"DIFFERENCES — {line}, {action}, in {elapsed:.1f} s")
        self.stdout.write(f"OK — {line}, in {elapsed:.1f} s")
