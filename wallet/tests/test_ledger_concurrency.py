"""Concurrency is proven with real threads against PostgreSQL, each with its own connection."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from phonix.exceptions import InsufficientFunds
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, LedgerAccount, LedgerTransaction
from wallet.tests.conftest import as_owner, assert_ledger_invariants, run_in_threads
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db(transaction=True)

KIND = LedgerTransaction.Kind.WITHDRAWAL


def test_fifty_concurrent_debits_never_overdraw():
    member = UserFactory()
    main = fund(member, "1000")
    fees = platform_account(AccountCode.FEES)

    def debit(i: int):
        return ledger_post(key=f"debit:{i}", kind=KIND,
                           entries=[(main.id, Decimal("-30")), (fees.id, Decimal("30"))])

    results = run_in_threads(50, debit)

    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(succeeded), len(refused)) == (33, 17)
    assert LedgerAccount.objects.get(pk=main.pk).balance == Decimal("10.000000")
    assert_ledger_invariants()


def test_opposite_transfers_at_once_do_not_deadlock():
    alice, bob = UserFactory(), UserFactory()
    a, b = fund(alice, "500"), fund(bob, "500")

    def transfer(i: int):
        source, target = (a, b) if i % 2 else (b, a)
        return ledger_post(key=f"transfer:{i}", kind=LedgerTransaction.Kind.ADJUSTMENT,
                           entries=[(source.id, Decimal("-7")), (target.id, Decimal("7"))])

    results = run_in_threads(40, transfer)

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    balances = LedgerAccount.objects.filter(pk__in=[a.pk, b.pk]).values_list("balance", flat=True)
    assert sum(balances) == Decimal(1000)
    assert_ledger_invariants()


def test_same_key_posted_a_hundred_times_at_once_is_one_transaction():
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    def post(i: int):
        return ledger_post(key="deposit:abc:0", kind=LedgerTransaction.Kind.DEPOSIT,
                           entries=[(main.id, Decimal("20")), (payouts.id, Decimal("-20"))])

    results = run_in_threads(100, post)

    assert all(isinstance(r, LedgerTransaction) for r in results), [r for r in results if isinstance(r, Exception)][:3]
    assert len({r.pk for r in results}) == 1
    assert LedgerTransaction.objects.filter(idempotency_key="deposit:abc:0").count() == 1
    assert LedgerAccount.objects.get(pk=main.pk).balance == Decimal(20)
    assert_ledger_invariants()


@as_owner
def test_an_unbalanced_statement_is_refused_before_commit():
    from django.db import IntegrityError, connections, transaction

    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
                " VALUES ('adjustment', 'commit:1', 'x', '', now()) RETURNING id"
            )
            (txn_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, 10)",
                [txn_id, main.id],
            )
    assert not LedgerTransaction.objects.filter(idempotency_key="commit:1").exists()
