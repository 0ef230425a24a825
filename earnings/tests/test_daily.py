import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from earnings import services
from earnings.models import Commission, DailyIncomeRun
from earnings.services import daily_income_catch_up, daily_income_pay
from earnings.tasks import daily_income_pay_task
from earnings.tests.factories import member
from investment.models import Subscription
from investment.selectors import daily_income_amount
from investment.tests.factories import buy
from phonix.exceptions import FuturePeriod, IdempotencyConflict
from wallet.ledger.descriptions import history_description
from wallet.ledger.history import member_balance
from wallet.models import AccountCode, LedgerEntry, LedgerTransaction, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
MONDAY = dt.date(2030, 1, 7)
REAL_PAYOUT_TODAY = services.payout_today  # read before the autouse fixture replaces it


def on(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=weekday)


def subscribe(user, amount, *, earned=None) -> Subscription:
    subscription = buy(user, amount)
    if earned is not None:
        Subscription.objects.filter(pk=subscription.pk).update(total_earned=D(earned))
    return Subscription.objects.get(pk=subscription.pk)


def state() -> tuple:
    """Everything a payout run writes, to compare two runs."""
    return (
        sorted(Commission.objects.values_list("source_subscription", "payout_date", "amount", "capped_amount")),
        sorted(Subscription.objects.values_list("pk", "total_earned", "is_active")),
        sorted(User.objects.values_list("pk", "total_earnings", "is_active_investor")),
        LedgerTransaction.objects.count(), LedgerEntry.objects.count(), Transaction.objects.count(),
    )


def test_daily_income_is_the_monthly_rate_over_30_rounded_down(invariants):
    owner = member()
    subscription = subscribe(owner, "1234.567891")  # tier 1, 6 %: 2.469135782… a day
    result = daily_income_pay(payout_date=MONDAY)
    assert (result.paid_count, result.paid_total) == (1, D("2.469135"))
    assert member_balance(user=owner, code=AccountCode.MAIN) == D("2.469135")
    commission = Commission.objects.get()
    assert (commission.level, commission.commission_type, commission.amount) == (0, "daily_bond", D("2.469135"))
    assert Subscription.objects.get(pk=subscription.pk).total_earned == D("2.469135")
    assert User.objects.get(pk=owner.pk).total_earnings == D("2.469135")
    # The commission row names the batch's ledger transaction, which holds the member's entry.
    posted = commission.ledger_transaction
    assert posted.idempotency_key == f"daily:{MONDAY}:members:{owner.pk}-{owner.pk}"
    assert posted.entries.get(account__user=owner).amount == D("2.469135")
    history = Transaction.objects.get(type=Transaction.Type.DAILY_INCOME)
    assert (history.user_id, history.amount, history.subscription_id) == (owner.pk, D("2.469135"), subscription.pk)


@given(amount=st.decimals(min_value=50, max_value=10_000_000, places=6),
       rate=st.sampled_from([D("6"), D("8"), D("10"), D("7.125")]))
@settings(max_examples=60, deadline=None)
def test_the_sql_daily_amount_equals_the_python_one(amount, rate):
    with connection.cursor() as cursor:
        cursor.execute("SELECT trunc(%s::numeric(20, 6) * %s::numeric(6, 3) / 3000, 6)", [amount, rate])
        assert cursor.fetchone()[0] == daily_income_amount(amount=amount, monthly_rate=rate)


def test_weekends_pay_nothing(invariants):
    subscribe(member(), "100")
    for saturday_or_sunday in (on(MONDAY, 5), on(MONDAY, 6)):
        result = daily_income_pay(payout_date=saturday_or_sunday)
        assert not result.is_weekday and result.paid_count == 0
    assert not Commission.objects.exists()
    for weekday in range(5):
        daily_income_pay(payout_date=on(MONDAY, weekday))
    assert Commission.objects.count() == 5


def test_a_subscription_bought_on_the_day_starts_earning_the_next_weekday(invariants):
    subscription = subscribe(member(), "100")
    Subscription.objects.filter(pk=subscription.pk).update(
        started_at=dt.datetime.combine(MONDAY, dt.time(10), tzinfo=dt.UTC)
    )
    assert daily_income_pay(payout_date=MONDAY).paid_count == 0
    assert daily_income_pay(payout_date=on(MONDAY, 1)).paid_count == 1


def test_the_subscription_cap_cuts_the_last_payout_and_completes_it(invariants):
    owner = member()
    ending = subscribe(owner, "100", earned="299.9")  # cap 300, daily 0.2
    running = subscribe(owner, "1000")
    User.objects.filter(pk=owner.pk).update(total_earnings=D("299.9"))
    daily_income_pay(payout_date=MONDAY)
    ending.refresh_from_db()
    assert (ending.total_earned, ending.is_active) == (D("300"), False)
    assert ending.completed_at is not None
    cut = Commission.objects.get(source_subscription=ending)
    assert (cut.amount, cut.capped_amount) == (D("0.1"), D("0.1"))
    assert Commission.objects.get(source_subscription=running).amount == D("2")
    daily_income_pay(payout_date=on(MONDAY, 1))
    assert Commission.objects.filter(source_subscription=ending).count() == 1
    assert User.objects.get(pk=owner.pk).is_active_investor


def test_completing_the_last_subscription_ends_active_investor_status(invariants):
    owner = member()
    subscribe(owner, "100", earned="299.9")
    User.objects.filter(pk=owner.pk).update(total_earnings=D("299.9"))
    daily_income_pay(payout_date=MONDAY)
    owner.refresh_from_db()
    assert (owner.total_earnings, owner.is_active_investor) == (D("300"), False)


def test_the_member_cap_cuts_daily_income_and_is_shared_by_subscriptions(invariants):
    owner = member()
    first = subscribe(owner, "100")
    second = subscribe(owner, "100")  # 0.2 a day each; the member's room is 600 − 599.7 = 0.3
    User.objects.filter(pk=owner.pk).update(total_earnings=D("599.7"))
    result = daily_income_pay(payout_date=MONDAY)
    assert (result.paid_total, result.capped_total) == (D("0.3"), D("0.1"))
    assert Commission.objects.get(source_subscription=first).amount == D("0.2")
    cut = Commission.objects.get(source_subscription=second)
    assert (cut.amount, cut.capped_amount) == (D("0.1"), D("0.1"))
    daily_income_pay(payout_date=on(MONDAY, 1))
    at_cap = Commission.objects.filter(payout_date=on(MONDAY, 1))
    assert {(c.amount, c.skip_reason, c.capped_amount) for c in at_cap} == {(D("0"), "cap", D("0.2"))}
    assert User.objects.get(pk=owner.pk).total_earnings == D("600")
    assert Subscription.objects.filter(user=owner, is_active=True).count() == 2  # own caps not reached


def test_a_run_is_idempotent(invariants):
    for amount in ("100", "3500", "7000"):
        subscribe(member(), amount)
    daily_income_pay(payout_date=MONDAY)
    after_first = state()
    again = daily_income_pay(payout_date=MONDAY)
    assert again.paid_count == 0
    assert state() == after_first


def test_a_dry_run_writes_nothing(invariants):
    subscribe(member(), "100")
    before = state()
    result = daily_income_pay(payout_date=MONDAY, dry_run=True)
    assert result.paid_total == D("0.2")
    assert state() == before
    assert not DailyIncomeRun.objects.exists()


def test_several_members_in_small_batches(invariants):
    owners = [member() for _ in range(7)]
    for owner in owners:
        subscribe(owner, "300")
    result = daily_income_pay(payout_date=MONDAY, batch_members=3)
    assert (result.paid_count, result.paid_total) == (7, D("0.6") * 7)
    assert all(member_balance(user=o, code=AccountCode.MAIN) == D("0.6") for o in owners)


def test_the_scheduled_job_catches_up_missed_weekdays(invariants):
    subscribe(member(), "100")
    daily_income_pay(payout_date=MONDAY)
    thursday = on(MONDAY, 3)
    results = daily_income_catch_up(through=thursday)
    assert [r.payout_date for r in results] == [on(MONDAY, 1), on(MONDAY, 2), thursday]
    again = daily_income_catch_up(through=thursday)  # a second run the same day pays nothing
    assert [(r.payout_date, r.paid_count) for r in again] == [(thursday, 0)]
    next_tuesday = on(MONDAY, 8)
    assert [r.payout_date for r in daily_income_catch_up(through=next_tuesday)] == [
        on(MONDAY, 4), on(MONDAY, 7), next_tuesday,
    ]
    assert Commission.objects.count() == 7


def test_the_catch_up_pays_every_weekday_of_a_long_outage_oldest_first(invariants):
    subscription = subscribe(member(), "100")
    daily_income_pay(payout_date=MONDAY)
    six_weeks_later = on(MONDAY, 42)  # a Monday
    results = daily_income_catch_up(through=six_weeks_later)
    paid_dates = [r.payout_date for r in results]
    assert paid_dates == sorted(paid_dates) and len(paid_dates) == 30  # 6 weeks × 5 weekdays
    assert all(day.weekday() < 5 for day in paid_dates)
    assert all(r.paid_total == D("0.2") for r in results)
    subscription.refresh_from_db()
    assert (subscription.total_earned, subscription.daily_paid_through) == (D("6.2"), six_weeks_later)


def test_a_dry_run_of_the_catch_up_sees_each_date_after_the_ones_before_and_writes_nothing(invariants):
    owner = member()
    subscribe(owner, "100")
    User.objects.filter(pk=owner.pk).update(total_earnings=D("299.7"))  # room for 0.2 + 0.1
    daily_income_pay(payout_date=MONDAY)
    before = state()
    results = daily_income_catch_up(through=on(MONDAY, 2), dry_run=True)
    assert [(r.payout_date, r.paid_total, r.dry_run) for r in results] == [
        (on(MONDAY, 1), D("0.1"), True), (on(MONDAY, 2), D("0"), True),
    ]
    assert state() == before
    assert DailyIncomeRun.objects.count() == 1


def test_a_date_after_today_is_refused(invariants, monkeypatch):
    subscription = subscribe(member(), "100")
    monkeypatch.setattr("earnings.services.payout_today", lambda: MONDAY)
    for run in (lambda: daily_income_pay(payout_date=on(MONDAY, 1)),
                lambda: daily_income_catch_up(through=on(MONDAY, 1))):
        with pytest.raises(FuturePeriod, match="after today"):
            run()
    assert not Commission.objects.exists() and not DailyIncomeRun.objects.exists()
    assert Subscription.objects.get(pk=subscription.pk).daily_paid_through is None
    assert daily_income_pay(payout_date=MONDAY).paid_count == 1  # today itself is fine


def test_the_scheduled_task_never_pays_a_future_date(invariants, monkeypatch):
    subscribe(member(), "100")
    monkeypatch.setattr("earnings.services.payout_today", lambda: MONDAY)
    with pytest.raises(FuturePeriod):
        daily_income_pay_task.delay(on(MONDAY, 7).isoformat())
    assert not Commission.objects.exists()
    assert daily_income_pay_task.delay().get() == [f"{MONDAY}: 1 paid, 0.200000"]


def test_payout_today_is_the_utc_date():
    assert REAL_PAYOUT_TODAY() == dt.datetime.now(dt.UTC).date()


# The batch shape: a ledger transaction per batch of members, an entry and a line per member ------


def test_a_member_with_several_subscriptions_gets_one_entry_and_one_line_for_the_day(invariants):
    owner, other = member(), member()
    first, second = subscribe(owner, "100"), subscribe(owner, "300")
    only = subscribe(other, "100")
    daily_income_pay(payout_date=MONDAY)
    commissions = Commission.objects.filter(payout_date=MONDAY)
    posted = {c.ledger_transaction_id for c in commissions}
    assert len(posted) == 1 and None not in posted  # one batch, named by every commission row
    entries = LedgerEntry.objects.filter(transaction_id=posted.pop())
    assert sorted((e.account.user_id, e.amount) for e in entries if e.account.user_id) == sorted(
        [(owner.pk, D("0.8")), (other.pk, D("0.2"))])
    assert sum(e.amount for e in entries) == 0
    owner_line = Transaction.objects.get(user=owner, type=Transaction.Type.DAILY_INCOME)
    other_line = Transaction.objects.get(user=other, type=Transaction.Type.DAILY_INCOME)
    assert (owner_line.amount, owner_line.subscription_id) == (D("0.8"), None)
    assert (other_line.amount, other_line.subscription_id) == (D("0.2"), only.pk)
    assert history_description(owner_line) == f"Daily income of several subscriptions for {MONDAY}"
    assert history_description(other_line) == f"Daily income of subscription #{only.pk} for {MONDAY}"
    with translation.override("zh-hans"):
        assert str(MONDAY) in history_description(owner_line)
        assert "Daily" not in history_description(owner_line)
    assert {c.source_subscription_id for c in commissions.filter(user=owner)} == {first.pk, second.pk}


def test_each_batch_of_members_is_its_own_transaction_and_nothing_cut_names_one(invariants):
    owners = [member() for _ in range(3)]
    for owner in owners:
        subscribe(owner, "100")
    capped = subscribe(owners[0], "100", earned="300")  # at its own cap: recorded, not paid
    daily_income_pay(payout_date=MONDAY, batch_members=2)
    keys = sorted(LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.DAILY_INCOME)
                  .values_list("idempotency_key", flat=True))
    assert keys == sorted([f"daily:{MONDAY}:members:{owners[0].pk}-{owners[1].pk}",
                           f"daily:{MONDAY}:members:{owners[2].pk}-{owners[2].pk}"])
    cut = Commission.objects.get(source_subscription=capped)
    assert (cut.amount, cut.skip_reason, cut.ledger_transaction_id) == (0, "cap", None)
    for owner in owners:
        paid = Commission.objects.get(user=owner, amount__gt=0)
        assert paid.ledger_transaction.entries.get(account__user=owner).amount == paid.amount


def test_a_batch_key_already_taken_pays_nothing_and_settles_nothing(invariants):
    # A key that exists means something is wrong: the batch stops whole, nothing is read as paid.
    owner = member()
    subscription = subscribe(owner, "100")
    LedgerTransaction.objects.create(kind=LedgerTransaction.Kind.DAILY_INCOME, content_hash="x",
                                     idempotency_key=f"daily:{MONDAY}:members:{owner.pk}-{owner.pk}")
    before = state()
    with pytest.raises(IdempotencyConflict):
        daily_income_pay(payout_date=MONDAY)
    assert state() == before
    assert Subscription.objects.get(pk=subscription.pk).daily_paid_through is None
    assert member_balance(user=owner, code=AccountCode.MAIN) == 0


def test_commissions_paid_before_batches_are_linked_to_their_own_transactions(invariants):
    """The migration's backfill finds the per-payout transactions of rows written before batches."""
    owner = member()
    subscription = subscribe(owner, "100")
    daily_income_pay(payout_date=MONDAY)
    commission = Commission.objects.get(payout_date=MONDAY)
    old_shape = LedgerTransaction.objects.create(kind=LedgerTransaction.Kind.DAILY_INCOME, content_hash="x",
                                                 idempotency_key=f"daily:{subscription.pk}:{MONDAY}")
    Commission.objects.filter(pk=commission.pk).update(ledger_transaction=None)
    backfill = importlib.import_module("earnings.migrations.0007_commission_ledger_transaction").BACKFILL
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert Commission.objects.get(pk=commission.pk).ledger_transaction_id == old_shape.pk
