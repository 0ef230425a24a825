"""ledger_post_payouts_sql: many payouts in a few statements, same rules as ledger_post."""

from decimal import Decimal

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from phonix.exceptions import IdempotencyConflict, InvalidAmount
from wallet.models import AccountCode, LedgerAccount, LedgerTransaction, Transaction
from wallet.selectors import member_balance
from wallet.services import ledger_post, ledger_post_payouts_sql, member_account, platform_account

pytestmark = pytest.mark.django_db

SOURCE = """
    SELECT key, user_id, amount::numeric, NULL::bigint AS subscription_id, 'test payout' AS description
    FROM unnest(%(keys)s::text[], %(users)s::bigint[], %(amounts)s::text[]) AS t(key, user_id, amount)
"""


def pay(rows):
    with transaction.atomic():
        return ledger_post_payouts_sql(
            source_sql=SOURCE,
            params={"keys": [r[0] for r in rows], "users": [r[1] for r in rows], "amounts": [r[2] for r in rows]},
            kind=LedgerTransaction.Kind.DAILY_INCOME, history_type=Transaction.Type.DAILY_INCOME,
        )


def test_payouts_are_posted_with_history_and_balances(invariants):
    first, second = UserFactory(), UserFactory()
    result = pay([("p:1", first.pk, "1.5"), ("p:2", second.pk, "0.000001"), ("p:3", first.pk, "2")])
    assert (result.created, result.already_posted) == (3, 0)
    assert member_balance(user=first, code=AccountCode.MAIN) == Decimal("3.5")
    assert member_balance(user=second, code=AccountCode.MAIN) == Decimal("0.000001")
    assert LedgerAccount.objects.get(user=None, code=AccountCode.PAYOUTS).balance == Decimal("-3.500001")
    assert Transaction.objects.filter(type=Transaction.Type.DAILY_INCOME, user=first).count() == 2


def test_posting_again_skips_what_was_posted(invariants):
    member = UserFactory()
    pay([("p:1", member.pk, "1.5")])
    result = pay([("p:1", member.pk, "1.5"), ("p:2", member.pk, "1")])
    assert (result.created, result.already_posted) == (1, 1)
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("2.5")


def test_the_content_hash_is_the_one_ledger_post_computes(invariants):
    member = UserFactory()
    pay([("p:1", member.pk, "1.5")])
    account = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    entries = [(payouts.pk, Decimal("-1.5")), (account.pk, Decimal("1.5"))]
    # Same key and same content: the first posting comes back, nothing is written twice.
    again = ledger_post(key="p:1", kind=LedgerTransaction.Kind.DAILY_INCOME, entries=entries)
    assert again.pk == LedgerTransaction.objects.get(idempotency_key="p:1").pk
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("1.5")


def test_a_key_posted_with_other_content_is_refused(invariants):
    member = UserFactory()
    pay([("p:1", member.pk, "1.5")])
    with pytest.raises(IdempotencyConflict):
        pay([("p:1", member.pk, "2")])
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("1.5")


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_non_positive_payouts_are_refused(amount, invariants):
    member = UserFactory()
    with pytest.raises(InvalidAmount):
        pay([("p:1", member.pk, amount)])
    assert not LedgerTransaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        ledger_post_payouts_sql(source_sql=SOURCE, params={}, kind="daily_income", history_type="daily_income")
