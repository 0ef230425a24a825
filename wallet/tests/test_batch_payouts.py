"""ledger_post_payouts: a batch of members paid in one ledger transaction, same rules as ledger_post."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from phonix.exceptions import IdempotencyConflict
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.history import member_balance
from wallet.ledger.payouts import ledger_post_payouts, payout_table_create
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, LedgerAccount, LedgerEntry, LedgerTransaction, Transaction

pytestmark = pytest.mark.django_db


def pay(rows, *, key="batch:1", code=AccountCode.MAIN):
    """Fill the payout table with (user id, amount, subscription id) rows and post it."""
    with transaction.atomic():
        payout_table_create()
        with connection.cursor() as cursor:
            for user_id, amount, subscription_id in rows:
                cursor.execute(
                    "INSERT INTO pg_temp.wallet_payout (user_id, amount, subscription_id, description) "
                    "VALUES (%s, %s, %s, 'test payout')",
                    [user_id, amount, subscription_id],
                )
        return ledger_post_payouts(key=key, kind=LedgerTransaction.Kind.DAILY_INCOME,
                                   history_type=Transaction.Type.DAILY_INCOME, member_code=code)


def test_a_batch_is_one_transaction_with_an_entry_and_a_line_per_member(invariants):
    first, second = UserFactory(), UserFactory()
    batch = pay([(first.pk, "3.5", None), (second.pk, "0.000001", None)])
    assert (batch.members, batch.total) == (2, Decimal("3.500001"))
    posted = LedgerTransaction.objects.get(pk=batch.transaction_id)
    assert posted.idempotency_key == "batch:1"
    assert LedgerEntry.objects.filter(transaction=posted).count() == 3
    assert member_balance(user=first, code=AccountCode.MAIN) == Decimal("3.5")
    assert member_balance(user=second, code=AccountCode.MAIN) == Decimal("0.000001")
    assert LedgerAccount.objects.get(user=None, code=AccountCode.PAYOUTS).balance == Decimal("-3.500001")
    lines = Transaction.objects.filter(ledger_transaction=posted).order_by("user_id")
    assert [(line.user_id, line.amount, line.type) for line in lines] == [
        (first.pk, Decimal("3.5"), Transaction.Type.DAILY_INCOME),
        (second.pk, Decimal("0.000001"), Transaction.Type.DAILY_INCOME),
    ]


def test_a_missing_member_account_is_opened():
    member = UserFactory()
    LedgerAccount.objects.filter(user=member, code=AccountCode.BONUS).delete()
    pay([(member.pk, "0.1", None)], code=AccountCode.BONUS)
    assert member_balance(user=member, code=AccountCode.BONUS) == Decimal("0.1")


def test_the_content_hash_is_the_one_ledger_post_computes(invariants):
    member = UserFactory()
    pay([(member.pk, "1.5", None)])
    account = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    entries = [(payouts.pk, Decimal("-1.5")), (account.pk, Decimal("1.5"))]
    # ledger_post with the same key and content finds the batch: it is the same posting.
    again = ledger_post(key="batch:1", kind=LedgerTransaction.Kind.DAILY_INCOME, entries=entries)
    assert again.pk == LedgerTransaction.objects.get(idempotency_key="batch:1").pk
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("1.5")


@pytest.mark.parametrize("amount", ["1.5", "2"])
def test_a_batch_key_posted_before_is_refused_even_with_the_same_content(amount, invariants):
    # A batch's key is new by construction: one that exists means something is wrong, never "paid".
    member = UserFactory()
    pay([(member.pk, "1.5", None)])
    with pytest.raises(IdempotencyConflict):
        pay([(member.pk, amount, None)])
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("1.5")
    assert Transaction.objects.filter(user=member).count() == 1


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_non_positive_payouts_are_refused(amount, invariants):
    member = UserFactory()
    with pytest.raises(IntegrityError):
        pay([(member.pk, amount, None)])
    assert not LedgerTransaction.objects.filter(idempotency_key="batch:1").exists()


def test_a_member_named_twice_is_refused(invariants):
    member = UserFactory()
    with pytest.raises(IntegrityError):
        pay([(member.pk, "1", None), (member.pk, "2", None)])
    assert member_balance(user=member, code=AccountCode.MAIN) == 0


def test_an_empty_batch_posts_nothing(invariants):
    batch = pay([])
    assert (batch.transaction_id, batch.members, batch.total) == (None, 0, 0)
    assert not LedgerTransaction.objects.filter(idempotency_key="batch:1").exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        payout_table_create()
    with pytest.raises(RuntimeError):
        ledger_post_payouts(key="batch:1", kind="daily_income", history_type="daily_income")
