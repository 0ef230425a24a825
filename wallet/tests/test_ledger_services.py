from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from accounts.tests.factories import UserFactory
from phonix.exceptions import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    UnbalancedPosting,
)
from wallet.ledger.accounts import member_account, member_account_ids, member_accounts_open, platform_account
from wallet.ledger.adjustments import balance_adjust
from wallet.ledger.postings import HistoryLine, Posting, ledger_post, ledger_post_batch
from wallet.models import AccountCode, LedgerAccount, LedgerEntry, LedgerTransaction, Transaction
from wallet.tests.conftest import as_owner
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

KIND = LedgerTransaction.Kind.ADJUSTMENT


def test_member_account_ids_opens_the_accounts_only_of_members_who_lack_them():
    has, lacks = UserFactory.create_batch(2)
    member_accounts_open(user_ids=[has.pk])
    kept = LedgerAccount.objects.get(user=has, code=AccountCode.MAIN).pk
    ids = member_account_ids(user_ids=[has.pk, lacks.pk, lacks.pk], code=AccountCode.MAIN)
    opened = LedgerAccount.objects.filter(user=lacks)
    assert ids == {has.pk: kept, lacks.pk: opened.get(code=AccountCode.MAIN).pk}
    assert {account.code for account in opened} == {AccountCode.MAIN, AccountCode.BONUS, AccountCode.WITHDRAWAL_HOLD}


def test_posting_moves_money_and_keeps_the_invariants(invariants, balance_of):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    posted = ledger_post(
        key="t:1", kind=KIND, entries=[(main.id, Decimal("12.345678")), (payouts.id, Decimal("-12.345678"))],
        history=[HistoryLine(user_id=member.pk, type=Transaction.Type.BONUS, amount=Decimal("12.345678"))],
    )

    assert balance_of(main) == Decimal("12.345678")
    assert balance_of(payouts) == Decimal("-12.345678")
    assert posted.entries.count() == 2
    line = Transaction.objects.get(ledger_transaction=posted)
    assert (line.user, line.net_amount, line.status) == (member, Decimal("12.345678"), "completed")


def test_unbalanced_posting_is_refused_before_anything_is_written():
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    with pytest.raises(UnbalancedPosting):
        ledger_post(key="t:unbalanced", kind=KIND, entries=[(main.id, Decimal(5)), (payouts.id, Decimal(-4))])
    with pytest.raises(UnbalancedPosting):
        ledger_post(key="t:single", kind=KIND, entries=[(main.id, Decimal(5))])
    assert not LedgerTransaction.objects.filter(idempotency_key__startswith="t:").exists()


@as_owner
def test_unbalanced_entries_through_the_orm_are_refused_by_the_database():
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(using="owner"):
        ledger_txn = LedgerTransaction.objects.using("owner").create(
            kind=KIND, idempotency_key="orm:1", content_hash="x")
        LedgerEntry.objects.using("owner").create(transaction=ledger_txn, account_id=main.pk, amount=Decimal(7))


@as_owner
def test_unbalanced_entries_through_raw_sql_are_refused_by_the_database():
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(using="owner"):
        with connections["owner"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
                " VALUES ('adjustment', 'raw:1', 'x', '', now()) RETURNING id"
            )
            (txn_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, 10), (%s, %s, -9)",
                [txn_id, main.id, txn_id, payouts.id],
            )


@as_owner
def test_a_transaction_s_entries_must_arrive_in_one_statement():
    """Each statement must leave its transactions balanced, so two halves written apart are refused."""
    main = member_account(user_id=UserFactory().pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(using="owner"):
        with connections["owner"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
                " VALUES ('adjustment', 'raw:halves', 'x', '', now()) RETURNING id"
            )
            (txn_id,) = cursor.fetchone()
            for account_id, amount in ((main.id, 10), (payouts.id, -10)):
                cursor.execute("INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
                               [txn_id, account_id, amount])


@as_owner
def test_one_unbalanced_transaction_among_many_in_a_statement_is_named():
    main = member_account(user_id=UserFactory().pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
            " SELECT 'adjustment', 'raw:many:' || n, 'x', '', now() FROM generate_series(1, 3) n RETURNING id"
        )
        first, second, third = sorted(row[0] for row in cursor.fetchall())
        rows = [(first, main.id, 5), (first, payouts.id, -5), (second, main.id, 5), (second, payouts.id, -4),
                (third, main.id, 1), (third, payouts.id, -1)]
        with pytest.raises(IntegrityError, match=f"ledger transaction {second} does not balance \\(sum 1"):
            with transaction.atomic(using="owner"):
                cursor.execute(
                    "INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount) VALUES "
                    + ", ".join(["(%s, %s, %s)"] * len(rows)), [value for row in rows for value in row])
        transaction.set_rollback(True, using="owner")


@as_owner
@pytest.mark.parametrize("statement", [
    "UPDATE wallet_ledgerentry SET amount = amount + 1",
    "DELETE FROM wallet_ledgerentry",
    "UPDATE wallet_ledgertransaction SET memo = 'changed'",
    "DELETE FROM wallet_ledgertransaction",
])
def test_ledger_rows_can_be_neither_updated_nor_deleted(statement):
    fund(UserFactory(), "100")

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(using="owner"):
        with connections["owner"].cursor() as cursor:
            cursor.execute(statement)
    assert LedgerEntry.objects.count() == 2


@as_owner
def test_member_balance_below_zero_is_refused_by_the_database_check():
    account = fund(UserFactory(), "5")

    with pytest.raises(IntegrityError, match="ledger_account_member_not_negative"), transaction.atomic(using="owner"):
        LedgerAccount.objects.using("owner").filter(pk=account.pk).update(balance=Decimal("-0.000001"))


def test_platform_accounts_may_go_negative(balance_of):
    fund(UserFactory(), "5")
    assert balance_of(platform_account(AccountCode.ADJUSTMENTS)) == Decimal("-5")


def test_overdraft_raises_the_domain_error_and_writes_nothing(invariants, balance_of):
    member = UserFactory()
    main = fund(member, "10")
    fees = platform_account(AccountCode.FEES)

    with pytest.raises(InsufficientFunds):
        ledger_post(key="t:over", kind=KIND, entries=[(main.id, Decimal("-10.000001")), (fees.id, Decimal("10.000001"))])

    assert balance_of(main) == Decimal(10)
    assert not LedgerTransaction.objects.filter(idempotency_key="t:over").exists()


def test_same_key_and_content_returns_the_first_transaction(invariants, balance_of):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    entries = [(main.id, Decimal(3)), (payouts.id, Decimal(-3))]

    first = ledger_post(key="t:same", kind=KIND, entries=entries)
    # Order and split of entries do not change the content.
    second = ledger_post(key="t:same", kind=KIND, entries=list(reversed(entries)))

    assert first.pk == second.pk
    assert balance_of(main) == Decimal(3)


def test_same_key_with_different_content_is_an_error(balance_of):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    ledger_post(key="t:k", kind=KIND, entries=[(main.id, Decimal(3)), (payouts.id, Decimal(-3))])

    with pytest.raises(IdempotencyConflict):
        ledger_post(key="t:k", kind=KIND, entries=[(main.id, Decimal(4)), (payouts.id, Decimal(-4))])
    assert balance_of(main) == Decimal(3)


@pytest.mark.parametrize("amount", [
    "0", "-0", "NaN", "sNaN", "Infinity", "-Infinity", "1.0000001", "1e30", "abc", "", "  ", 1.5, True,
])
def test_bad_amounts_are_refused_with_nothing_written(amount):
    member = UserFactory()
    before = LedgerTransaction.objects.count()

    with pytest.raises(InvalidAmount):
        balance_adjust(user_id=member.pk, amount=amount, reason="test", created_by_id=None)
    assert LedgerTransaction.objects.count() == before
    assert not Transaction.objects.exists()


def test_adjustment_needs_a_reason_and_a_known_member():
    member = UserFactory()
    with pytest.raises(InvalidAmount):
        balance_adjust(user_id=member.pk, amount="5", reason="   ", created_by_id=None)
    with pytest.raises(NotFound):
        balance_adjust(user_id=10**9, amount="5", reason="typo", created_by_id=None)
    assert not LedgerTransaction.objects.exists()


def test_adjustment_records_reason_author_and_history(invariants):
    staff = UserFactory(is_staff=True)
    member = UserFactory()

    posted = balance_adjust(user_id=member.pk, amount="25.5", reason="Goodwill credit", created_by_id=staff.pk)

    assert (posted.memo, posted.created_by_id, posted.kind) == ("Goodwill credit", staff.pk, "adjustment")
    line = Transaction.objects.get(user=member)
    assert (line.type, line.amount, line.description) == ("adjustment", Decimal("25.5"), "Goodwill credit")


def test_batch_posts_many_credits_once(invariants, balance_of):
    members = [UserFactory() for _ in range(30)]
    payouts = platform_account(AccountCode.PAYOUTS)
    postings = [
        Posting(
            key=f"daily:test:{m.pk}", kind=LedgerTransaction.Kind.DAILY_INCOME,
            entries=[(member_account(user_id=m.pk, code=AccountCode.MAIN).id, Decimal("1.5")),
                     (payouts.id, Decimal("-1.5"))],
            history=[HistoryLine(user_id=m.pk, type=Transaction.Type.DAILY_INCOME, amount=Decimal("1.5"))],
        )
        for m in members
    ]

    first = ledger_post_batch(postings=postings)
    again = ledger_post_batch(postings=postings)

    assert (first.created, first.already_posted) == (30, 0)
    assert (again.created, again.already_posted) == (0, 30)
    assert balance_of(payouts) == Decimal("-45")
    assert Transaction.objects.filter(type="daily_income").count() == 30


def test_batch_headers_keep_kind_key_memo_and_author_as_a_single_posting_would(invariants):
    """Headers go to the database as text literals: no memo character may shift or break them."""
    member, staff = UserFactory(), UserFactory(is_staff=True)
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    memos = ['He said "paid", {twice}, a\\b', "NULL", ""]
    postings = [
        Posting(key=f'memo:{i}:"{{x}}"', kind=KIND, memo=memo, created_by_id=(staff.pk if i else None),
                entries=[(main.id, Decimal(i + 1)), (payouts.id, -Decimal(i + 1))])
        for i, memo in enumerate(memos)
    ]
    single = ledger_post(key="memo:single", kind=KIND, entries=postings[0].entries)

    ledger_post_batch(postings=postings)

    stored = LedgerTransaction.objects.exclude(pk=single.pk).filter(idempotency_key__startswith="memo:")
    assert list(stored.order_by("id").values_list("idempotency_key", "kind", "memo", "created_by_id")) == [
        (p.key, KIND, p.memo, p.created_by_id) for p in postings]
    assert stored.get(idempotency_key=postings[0].key).content_hash == single.content_hash


def test_entries_of_one_account_in_a_posting_are_merged_into_one(invariants, balance_of):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    result = ledger_post_batch(postings=[Posting(key="merge:1", kind=KIND, entries=[
        (main.id, Decimal("1.25")), (payouts.id, Decimal("-3")), (main.id, Decimal("1.75"))])])

    entries = LedgerEntry.objects.filter(transaction_id=result.transaction_ids["merge:1"])
    assert sorted(entries.values_list("account_id", "amount")) == sorted([(main.id, Decimal(3)), (payouts.id, Decimal(-3))])
    assert balance_of(main) == Decimal(3)
    with pytest.raises(UnbalancedPosting):
        ledger_post_batch(postings=[Posting(key="merge:2", kind=KIND, entries=[
            (main.id, Decimal("1")), (main.id, Decimal("-1"))])])


def test_history_lines_keep_every_field_of_a_posting(invariants):
    """Lines are written a column per array: each field lands in its own line, none shifted."""
    completed, pending = UserFactory.create_batch(2)
    payouts = platform_account(AccountCode.PAYOUTS)
    main = member_account(user_id=completed.pk, code=AccountCode.MAIN)
    posted = ledger_post(key="lines:1", kind=KIND, entries=[(main.id, Decimal("2")), (payouts.id, Decimal("-2"))],
                         history=[
        HistoryLine(user_id=completed.pk, type=Transaction.Type.ADJUSTMENT, amount=Decimal("2"),
                    description="Goodwill, 'quoted', {braced}"),
        HistoryLine(user_id=pending.pk, type=Transaction.Type.WITHDRAWAL, amount=Decimal("-10"),
                    fee=Decimal("1.5"), net_amount=Decimal("-8.5"), status=Transaction.Status.PENDING,
                    txn_hash="ab" * 32, wallet_address="T" + "x" * 33),
    ])
    first, second = Transaction.objects.filter(ledger_transaction=posted).order_by("id")
    assert (first.user_id, first.fee, first.net_amount, first.status, first.description, first.txn_hash) == (
        completed.pk, Decimal("0"), Decimal("2"), Transaction.Status.COMPLETED, "Goodwill, 'quoted', {braced}", "")
    assert first.completed_at is not None
    assert (second.user_id, second.amount, second.fee, second.net_amount, second.status, second.txn_hash,
            second.wallet_address, second.completed_at) == (
        pending.pk, Decimal("-10"), Decimal("1.5"), Decimal("-8.5"), Transaction.Status.PENDING, "ab" * 32,
        "T" + "x" * 33, None)


def test_batch_with_a_changed_posting_is_refused_whole(balance_of):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    ledger_post_batch(postings=[Posting(key="b:1", kind=KIND, entries=[(main.id, Decimal(1)), (payouts.id, Decimal(-1))])])

    with pytest.raises(IdempotencyConflict):
        ledger_post_batch(postings=[
            Posting(key="b:2", kind=KIND, entries=[(main.id, Decimal(1)), (payouts.id, Decimal(-1))]),
            Posting(key="b:1", kind=KIND, entries=[(main.id, Decimal(2)), (payouts.id, Decimal(-2))]),
        ])
    assert balance_of(main) == Decimal(1)
    assert not LedgerTransaction.objects.filter(idempotency_key="b:2").exists()


def test_batch_that_would_overdraw_a_member_is_refused_whole(balance_of):
    rich, poor = UserFactory(), UserFactory()
    rich_main, poor_main = fund(rich, "10"), fund(poor, "1")
    fees = platform_account(AccountCode.FEES)

    with pytest.raises(InsufficientFunds):
        ledger_post_batch(postings=[
            Posting(key="fee:rich", kind=KIND, entries=[(rich_main.id, Decimal(-5)), (fees.id, Decimal(5))]),
            Posting(key="fee:poor", kind=KIND, entries=[(poor_main.id, Decimal(-5)), (fees.id, Decimal(5))]),
        ])
    assert (balance_of(rich_main), balance_of(poor_main)) == (Decimal(10), Decimal(1))


@as_owner
@pytest.mark.parametrize("missing", ["transaction", "account"])
def test_an_entry_naming_a_missing_transaction_or_account_is_refused(missing):
    main = member_account(user_id=UserFactory().pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)
    with pytest.raises(IntegrityError, match=f"names ledger {missing} .* that does not exist"):
        with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO wallet_ledgertransaction (kind, idempotency_key, content_hash, memo, created_at)"
                " VALUES ('adjustment', 'raw:dangling', 'x', '', now()) RETURNING id"
            )
            (txn_id,) = cursor.fetchone()
            txn_ref = txn_id + 1000 if missing == "transaction" else txn_id
            account_ref = payouts.id + 100_000 if missing == "account" else payouts.id
            cursor.execute(
                "INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, 3), (%s, %s, -3)",
                [txn_ref, main.id, txn_ref, account_ref],
            )


@as_owner
def test_a_ledger_account_with_entries_cannot_be_deleted_one_without_can():
    funded, empty = UserFactory(), UserFactory()
    fund(funded, "5")
    delete = "DELETE FROM wallet_ledgeraccount WHERE user_id = %s"
    with pytest.raises(IntegrityError, match="with entries cannot be deleted"), transaction.atomic(using="owner"):
        with connections["owner"].cursor() as cursor:
            cursor.execute(delete, [funded.pk])
    member_account(user_id=empty.pk, code=AccountCode.BONUS)
    with connections["owner"].cursor() as cursor:
        cursor.execute(delete, [empty.pk])
    assert not LedgerAccount.objects.using("owner").filter(user=empty).exists()
    assert LedgerAccount.objects.using("owner").filter(user=funded).exists()
