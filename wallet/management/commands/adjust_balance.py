from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from phonix.exceptions import PhonixError
from wallet.services import balance_adjust


class Command(BaseCommand):
    help = "Credit (positive) or debit (negative) a member's main balance, with a required reason."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username or email")
        parser.add_argument("--amount", required=True, help="USDT, up to 6 decimals; negative debits")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, user, amount, reason, dry_run, **options):
        member = (
            get_user_model().objects.filter(username__iexact=user).first()
            or get_user_model().objects.filter(email__iexact=user).exclude(email="").first()
        )
        if member is None:
            raise CommandError(f"no member called {user!r}")
        try:
            with transaction.atomic():
                posted = balance_adjust(user_id=member.pk, amount=amount, reason=reason,
                                        created_by_id=None)
                if dry_run:
                    transaction.set_rollback(True)
        except PhonixError as error:
            raise CommandError(str(error)) from None
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{prefix}adjusted {member.username} by {amount} USDT ({posted.idempotency_key})")
