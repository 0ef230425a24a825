import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from phonix.db_roles import OWNER_ALIAS
from wallet.models import LedgerAccount

# The database's own guards (triggers, checks) also hold against the owner role, which may write
# the ledger tables directly: tests of them run as the owner, committing so that it sees the data.
as_owner = pytest.mark.django_db(transaction=True, databases=["default", OWNER_ALIAS])


def run_in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # collected and asserted on by the test
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_ledger_invariants() -> None:
    """Σ entries = 0, every transaction balances, every cache = Σ of its entries, no member < 0."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(amount), 0) FROM wallet_ledgerentry")
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM wallet_ledgerentry GROUP BY transaction_id"
            " HAVING sum(amount) <> 0) t"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            """
            SELECT count(*) FROM wallet_ledgeraccount a
            LEFT JOIN (SELECT account_id, sum(amount) s FROM wallet_ledgerentry GROUP BY account_id) e
              ON e.account_id = a.id
            WHERE a.balance <> coalesce(e.s, 0)
            """
        )
        assert cursor.fetchone()[0] == 0
    assert not LedgerAccount.objects.filter(user__isnull=False, balance__lt=0).exists()


@pytest.fixture
def invariants():
    yield
    assert_ledger_invariants()


@pytest.fixture
def balance_of():
    def read(account) -> Decimal:
        return LedgerAccount.objects.get(pk=account.pk).balance

    return read
