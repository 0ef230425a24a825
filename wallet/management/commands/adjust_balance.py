from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from phonix.exceptions import PhonixError
from wallet.ledger.adjustments import balance_adjust
from wallet.models import AccountCode, LedgerTransaction


def _user_named(name: str) -> User | None:
    users = User.objects
    return users.filter(username__iexact=name).first() or users.filter(email__iexact=name).exclude(email="").first()


class Command(BaseCommand):
    help = ("Credit (positive) or debit (negative) a member's main or bonus balance, with a reason and the "
            "staff member responsible; --key makes a repeated run a no-op.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the member: username or email")
        parser.add_argument("--amount", required=True, help="USDT, up to 6 decimals; negative debits")
        parser.add_argument("--reason", required=True, help="why; stored with the adjustment and shown to the member")
        parser.add_argument("--by", required=True, metavar="USERNAME",
                            help="the active staff member responsible, recorded as the actor")
        parser.add_argument("--account", default=AccountCode.MAIN, help="main (default) or bonus")
        parser.add_argument("--key", default="",
                            help="idempotency key: the same key again changes nothing; with other values it fails")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args: Any, user: str, amount: str, reason: str, by: str, account: str, key: str,
               dry_run: bool, **options: Any) -> None:
        member = _user_named(user)
        if member is None:
            raise CommandError(f"no member called {user!r}")
        staff = _user_named(by)
        if staff is None or not (staff.is_active and staff.is_staff):
            raise CommandError(f"--by {by!r} is not an active staff member")
        if not staff.has_perm("wallet.adjust_balance"):
            raise CommandError(f"{staff.username} does not have the permission to adjust balances")
        ledger_key = f"adjustment:{key.strip()}" if key.strip() else None
        repeated = bool(ledger_key) and LedgerTransaction.objects.filter(idempotency_key=ledger_key).exists()
        try:
            with transaction.atomic():
                posted = balance_adjust(user_id=member.pk, amount=amount, reason=reason, created_by_id=staff.pk,
                                        key=ledger_key, code=account)
                if dry_run:
                    transaction.set_rollback(True)
        except PhonixError as error:
            raise CommandError(str(error)) from None
        prefix = "dry run, nothing written: " if dry_run else ""
        if repeated:
            self.stdout.write(f"{prefix}already applied, nothing changed: {posted.idempotency_key}")
            return
        self.stdout.write(f"{prefix}adjusted {member.username} {account} by {amount} USDT for {staff.username} "
                          f"({posted.idempotency_key})")
