from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from accounts.tests.factories import UserFactory, staff_member
from phonix.models import AuditLog
from wallet.models import LedgerAccount, LedgerTransaction
from wallet.tests.conftest import as_owner
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def test_reconcile_passes_on_a_consistent_ledger():
    fund(UserFactory(), "42")
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().startswith("OK")
    assert "0 drifted accounts" in out.getvalue()


@as_owner
def test_reconcile_catches_a_balance_cache_changed_behind_its_back():
    account = fund(UserFactory(), "42")
    with connections["owner"].cursor() as cursor:
        cursor.execute("UPDATE wallet_ledgeraccount SET balance = balance + 1 WHERE id = %s", [account.pk])

    err = StringIO()
    with pytest.raises(CommandError, match="DRIFT.*1 drifted accounts"):
        call_command("reconcile_ledger", stderr=err)
    assert f"account {account.pk}: cached 43.000000 but entries sum to 42.000000" in err.getvalue()


@pytest.fixture
def operator():
    return staff_member("wallet.adjust_balance", username="olga")


def test_adjust_balance_credits_with_the_reason_kept_and_the_operator_as_actor(operator, invariants):
    member = UserFactory(username="dora")
    out = StringIO()
    call_command("adjust_balance", "--user", "DORA", "--amount", "15.25", "--reason", "refund #12", "--by", "olga",
                 stdout=out)

    assert LedgerAccount.objects.get(user=member, code="main").balance == Decimal("15.25")
    posted = LedgerTransaction.objects.get(kind="adjustment")
    assert posted.memo == "refund #12" and posted.created_by == operator
    audit = AuditLog.objects.get(action=AuditLog.Action.BALANCE_ADJUST)
    assert (audit.actor, audit.member, audit.reason) == (operator, member, "refund #12")
    assert audit.before == {"account": "main", "balance": "0.000000"}
    assert audit.after["balance"] == "15.250000" and audit.after["amount"] == "15.250000"
    assert "adjusted dora main by 15.25" in out.getvalue()


def test_adjust_balance_dry_run_writes_nothing(operator):
    member = UserFactory()
    call_command("adjust_balance", "--user", member.username, "--amount", "5", "--reason", "x", "--by", "olga",
                 "--dry-run", stdout=StringIO())
    assert not LedgerTransaction.objects.exists() and not AuditLog.objects.exists()


def test_adjust_balance_with_the_same_key_twice_applies_once(operator, invariants):
    member = UserFactory(username="finn")
    args = ["--user", "finn", "--amount", "7", "--reason", "goodwill", "--by", "olga", "--key", "ticket-881"]
    call_command("adjust_balance", *args, stdout=StringIO())
    again = StringIO()
    call_command("adjust_balance", *args, stdout=again)

    assert "already applied" in again.getvalue()
    assert LedgerAccount.objects.get(user=member, code="main").balance == 7
    assert LedgerTransaction.objects.filter(kind="adjustment").count() == 1
    assert AuditLog.objects.filter(action=AuditLog.Action.BALANCE_ADJUST).count() == 1


@pytest.mark.parametrize("changed", [["--amount", "8"], ["--reason", "something else"], ["--account", "bonus"]])
def test_adjust_balance_with_the_same_key_and_other_content_fails(operator, changed, invariants):
    member = UserFactory(username="gus")
    base = {"--user": "gus", "--amount": "7", "--reason": "goodwill", "--by": "olga", "--key": "ticket-882"}
    call_command("adjust_balance", *[part for pair in base.items() for part in pair], stdout=StringIO())
    other = {**base, changed[0]: changed[1]}
    with pytest.raises(CommandError, match="ticket-882"):
        call_command("adjust_balance", *[part for pair in other.items() for part in pair], stdout=StringIO())
    assert LedgerAccount.objects.get(user=member, code="main").balance == 7
    assert LedgerTransaction.objects.filter(kind="adjustment").count() == 1


@pytest.mark.parametrize("args, message", [
    (["--user", "nobody", "--amount", "5", "--reason", "x", "--by", "olga"], "no member"),
    (["--amount", "NaN", "--reason", "x", "--by", "olga"], "is not a number"),
    (["--amount", "5", "--reason", " ", "--by", "olga"], "reason"),
    (["--amount", "-1", "--reason", "overdraw", "--by", "olga"], "Insufficient"),
    (["--amount", "5", "--reason", "x"], "--by"),
    (["--amount", "5", "--by", "olga"], "--reason"),
    (["--amount", "5", "--reason", "x", "--by", "olga", "--account", "withdrawal_hold"], "main and bonus"),
    (["--amount", "5", "--reason", "x", "--by", "nobody"], "not an active staff member"),
    (["--amount", "5", "--reason", "x", "--by", "erin"], "not an active staff member"),  # a member, not staff
    (["--amount", "5", "--reason", "x", "--by", "retired"], "not an active staff member"),
    (["--amount", "5", "--reason", "x", "--by", "clerk"], "permission"),
])
def test_adjust_balance_refuses_bad_input(operator, args, message):
    member = UserFactory(username="erin")
    staff_member("wallet.adjust_balance", username="retired", is_active=False)
    staff_member(username="clerk")
    if "--user" not in args:
        args = ["--user", member.username, *args]
    with pytest.raises(CommandError, match=message):
        call_command("adjust_balance", *args, stdout=StringIO())
    assert not LedgerTransaction.objects.exists() and not AuditLog.objects.exists()
