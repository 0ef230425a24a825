"""Ledger speed: single postings per second, a 100k-credit batch, reconcile over 1M entries."""

import time
from decimal import Decimal

from _common import members_make, report, scaled, setup_django

setup_django()

from django.db import connection  # noqa: E402

from wallet.ledger.accounts import member_account_ids, platform_account  # noqa: E402
from wallet.ledger.postings import Posting, ledger_post, ledger_post_batch  # noqa: E402
from wallet.ledger.reconciliation import ledger_reconcile  # noqa: E402
from wallet.models import AccountCode, LedgerTransaction  # noqa: E402


def bench_single_postings(main_ids: list[int], payouts_id: int) -> None:
    count = scaled(3000)
    started = time.perf_counter()
    for i in range(count):
        account_id = main_ids[i % len(main_ids)]
        ledger_post(key=f"single:{i}", kind=LedgerTransaction.Kind.ADJUSTMENT,
                    entries=[(account_id, Decimal("1.000001")), (payouts_id, Decimal("-1.000001"))])
    elapsed = time.perf_counter() - started
    report("ledger_single_postings_per_s", count / elapsed, "postings/s", count)


def bench_batch(main_ids: list[int], payouts_id: int) -> None:
    count = scaled(100_000)
    postings = [
        Posting(key=f"batch:{i}", kind=LedgerTransaction.Kind.DAILY_INCOME,
                entries=[(main_ids[i % len(main_ids)], Decimal("0.123456")), (payouts_id, Decimal("-0.123456"))])
        for i in range(count)
    ]
    started = time.perf_counter()
    result = ledger_post_batch(postings=postings)
    elapsed = time.perf_counter() - started
    assert result.created == count
    report("ledger_batch_100k_s", elapsed, "s", count)


def top_up_entries(target: int, main_ids: list[int], payouts_id: int) -> None:
    """Bring the ledger to `target` entries with balanced pairs written straight in SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wallet_ledgerentry")
        missing_pairs = max(0, (target - cursor.fetchone()[0]) // 2)
        cursor.execute(
            """
            WITH txn AS (
                INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)
                SELECT 'adjustment', 'fill:' || g, '', '', now() FROM generate_series(1, %s) g
                RETURNING id
            )
            INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount)
            SELECT id, (%s::bigint[])[1 + (id %% %s)], 0.5 FROM txn
            UNION ALL SELECT id, %s, -0.5 FROM txn
            """,
            [missing_pairs, main_ids, len(main_ids), payouts_id],
        )
        cursor.execute(
            """
            UPDATE wallet_ledgeraccount a SET balance = s.total
            FROM (SELECT account_id, sum(amount) AS total FROM wallet_ledgerentry GROUP BY account_id) s
            WHERE s.account_id = a.id
            """
        )


def bench_reconcile() -> None:
    started = time.perf_counter()
    outcome = ledger_reconcile()
    elapsed = time.perf_counter() - started
    assert outcome.ok, outcome
    report("ledger_reconcile_1m_s", elapsed, "s", outcome.entries)


def main() -> None:
    user_ids = members_make(scaled(100_000), "bench")
    main_ids = list(member_account_ids(user_ids=user_ids, code=AccountCode.MAIN).values())
    payouts_id = platform_account(AccountCode.PAYOUTS).id
    with connection.cursor() as cursor:
        # As tables in service are: vacuumed and analysed, so that the measurement does not race
        # autovacuum over the 100k members and 300k accounts just loaded.
        cursor.execute("VACUUM ANALYZE")
    bench_single_postings(main_ids, payouts_id)
    bench_batch(main_ids, payouts_id)
    top_up_entries(scaled(1_000_000), main_ids, payouts_id)
    bench_reconcile()


if __name__ == "__main__":
    main()
