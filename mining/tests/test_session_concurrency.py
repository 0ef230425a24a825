"""Completion and start under concurrent runs, on real connections (threads, committed data)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mining.models import MiningProfile, MiningSession
from mining.services import mining_session_start, mining_sessions_complete
from mining.tests.factories import mining_session
from wallet.ledger.history import member_balance
from wallet.models import AccountCode, LedgerEntry, LedgerTransaction, Transaction
from wallet.tests.conftest import assert_ledger_invariants, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_completion_runs_at_once_complete_each_session_once():
    members = [UserFactory() for _ in range(30)]
    for member in members:
        mining_session(member, started_at=timezone.now() - dt.timedelta(hours=25))
    results = run_in_threads(4, lambda _i: mining_sessions_complete(batch_size=4))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.completed for r in results) == 30
    assert sum(r.rewarded_total for r in results) == Decimal("3")
    # Each batch of sessions is one ledger transaction; every member was paid once.
    postings = LedgerTransaction.objects.filter(idempotency_key__startswith="mining:sessions:")
    assert LedgerEntry.objects.filter(transaction__in=postings, amount__gt=0).count() == 30
    assert Transaction.objects.filter(type=Transaction.Type.BONUS).count() == 30
    assert all(member_balance(user=m, code=AccountCode.BONUS) == Decimal("0.1") for m in members)
    assert set(MiningProfile.objects.values_list("free_total", flat=True)) == {Decimal("0.1")}
    assert mining_sessions_complete().completed == 0
    assert_ledger_invariants()


def test_a_double_click_starts_one_session():
    member = UserFactory()
    results = run_in_threads(5, lambda _i: mining_session_start(user=member))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.created for r in results) == 1
    assert len({r.session.pk for r in results}) == 1
    assert MiningSession.objects.filter(user=member).count() == 1
