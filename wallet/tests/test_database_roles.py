"""The application connects as a role that cannot rewrite the ledger (phonix/db_roles.py).

Tests run as that role, like the site; the tables belong to the owner role that migrated them.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from phonix.db_roles import app_role
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, LedgerAccount, LedgerEntry, LedgerTransaction

from .factories import fund

pytestmark = pytest.mark.django_db

INSUFFICIENT_PRIVILEGE = "42501"


def _one(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_application_role_is_no_superuser_and_owns_nothing():
    assert app_role() is not None, "DATABASE_OWNER_URL is not set: the application connects as the owner"
    user, superuser, createrole, createdb, bypass_rls = _one(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
        " WHERE rolname = current_user"
    )
    assert user == app_role()
    assert not (superuser or createrole or createdb or bypass_rls)
    assert _one("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")[0] == 0
    assert _one("SELECT count(*) FROM pg_proc WHERE proowner = current_user::regrole")[0] == 0
    (owners,) = _one(
        "SELECT array_agg(DISTINCT pg_get_userbyid(relowner)) FROM pg_class"
        " WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'"
    )
    assert owners and user not in owners


@pytest.mark.parametrize("statement", [
    "TRUNCATE wallet_ledgerentry",
    "TRUNCATE wallet_ledgertransaction CASCADE",
    "TRUNCATE wallet_ledgeraccount CASCADE",
    "UPDATE wallet_ledgerentry SET amount = amount",
    "DELETE FROM wallet_ledgerentry",
    "UPDATE wallet_ledgertransaction SET memo = 'changed'",
    "DELETE FROM wallet_ledgertransaction",
    "UPDATE wallet_ledgeraccount SET balance = balance + 1",
    "DELETE FROM wallet_ledgeraccount",
    "INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount)"
    " SELECT transaction_id, account_id, amount FROM wallet_ledgerentry",
    "ALTER TABLE wallet_ledgerentry DISABLE TRIGGER ALL",
    "CREATE TABLE app_made (id int)",
])
def test_the_application_role_cannot_rewrite_the_ledger(statement, invariants):
    fund(UserFactory(), "100")

    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert refused.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE, refused.value
    assert LedgerEntry.objects.count() == 2
    assert LedgerAccount.objects.filter(user__isnull=False).get(code=AccountCode.MAIN).balance == Decimal(100)


def test_an_account_cannot_be_opened_with_a_balance(invariants):
    member = UserFactory()

    with pytest.raises(IntegrityError, match="opens at zero"), transaction.atomic():
        LedgerAccount.objects.create(user=member, code=AccountCode.MAIN, balance=Decimal(5))
    assert not LedgerAccount.objects.filter(user=member, balance__gt=0).exists()


def test_the_ledger_functions_post_for_the_application_role(invariants):
    member = UserFactory()
    main = member_account(user_id=member.pk, code=AccountCode.MAIN)
    payouts = platform_account(AccountCode.PAYOUTS)

    posted = ledger_post(key="role:1", kind=LedgerTransaction.Kind.ADJUSTMENT,
                         entries=[(main.id, Decimal("7.5")), (payouts.id, Decimal("-7.5"))])

    assert LedgerAccount.objects.get(pk=main.pk).balance == Decimal("7.5")
    assert LedgerEntry.objects.filter(transaction=posted).count() == 2
    definer, search_path = _one(
        "SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'ledger_apply'"
    )
    assert definer and any(setting.startswith("search_path=pg_catalog,") for setting in search_path)
