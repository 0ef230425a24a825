"""Writes of earnings: the 20-level generation fan-out and the daily bond income run.

Lock order, shared with every payout: member rows (accounts_user) in id order first, then
subscription rows, then ledger accounts (wallet) in id order — so purchases, fan-outs, daily
runs and weekly bonuses can run at the same time without deadlocking.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_email_confirmed_sql
from accounts.totals import members_earnings_add, members_investor_status_end
from investment.caps import cap_cut, cap_room, cap_room_sql
from investment.models import PlanVersion, Subscription
from investment.selectors import cap_multiple
from investment.services import subscription_generation_claim, subscriptions_daily_settle
from mining.selectors import income_requires_session, session_ran_before_sql
from phonix.exceptions import FuturePeriod
from phonix.models import StuckItem
from phonix.money import ZERO, round_down
from phonix.page_cache import pages_changed
from phonix.sql import SqlParams, array_literal, text_array_literal
from phonix.stuck import stuck_item_clear, stuck_item_record
from wallet.ledger.accounts import member_account_ids, platform_account
from wallet.ledger.payouts import ledger_post_payouts, payout_table_create
from wallet.ledger.postings import HistoryLine, Posting, ledger_post_batch
from wallet.models import AccountCode, LedgerTransaction, Transaction

from .models import Commission, DailyIncomeRun

MAX_LEVELS = 20
# Members per daily-income transaction: each batch locks its members and is one ledger transaction.
DAILY_BATCH_MEMBERS = 25_000


# Generation income ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UplineMember:
    """What the plan needs to know about one upline member at payout time."""

    id: int
    is_active_investor: bool
    directs: int
    total_invested: Decimal
    total_earnings: Decimal
    is_active: bool = True  # the account itself (staff may deactivate it)


@dataclass(frozen=True)
class LevelOutcome:
    level: int
    user_id: int
    full: Decimal  # rate(L) × amount, rounded down
    amount: Decimal  # paid
    capped: Decimal  # cut by the member's 3× cap
    reason: str  # Commission.SkipReason: "" when paid
    directs: int | None = None  # the directs the member had, recorded when too few


def generation_outcomes(*, amount: Decimal, uplines: list[UplineMember], plan: PlanVersion,
                        multiple: Decimal) -> list[LevelOutcome]:
    """The plan's decision for each upline level (nearest first), without touching the database.

    A level that does not qualify is skipped and its share is not passed further up.
    """
    outcomes = []
    for level, member in enumerate(uplines[:MAX_LEVELS], start=1):
        full = round_down(amount * plan.generation_rates[level - 1] / 100)
        if not member.is_active:
            outcomes.append(LevelOutcome(level, member.id, full, ZERO, ZERO, Commission.SkipReason.DISABLED))
            continue
        if not member.is_active_investor or member.total_invested <= 0:
            outcomes.append(LevelOutcome(level, member.id, full, ZERO, ZERO, Commission.SkipReason.INACTIVE))
            continue
        if member.directs < plan.generation_directs[level - 1]:
            outcomes.append(LevelOutcome(level, member.id, full, ZERO, ZERO, Commission.SkipReason.DIRECTS,
                                         directs=member.directs))
            continue
        room = cap_room(total_invested=member.total_invested, total_earnings=member.total_earnings,
                        multiple=multiple)
        paid, capped = cap_cut(amount=full, room=room)
        reason = "" if paid > 0 else Commission.SkipReason.CAP
        outcomes.append(LevelOutcome(level, member.id, full, paid, capped, reason))
    return outcomes


@dataclass(frozen=True)
class GenerationResult:
    subscription_id: int
    already_paid: bool
    outcomes: list[LevelOutcome] = field(default_factory=list)

    @property
    def paid_total(self) -> Decimal:
        return sum((o.amount for o in self.outcomes), ZERO)


def _uplines_locked(*, upline_ids: list[int], investors_only: bool) -> list[UplineMember]:
    """The upline members, locked in id order (their totals decide the cap room).

    In SQL rather than the ORM: it runs in every purchase's fan-out, and building the query with
    its subquery cost more than running it."""
    directs = (
        f"""(SELECT count(*) FROM accounts_user d
             WHERE d.referred_by_id = u.id AND d.is_active_investor AND {user_email_confirmed_sql("d")})"""
        if investors_only else "u.direct_referrals_count"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT u.id, u.is_active_investor, {directs}, u.total_invested, u.total_earnings, u.is_active
            FROM accounts_user u WHERE u.id = ANY(%s) ORDER BY u.id FOR UPDATE OF u
            """,
            [upline_ids],
        )
        by_id = {
            pk: UplineMember(pk, investor, directs_count, invested, earnings, is_active=is_active)
            for pk, investor, directs_count, invested, earnings, is_active in cursor.fetchall()
        }
    return [by_id[pk] for pk in upline_ids if pk in by_id]


@transaction.atomic
def generation_distribute(*, subscription_id: int, dry_run: bool = False) -> GenerationResult:
    """Pay the 20-level generation income of one purchase, exactly once.

    The claim is a conditional UPDATE of `generation_paid_at` in the same transaction as the
    payouts: a second worker (a retried message, the catch-up job) waits on the row and then
    finds it claimed. Every level gets a Commission row — paid, cut by the cap, or skipped with
    its reason — so members can see why a purchase did or did not pay them.
    """
    subscription = (
        Subscription.objects.select_related("plan_version", "user")
        .only("amount", "generation_paid_at", "plan_version", "user__username", "user__upline_ids")
        # The rates are the purchase's plan; the cap multiple is the plan in force now, as for
        # every payout. Read in the same query.
        .annotate(cap_multiple_now=Subquery(PlanVersion.objects.order_by("-pk").values("cap_multiple")[:1]))
        .get(pk=subscription_id)
    )
    if subscription.generation_paid_at is not None:
        return GenerationResult(subscription_id, already_paid=True)
    plan = subscription.plan_version
    buyer = subscription.user
    uplines = _uplines_locked(upline_ids=buyer.upline_ids[:MAX_LEVELS],
                              investors_only=plan.directs_must_be_investors)
    now = timezone.now()
    if not subscription_generation_claim(subscription_id=subscription_id, now=now):
        return GenerationResult(subscription_id, already_paid=True)
    outcomes = generation_outcomes(amount=subscription.amount, uplines=uplines, plan=plan,
                                   multiple=subscription.cap_multiple_now)
    if dry_run:
        transaction.set_rollback(True)
        return GenerationResult(subscription_id, already_paid=False, outcomes=outcomes)

    descriptions = {
        o.level: _("Level %(level)s generation income from %(member)s's purchase of %(amount)s USDT") % {
            "level": o.level, "member": buyer.username, "amount": subscription.amount,
        }
        for o in outcomes
    }
    paid = [o for o in outcomes if o.amount > 0]
    ledger_ids: dict[str, int] = {}
    if paid:
        accounts = member_account_ids(user_ids=[o.user_id for o in paid], code=AccountCode.MAIN)
        payouts = platform_account(AccountCode.PAYOUTS).pk
        ledger_ids = ledger_post_batch(postings=[
            Posting(
                key=_generation_key(subscription_id, o.level), kind=LedgerTransaction.Kind.COMMISSION,
                entries=[(payouts, -o.amount), (accounts[o.user_id], o.amount)], memo=descriptions[o.level],
                history=[HistoryLine(user_id=o.user_id, type=Transaction.Type.COMMISSION, amount=o.amount,
                                     description=descriptions[o.level], subscription_id=subscription_id)],
            )
            for o in paid
        ]).transaction_ids
        members_earnings_add(paid={o.user_id: o.amount for o in paid})
    _generation_commissions_insert(outcomes, buyer_id=buyer.pk, subscription_id=subscription_id, plan_id=plan.pk,
                                   descriptions=descriptions, paid_at=now, ledger_ids=ledger_ids)
    return GenerationResult(subscription_id, already_paid=False, outcomes=outcomes)


def _generation_key(subscription_id: int, level: int) -> str:
    return f"gen:{subscription_id}:{level}"


def _generation_commissions_insert(outcomes: list[LevelOutcome], *, buyer_id: int, subscription_id: int,
                                   plan_id: int, descriptions: dict[int, str], paid_at: dt.datetime,
                                   ledger_ids: dict[str, int]) -> None:
    """A Commission row per level in one statement of a column per array literal (as the history
    lines): the ORM's placeholder per value cost more than the insert itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO earnings_commission
                (user_id, from_user_id, level, amount, capped_amount, commission_type, skip_reason, directs_had,
                 source_subscription_id, plan_version_id, description, paid_at, ledger_transaction_id)
            SELECT u, %(buyer)s, lvl, a, c, %(type)s, r, d, %(subscription)s, %(plan)s, descr, %(paid_at)s, l
            FROM unnest(%(users)s::bigint[], %(levels)s::smallint[], %(amounts)s::numeric[],
                        %(capped)s::numeric[], %(reasons)s::text[], %(directs)s::smallint[],
                        %(descriptions)s::text[], %(ledger_ids)s::bigint[])
                AS level(u, lvl, a, c, r, d, descr, l)
            """,
            {
                "buyer": buyer_id, "type": Commission.Type.GENERATION, "subscription": subscription_id,
                "plan": plan_id, "paid_at": paid_at,
                "users": array_literal(o.user_id for o in outcomes),
                "levels": array_literal(o.level for o in outcomes),
                "amounts": array_literal(o.amount for o in outcomes),
                "capped": array_literal(o.capped for o in outcomes),
                "reasons": text_array_literal(o.reason for o in outcomes),
                "directs": text_array_literal(o.directs for o in outcomes),  # None unless too few
                "descriptions": text_array_literal(descriptions[o.level] for o in outcomes),
                "ledger_ids": text_array_literal(ledger_ids.get(_generation_key(subscription_id, o.level))
                                                 for o in outcomes),
            },
        )


GENERATION_CATCH_UP_JOB = "generation_catch_up"


@dataclass(frozen=True)
class GenerationCatchUpResult:
    paid: int  # purchases whose fan-out this run made
    stuck: list[int]  # purchases that failed, recorded as stuck items and retried next run


def generation_catch_up(*, older_than: dt.timedelta = dt.timedelta(minutes=1),
                        limit: int = 500) -> GenerationCatchUpResult:
    """Pay every purchase whose fan-out has not happened (a lost message, a dead worker).

    Purchases younger than `older_than` are left to the message enqueued at commit. Each purchase
    is its own transaction: one that fails is recorded as a stuck item and skipped, so it cannot
    hold back everybody else's income; it is tried again on the next run, after the others.
    """
    already_stuck = StuckItem.objects.filter(job=GENERATION_CATCH_UP_JOB,
                                             item_id=Cast(OuterRef("pk"), CharField()))
    owed = list(
        Subscription.objects.filter(generation_paid_at__isnull=True, started_at__lt=timezone.now() - older_than)
        .annotate(stuck=Exists(already_stuck)).order_by("stuck", "pk").values_list("pk", flat=True)[:limit]
    )
    paid, stuck = 0, []
    for subscription_id in owed:
        try:
            paid += not generation_distribute(subscription_id=subscription_id).already_paid
        except Exception as error:  # any failure of one purchase; the rest go on
            stuck_item_record(job=GENERATION_CATCH_UP_JOB, item_id=subscription_id, error=error)
            stuck.append(subscription_id)
        else:
            stuck_item_clear(job=GENERATION_CATCH_UP_JOB, item_id=subscription_id)
    return GenerationCatchUpResult(paid=paid, stuck=stuck)


# Daily bond income ---------------------------------------------------------------------------


@dataclass
class DailyIncomeResult:
    payout_date: dt.date
    is_weekday: bool
    dry_run: bool = False
    subscriptions: int = 0  # daily Commission rows written (paid or cut to zero by the cap)
    paid_count: int = 0
    paid_total: Decimal = ZERO
    capped_total: Decimal = ZERO
    completed: int = 0  # subscriptions that reached their 3× cap in this run


def payout_today() -> dt.date:
    """Today in UTC: the latest date a daily income run may pay."""
    return timezone.now().astimezone(dt.UTC).date()


def daily_income_date_check(*, payout_date: dt.date | None) -> dt.date:
    """The date a run may pay (default today, UTC); FuturePeriod for a date after today."""
    today = payout_today()
    if payout_date is None:
        return today
    if payout_date > today:
        raise FuturePeriod(
            _("Daily income cannot be paid for %(date)s: it is after today (%(today)s, UTC).")
            % {"date": payout_date.isoformat(), "today": today.isoformat()}
        )
    return payout_date


# The payout of a subscription due on a date: active, started before that day began, not yet
# settled for it. Dates are settled in order (the scheduled job catches up oldest first), so one
# date column replaces an anti-join against millions of commissions; the unique (subscription,
# date) constraint stays the guarantee.
_DUE = """
    s.is_active AND s.started_at < %(day_start)s
    AND (s.daily_paid_through IS NULL OR s.daily_paid_through < %(date)s)
"""


def daily_income_pay(*, payout_date: dt.date, dry_run: bool = False, batch_members: int = DAILY_BATCH_MEMBERS,
                     progress: Callable[[int], None] | None = None) -> DailyIncomeResult:
    """Pay the daily bond income of one date: set-based, in batches of members.

    `amount × monthly_rate / 100 / 30`, rounded down; Saturdays and Sundays pay nothing. The
    subscription's own 3× cap and the member's 3× cap both cut the payout; a member's several
    subscriptions share the member's room in id order. A subscription that reaches its cap
    completes. Each batch is one transaction of a few statements; the unique (subscription,
    date) constraint makes a re-run, or a second worker running at the same time, pay nothing
    twice. A dry run does the same work and rolls it back. A date after today (UTC) is refused:
    paying it early would mark the subscriptions settled through it, and the weekdays before it
    could then never be paid.
    """
    daily_income_date_check(payout_date=payout_date)
    result = DailyIncomeResult(payout_date=payout_date, is_weekday=payout_date.weekday() < 5, dry_run=dry_run)
    if not result.is_weekday:
        return result
    params: SqlParams = {
        "date": payout_date,
        "day_start": dt.datetime.combine(payout_date, dt.time.min, tzinfo=dt.UTC),
        "cap_multiple": cap_multiple(),
        "requires_session": income_requires_session(),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT s.user_id FROM investment_subscription s WHERE {_DUE} ORDER BY 1", params)
        member_ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(member_ids), batch_members):
        batch = member_ids[start : start + batch_members]
        with transaction.atomic():
            now = timezone.now()
            _daily_batch(result, {**params, "low": batch[0], "high": batch[-1], "now": now},
                         payout_date=payout_date, members=(batch[0], batch[-1]), now=now)
            if dry_run:
                transaction.set_rollback(True)
        if progress:
            progress(len(batch))
    if not dry_run:
        _daily_run_record(result)
    return result


def _daily_batch(result: DailyIncomeResult, params: SqlParams, *, payout_date: dt.date,
                 members: tuple[int, int], now: dt.datetime) -> None:
    due = f"s.user_id BETWEEN %(low)s AND %(high)s AND {_DUE}"
    pages_changed()  # a batch pays thousands: their pages are noted as one
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM (
                SELECT u.id FROM accounts_user u
                WHERE u.id BETWEEN %(low)s AND %(high)s
                  AND EXISTS (SELECT 1 FROM investment_subscription s WHERE s.user_id = u.id AND {_DUE})
                ORDER BY u.id FOR UPDATE OF u
            ) locked
            """,
            params,
        )
        # Read after the lock, in a statement of its own: a second worker that waited on the members
        # sees here what the first one settled, and finds nothing due.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.earnings_daily_batch")
        cursor.execute(
            f"""
            CREATE TEMP TABLE earnings_daily_batch ON COMMIT DROP AS
            WITH due AS (
                SELECT s.id, s.user_id, s.plan_version_id,
                       trunc(s.amount * s.monthly_rate / 3000, 6) AS full_amount,
                       CASE WHEN g.unmined THEN 0
                            ELSE LEAST(trunc(s.amount * s.monthly_rate / 3000, 6), s.earnings_cap - s.total_earned)
                       END AS own,
                       g.unmined,
                       {cap_room_sql("u")} AS room
                FROM investment_subscription s JOIN accounts_user u ON u.id = s.user_id
                -- With the plan's mining rule on, no session before the day began means no income for it.
                CROSS JOIN LATERAL (
                    SELECT %(requires_session)s AND NOT {session_ran_before_sql("s.user_id")} AS unmined
                ) g
                WHERE {due}
            ), shared AS (
                SELECT due.*,
                       LEAST(own, GREATEST(room - (sum(own) OVER (PARTITION BY user_id ORDER BY id) - own), 0))
                           AS pay
                FROM due
            )
            SELECT user_id, id AS subscription_id, plan_version_id, pay::numeric(20, 6) AS amount,
                   (CASE WHEN unmined THEN 0 ELSE full_amount - pay END)::numeric(20, 6) AS capped,
                   CASE WHEN pay > 0 THEN '' WHEN unmined THEN 'no_session' ELSE 'cap' END AS skip_reason
            FROM shared
            """,
            params,
        )
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE amount > 0), coalesce(sum(amount), 0), coalesce(sum(capped), 0)
            FROM earnings_daily_batch
            """
        )
        written, paid_count, paid_total, capped_total = cursor.fetchone()
        if not written:
            return
        ledger_id = _daily_post(payout_date=payout_date, members=members) if paid_count else None
        # The commission row is the payout's own record: its unique (subscription, date) is what
        # pays a day once, and it names the batch's ledger transaction.
        cursor.execute(
            """
            INSERT INTO earnings_commission
                (user_id, from_user_id, level, amount, capped_amount, commission_type, skip_reason,
                 source_subscription_id, plan_version_id, payout_date, description, paid_at, ledger_transaction_id)
            SELECT user_id, user_id, 0, amount, capped, 'daily_bond', skip_reason, subscription_id, plan_version_id,
                   %(date)s, '', %(now)s, CASE WHEN amount > 0 THEN %(ledger_id)s::bigint END
            FROM earnings_daily_batch
            """,
            {**params, "ledger_id": ledger_id},
        )
        cursor.execute("SELECT subscription_id, user_id, amount FROM earnings_daily_batch ORDER BY subscription_id")
        settled = cursor.fetchall()
    paid_members: dict[int, Decimal] = defaultdict(Decimal)
    for _subscription_id, user_id, amount in settled:
        if amount > 0:
            paid_members[user_id] += amount
    settlement = subscriptions_daily_settle(
        payout_date=payout_date, now=now, subscription_ids=[row[0] for row in settled],
        amounts=[row[2] for row in settled],
    )
    if settlement.completed:
        _completed_notify(params)
    result.subscriptions += written
    result.capped_total += capped_total
    result.completed += settlement.completed
    members_earnings_add(paid=paid_members)
    members_investor_status_end(user_ids=settlement.members_done)
    result.paid_count += paid_count
    result.paid_total += paid_total


def _daily_post(*, payout_date: dt.date, members: tuple[int, int]) -> int:
    """One ledger transaction for the batch: one entry and one history line per member paid."""
    date_text, (low, high) = payout_date.isoformat(), members
    payout_table_create()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO pg_temp.wallet_payout (user_id, amount, subscription_id, description)
            SELECT user_id, sum(amount), CASE WHEN count(*) = 1 THEN min(subscription_id) END,
                   CASE WHEN count(*) = 1 THEN format(%(one)s, min(subscription_id), %(date_text)s)
                        ELSE format(%(several)s, count(*), %(date_text)s) END
            FROM earnings_daily_batch WHERE amount > 0 GROUP BY user_id
            """,
            {"date_text": date_text, "one": _("Daily income of subscription #%s for %s"),
             "several": _("Daily income of %s subscriptions for %s")},
        )
    batch = ledger_post_payouts(
        key=f"daily:{date_text}:members:{low}-{high}",
        kind=LedgerTransaction.Kind.DAILY_INCOME, history_type=Transaction.Type.DAILY_INCOME,
        memo=f"Daily income for {date_text}, members {low}-{high}",
    )
    if batch.transaction_id is None:
        raise RuntimeError("a daily batch with payouts posted no ledger transaction")
    return batch.transaction_id


def _completed_notify(params: SqlParams) -> None:
    """Tell the members whose subscriptions this batch completed at their cap (after commit)."""
    from phonix.notifications import notify_set

    notify_set(kind="subscription_completed", params=params, source_sql="""
        SELECT user_id, 'subscription:' || id || ':completed',
               jsonb_build_object('subscription', id::text, 'amount', amount::text, 'earned', total_earned::text)
        FROM investment_subscription
        WHERE user_id BETWEEN %(low)s AND %(high)s AND completed_at = %(now)s AND NOT is_active
    """)


def _daily_run_record(result: DailyIncomeResult) -> None:
    """Remember the date as done (the scheduled job catches up from the last one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO earnings_dailyincomerun
                (payout_date, started_at, finished_at, paid_count, paid_total, capped_total)
            VALUES (%s, now(), now(), %s, %s, %s)
            ON CONFLICT (payout_date) DO UPDATE SET
                finished_at = now(),
                paid_count = earnings_dailyincomerun.paid_count + EXCLUDED.paid_count,
                paid_total = earnings_dailyincomerun.paid_total + EXCLUDED.paid_total,
                capped_total = earnings_dailyincomerun.capped_total + EXCLUDED.capped_total
            """,
            [result.payout_date, result.paid_count, result.paid_total, result.capped_total],
        )


def daily_income_dates_due(*, through: dt.date) -> list[dt.date]:
    """The weekdays a run through `through` pays, oldest first: every one after the last
    finished run, however long ago (an outage never loses income), and `through` itself (a
    re-run of it pays only what is still due). With no finished run yet, `through` alone."""
    last = (
        DailyIncomeRun.objects.filter(finished_at__isnull=False, payout_date__lt=through)
        .order_by("-payout_date").values_list("payout_date", flat=True).first()
    )
    day = through if last is None else last + dt.timedelta(days=1)
    dates = []
    while day <= through:
        if day.weekday() < 5 or day == through:
            dates.append(day)
        day += dt.timedelta(days=1)
    return dates


def daily_income_catch_up(*, through: dt.date | None = None, dry_run: bool = False,
                          progress: Callable[[int], None] | None = None,
                          date_started: Callable[[dt.date], None] | None = None) -> list[DailyIncomeResult]:
    """Pay every weekday due through `through` (default today, UTC), oldest first — what the
    scheduled job and `pay_daily_income` run. Each date commits on its own; a dry run does them
    all in one transaction and rolls it back, so each date sees the ones before it.
    """
    through = daily_income_date_check(payout_date=through)
    dates = daily_income_dates_due(through=through)
    with transaction.atomic() if dry_run else nullcontext():
        results = []
        for day in dates:
            if date_started:
                date_started(day)
            results.append(daily_income_pay(payout_date=day, progress=progress))
        if dry_run:
            transaction.set_rollback(True)
            for result in results:
                result.dry_run = True
    return results
