"""Mining sessions: starting, completing, the free reward to `bonus`, its limit, the streak."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from investment.tests.factories import buy
from mining.models import CompletionRun, MiningProfile, MiningSession
from mining.services import COMPLETION_JOB, mining_reminder_set, mining_session_start, mining_sessions_complete
from mining.tests.factories import mining_session, plan_with
from phonix.exceptions import RateLimited
from phonix.models import StuckItem
from wallet.ledger.accounts import member_account, platform_account
from wallet.ledger.history import member_balance
from wallet.ledger.postings import ledger_post
from wallet.models import AccountCode, LedgerTransaction, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
HOUR = dt.timedelta(hours=1)


def ended(user, *, hours_ago: float = 1) -> MiningSession:
    """A session of `user` that ended `hours_ago` and that nobody has completed yet."""
    return mining_session(user, started_at=timezone.now() - dt.timedelta(hours=24 + hours_ago))


def bonus(user) -> Decimal:
    return member_balance(user=user, code=AccountCode.BONUS)


def test_a_session_runs_for_the_plan_length_and_a_second_start_returns_it():
    member = UserFactory()
    first = mining_session_start(user=member)
    second = mining_session_start(user=member)
    assert first.created and not second.created
    assert second.session.pk == first.session.pk
    assert first.session.ends_at - first.session.started_at == dt.timedelta(hours=24)
    assert MiningSession.objects.filter(user=member).count() == 1


def test_the_database_refuses_a_second_running_session():
    member = UserFactory()
    mining_session(member, started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        mining_session(member, started_at=timezone.now() + HOUR)


def test_the_session_length_is_the_plan_setting():
    plan_with(mining_session_hours=6)
    started = mining_session_start(user=UserFactory())
    assert started.session.ends_at - started.session.started_at == dt.timedelta(hours=6)


def test_starting_after_a_session_ended_completes_it_and_starts_the_next(invariants):
    member = UserFactory()
    old = ended(member)
    started = mining_session_start(user=member)
    assert started.created and started.session.pk != old.pk
    old.refresh_from_db()
    assert old.completed_at is not None and old.outcome == "rewarded"
    assert bonus(member) == D("0.1")


def test_starting_too_often_is_refused(settings):
    settings.MINING_STARTS_PER_MINUTE = 3
    member = UserFactory()
    for _ in range(3):
        mining_session_start(user=member)
    with pytest.raises(RateLimited):
        mining_session_start(user=member)
    assert MiningSession.objects.filter(user=member).count() == 1


def test_a_completed_session_credits_the_free_reward_to_bonus_once(invariants):
    member = UserFactory()
    session = ended(member)
    result = mining_sessions_complete()
    assert (result.completed, result.rewarded, result.rewarded_total) == (1, 1, D("0.1"))
    session.refresh_from_db()
    assert (session.outcome, session.reward) == ("rewarded", D("0.1"))
    assert bonus(member) == D("0.1") and member_balance(user=member, code=AccountCode.MAIN) == 0
    posting = LedgerTransaction.objects.get(idempotency_key=f"mining:sessions:{session.pk}-{session.pk}")
    assert posting.kind == LedgerTransaction.Kind.BONUS
    assert Transaction.objects.filter(user=member, type=Transaction.Type.BONUS, amount=D("0.1")).count() == 1
    assert MiningProfile.objects.get(user=member).free_total == D("0.1")

    again = mining_sessions_complete()
    assert again.completed == 0
    assert bonus(member) == D("0.1")
    assert LedgerTransaction.objects.filter(idempotency_key__startswith="mining:").count() == 1


def test_a_running_session_is_not_completed(invariants):
    member = UserFactory()
    mining_session(member, started_at=timezone.now() - 23 * HOUR)
    assert mining_sessions_complete().completed == 0
    assert bonus(member) == 0


def test_the_reward_stops_at_the_lifetime_limit_and_the_last_one_is_cut(invariants):
    plan_with(mining_free_reward=D("0.10"), mining_free_limit=D("0.25"))
    member = UserFactory()
    outcomes = []
    for _ in range(4):
        session = ended(member)
        mining_sessions_complete()
        session.refresh_from_db()
        outcomes.append((session.outcome, session.reward))
    assert outcomes == [("rewarded", D("0.1")), ("rewarded", D("0.1")), ("rewarded", D("0.05")), ("limit", 0)]
    assert MiningProfile.objects.get(user=member).free_total == D("0.25")
    assert bonus(member) == D("0.25")


def test_the_default_limit_is_five_usdt(invariants):
    member = UserFactory()
    MiningProfile.objects.create(user=member, free_total=D("4.95"))
    first, second = ended(member, hours_ago=30), None
    mining_sessions_complete()
    second = ended(member)
    mining_sessions_complete()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reward, second.outcome, second.reward) == (D("0.05"), "limit", 0)


def test_a_member_without_a_confirmed_email_earns_no_reward(invariants):
    member = UserFactory(email="")
    session = ended(member)
    mining_sessions_complete()
    session.refresh_from_db()
    assert (session.outcome, session.reward) == ("unconfirmed", 0)
    assert bonus(member) == 0
    assert not LedgerTransaction.objects.filter(idempotency_key=f"mining:{session.pk}").exists()


def test_an_active_investor_earns_no_free_reward(invariants):
    member = UserFactory()
    buy(member, 100)
    session = ended(member)
    mining_sessions_complete()
    session.refresh_from_db()
    assert (session.outcome, session.reward) == ("investor", 0)


def test_the_reward_is_the_one_of_the_plan_the_session_started_under(invariants):
    member = UserFactory()
    session = ended(member)
    plan_with(mining_free_reward=D("0.50"))
    mining_sessions_complete()
    session.refresh_from_db()
    assert session.reward == D("0.1")


def test_the_streak_counts_consecutive_utc_days_with_a_completed_session():
    member = UserFactory()
    day = dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)
    for ends in (day, day + dt.timedelta(days=1), day + dt.timedelta(days=1, hours=3),
                 day + dt.timedelta(days=2)):
        mining_session(member, started_at=ends - 24 * HOUR)
        mining_sessions_complete(now=ends)
    assert MiningProfile.objects.get(user=member).streak == 3
    ends = day + dt.timedelta(days=4)  # a day without a completed session in between
    mining_session(member, started_at=ends - 24 * HOUR)
    mining_sessions_complete(now=ends)
    profile = MiningProfile.objects.get(user=member)
    assert (profile.streak, profile.streak_last_day) == (1, dt.date(2030, 1, 11))


def test_a_dry_run_changes_nothing():
    member = UserFactory()
    session = ended(member)
    result = mining_sessions_complete(dry_run=True)
    assert (result.completed, result.rewarded_total) == (1, D("0.1"))
    session.refresh_from_db()
    assert session.completed_at is None and bonus(member) == 0
    assert not CompletionRun.objects.exists()


def test_the_run_is_recorded_for_healthz(client):
    ended(UserFactory())
    mining_sessions_complete()
    run = CompletionRun.objects.get()
    assert run.completed == 1
    body = client.get("/healthz").json()
    assert body["last_mining_completion"] == {"finished_at": run.finished_at.isoformat(), "completed": 1}


def test_many_sessions_complete_in_batches(invariants):
    members = [UserFactory() for _ in range(7)]
    for member in members:
        ended(member)
    seen = []
    result = mining_sessions_complete(batch_size=3, progress=seen.append)
    assert result.completed == 7 and seen == [3, 3, 1]
    assert all(bonus(member) == D("0.1") for member in members)


def test_one_failing_session_is_recorded_as_stuck_and_the_others_complete(invariants):
    good, bad = UserFactory(), UserFactory()
    good_session, bad_session = ended(good), ended(bad)
    # Something already holds the keys of the batch of both and of the bad session alone.
    for key in (f"mining:sessions:{good_session.pk}-{bad_session.pk}", f"mining:sessions:{bad_session.pk}-{bad_session.pk}"):
        ledger_post(key=key, kind=LedgerTransaction.Kind.BONUS,
                    entries=[(platform_account(AccountCode.PAYOUTS).pk, D("-1")),
                             (member_account(user_id=bad.pk, code=AccountCode.BONUS).pk, D(1))])
    result = mining_sessions_complete()
    assert result.completed == 1 and result.stuck == [bad_session.pk]
    good_session.refresh_from_db()
    bad_session.refresh_from_db()
    assert good_session.outcome == "rewarded" and bad_session.completed_at is None
    assert StuckItem.objects.filter(job=COMPLETION_JOB, item_id=str(bad_session.pk)).exists()

    # Left out of the batches from now on, tried alone at the end of every run.
    again = mining_sessions_complete()
    assert again.completed == 0 and again.stuck == [bad_session.pk]
    assert StuckItem.objects.get(job=COMPLETION_JOB).attempts == 2


def test_a_stuck_session_completes_once_its_cause_is_gone(invariants):
    member = UserFactory()
    session = ended(member)
    StuckItem.objects.create(job=COMPLETION_JOB, item_id=str(session.pk), reason="earlier failure")
    result = mining_sessions_complete()
    assert result.completed == 1 and not result.stuck
    assert not StuckItem.objects.exists()


def test_members_who_asked_get_an_email_when_the_session_ends(django_capture_on_commit_callbacks):
    asked, silent = UserFactory(), UserFactory()
    mining_reminder_set(user=asked, enabled=True)
    ended(asked), ended(silent)
    with django_capture_on_commit_callbacks(execute=True):
        mining_sessions_complete()
    assert [message.to for message in mail.outbox] == [[asked.email]]
    assert "0.10 USDT" in mail.outbox[0].body
    from mining.services import mining_reminders_send

    session = MiningSession.objects.get(user=asked)
    assert mining_reminders_send(session_ids=[session.pk]) == 0  # a retried task sends nothing twice
    assert len(mail.outbox) == 1


def test_the_completion_claims_each_session_with_one_statement_per_step():
    """Set-based: the statement count does not grow with the number of sessions."""
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        ended(UserFactory())
    mining_sessions_complete(now=timezone.now() - 48 * HOUR)  # warm the plan and accounts
    with CaptureQueriesContext(connection) as few:
        mining_sessions_complete()
    for _ in range(12):
        ended(UserFactory())
    with CaptureQueriesContext(connection) as many:
        mining_sessions_complete()
    assert len(many) == len(few)
