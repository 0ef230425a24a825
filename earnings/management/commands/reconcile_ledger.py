from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from earnings.reconcile import member_totals_reconcile
from wallet.custody.reconciliation import custody_check
from wallet.ledger.reconciliation import ledger_reconcile

# Here rather than in wallet/: besides the ledger and custody it proves members' and subscriptions'
# totals (earnings/reconcile.py), and the wallet imports no app above it.


class Command(BaseCommand):
    help = (
        "Prove that the ledger sums to zero and every cached balance equals its entries, that members' "
        "and subscriptions' totals equal what they count, "
        "and reconcile custody item by item with the solidified chain: withdrawals, sweeps, deposits "
        "and what each deposit address holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accept", metavar="KIND:ID",
                            help="accept a listed withdrawal, sweep or deposit corrected by other means")
        parser.add_argument("--by", metavar="USERNAME", help="the staff member accepting it")
        parser.add_argument("--reason", default="", help="why it is accepted")

    def handle(self, *args: Any, accept: str | None = None, by: str | None = None, reason: str = "",
               **options: Any) -> None:
        if accept:
            self.stdout.write(_accept(accept, by, reason))
            return
        report = ledger_reconcile()
        for account_id, cached, actual in report.drifted_accounts[:20]:
            self.stderr.write(f"account {account_id}: cached {cached} but entries sum to {actual}")
        line = (
            f"ledger: {report.entries} entries, sum {report.total}, "
            f"{len(report.drifted_accounts)} drifted accounts, "
            f"{report.unbalanced_transactions} unbalanced transactions"
        )
        totals = member_totals_reconcile()
        for drift in totals.listed:
            self.stderr.write(str(drift))
        line = f"{line}; {totals.line()}"
        custody_line, problems, custody_ok = custody_check()
        for problem in problems:
            self.stderr.write(str(problem))
        line = f"{line}; {custody_line}"
        if not report.ok or not totals.ok or not custody_ok:
            raise CommandError(f"DRIFT — {line}")
        self.stdout.write(f"OK — {line}")


def _accept(item: str, by: str | None, reason: str) -> str:
    from django.contrib.auth import get_user_model

    from phonix.exceptions import PhonixError
    from wallet.custody.reconciliation import custody_item_accept

    kind, _, item_id = item.partition(":")
    actor = get_user_model().objects.filter(username=by or "", is_staff=True).first()
    if actor is None:
        raise CommandError("--by must name a staff member")
    if not item_id.isdigit():
        raise CommandError("--accept takes KIND:ID, e.g. withdrawal:12")
    try:
        custody_item_accept(kind=kind, item_id=int(item_id), actor=actor, reason=reason)
    except PhonixError as error:
        raise CommandError(str(error)) from error
    return f"accepted {kind} {item_id} by {actor.username}: {reason}"
