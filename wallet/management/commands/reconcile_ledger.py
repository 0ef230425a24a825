from django.core.management.base import BaseCommand, CommandError

from wallet.deposits import custody_check
from wallet.services import ledger_reconcile


class Command(BaseCommand):
    help = (
        "Prove that the ledger sums to zero and every cached balance equals its entries, "
        "and compare custody with the USDT held on chain."
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
        custody_line, custody_ok = custody_check()
        line = f"{line}; {custody_line}"
        if not report.ok or not custody_ok:
            raise CommandError(f"DRIFT — {line}")
        self.stdout.write(f"OK — {line}")
