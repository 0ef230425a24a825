"""The history and commission tables' references hold like foreign keys, checked per statement."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from accounts.tests.factories import UserFactory
from earnings.models import Commission
from investment.models import Subscription
from investment.selectors import plan_current
from wallet.models import Transaction
from wallet.tests.conftest import as_owner

pytestmark = pytest.mark.django_db

HISTORY = ("INSERT INTO wallet_transaction (user_id, type, amount, fee, net_amount, status, txn_hash, wallet_address,"
           " description, subscription_id, ledger_transaction_id, created_at, updated_at)"
           " VALUES (%s, 'bonus', 1, 0, 1, 'completed', '', '', '', %s, %s, now(), now())")


def _subscription(user) -> Subscription:
    return Subscription.objects.create(
        user=user, plan_version=plan_current(), amount=100, tier="tier_1", monthly_rate=6, total_earned=0,
        earnings_cap=300, is_active=True, bonus_used=0, started_at=dt.datetime.now(dt.UTC), purchase_key="k:1",
    )


@pytest.mark.parametrize(("column", "bad"), [("user", 0), ("subscription", 1), ("ledger_transaction", 2)])
def test_a_history_line_naming_a_missing_row_is_refused(column, bad):
    member = UserFactory()
    values = [member.pk, None, None]
    values[bad] = 10**9
    with pytest.raises(IntegrityError, match=f"wallet_transaction.{column}_id names .* 1000000000 that does not exist"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(HISTORY, values)


def test_changing_a_reference_to_a_missing_row_is_refused_too():
    line = Transaction.objects.create(user=UserFactory(), type="bonus", amount=1, net_amount=1, status="completed")
    with pytest.raises(IntegrityError, match="names accounts_user"), transaction.atomic():
        Transaction.objects.filter(pk=line.pk).update(user_id=10**9)


def test_a_commission_naming_a_missing_subscription_is_refused():
    member = UserFactory()
    with pytest.raises(IntegrityError, match="source_subscription_id names investment_subscription"):
        with transaction.atomic():
            Commission.objects.create(
                user=member, from_user=member, level=0, amount=1, commission_type="daily_bond",
                source_subscription_id=10**9, plan_version=plan_current(), payout_date=dt.date(2026, 12, 1),
                paid_at=dt.datetime.now(dt.UTC),
            )


def test_a_member_named_by_history_or_commissions_cannot_be_deleted():
    named, unnamed = UserFactory(), UserFactory()
    subscription = _subscription(named)
    Transaction.objects.create(user=named, type="purchase", amount=100, net_amount=100, status="completed",
                               subscription=subscription)
    for statement, value, table in (
        ("DELETE FROM investment_subscription WHERE id = %s", subscription.pk, "investment_subscription"),
        ("DELETE FROM accounts_user WHERE id = %s", named.pk, "accounts_user"),
    ):
        with pytest.raises(IntegrityError, match=f"{table} rows are still named by wallet_transaction"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [value])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [unnamed.pk])
        assert cursor.rowcount == 1


@as_owner
def test_a_delete_waits_for_a_writer_naming_the_row_then_is_refused():
    """A delete locks the naming table first: it waits for the writer, then sees its row and is refused."""
    member = UserFactory()
    outcome = {}
    named = threading.Event()

    def delete_member():
        named.wait(10)
        try:
            with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                cursor.execute("DELETE FROM accounts_user WHERE id = %s", [member.pk])
            outcome["deleted"] = True
        except IntegrityError as error:
            outcome["refused"] = str(error)
        finally:
            connections["owner"].close()

    deleter = threading.Thread(target=delete_member)
    deleter.start()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(HISTORY, [member.pk, None, None])
        named.set()
        deleter.join(0.5)
        assert deleter.is_alive()  # waiting for the writer of wallet_transaction
    deleter.join(15)
    assert "still named by wallet_transaction.user_id" in outcome.get("refused", ""), outcome
