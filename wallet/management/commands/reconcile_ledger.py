from django.core.management.base import BaseCommand, CommandError

from earnings.reconcile import member_totals_reconcile
from wallet.reconcile import custody_check
from wallet.services import ledger_reconcile


class Command(BaseCommand):
    help = (
        "Prove that the ledger sums to zero and every cached balance equals its entries, that members' "
        "and subscriptions' totals equal what they count, "
        "and reconcile custody item by item with the solidified chain: withdrawals, sweeps, deposits "
        "and what each deposit address holds."
    )

    def handle(self, *args, **options):
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
