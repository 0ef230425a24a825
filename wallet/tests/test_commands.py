from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.tests.factories import UserFactory
from wallet.models import LedgerAccount, LedgerTransaction
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def test_reconcile_passes_on_a_consistent_ledger():
    fund(UserFactory(), "42")
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert out.getvalue().startswith("OK")
    assert "0 drifted accounts" in out.getvalue()


def test_reconcile_catches_a_balance_cache_changed_behind_its_back():
    account = fund(UserFactory(), "42")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallet_ledgeraccount SET balance = balance + 1 WHERE id = %s", [account.pk])

    err = StringIO()
    with pytest.raises(CommandError, match="DRIFT.*1 drifted accounts"):
        call_command("reconcile_ledger", stderr=err)
    assert f"account {account.pk}: cached 43.000000 but entries sum to 42.000000" in err.getvalue()


def test_adjust_balance_credits_with_the_reason_kept():
    member = UserFactory(username="dora")
    out = StringIO()
    call_command("adjust_balance", "--user", "DORA", "--amount", "15.25", "--reason", "refund #12", stdout=out)

    assert LedgerAccount.objects.get(user=member, code="main").balance == Decimal("15.25")
    assert LedgerTransaction.objects.get(kind="adjustment").memo == "refund #12"
    assert "adjusted dora by 15.25" in out.getvalue()


def test_adjust_balance_dry_run_writes_nothing():
    member = UserFactory()
    call_command("adjust_balance", "--user", member.username, "--amount", "5", "--reason", "x", "--dry-run",
                 stdout=StringIO())
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("args, message", [
    (["--user", "nobody", "--amount", "5", "--reason", "x"], "no member"),
    (["--amount", "NaN", "--reason", "x"], "finite"),
    (["--amount", "5", "--reason", " "], "reason"),
    (["--amount", "-1", "--reason", "overdraw"], "Insufficient"),
])
def test_adjust_balance_refuses_bad_input(args, message):
    member = UserFactory(username="erin")
    if "--user" not in args:
        args = ["--user", member.username, *args]
    with pytest.raises(CommandError, match=message):
        call_command("adjust_balance", *args, stdout=StringIO())
    assert not LedgerTransaction.objects.exists()
