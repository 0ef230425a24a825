"""Reads of earnings: totals against the cap, the chart, the history, the why of each commission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from investment.caps import cap_room, cap_total
from investment.selectors import plan_current
from phonix.money import ZERO
from wallet.models import Transaction

from .models import Commission, DailyIncomeRun

if TYPE_CHECKING:
    from accounts.models import User
    from investment.models import Subscription

# The member-facing history types that are earnings, in the order pages show them.
EARNING_TYPES = (
    Transaction.Type.DAILY_INCOME, Transaction.Type.COMMISSION, Transaction.Type.WEEKLY_BONUS,
    Transaction.Type.BONUS, Transaction.Type.PROMOTION,
)


@dataclass(frozen=True)
class EarningsSummary:
    daily_income: Decimal
    generation: Decimal
    weekly_bonus: Decimal
    registration_bonus: Decimal
    promotion: Decimal  # staff distributions
    counted: Decimal  # every kind that counts against the cap (User.total_earnings)
    invested: Decimal
    cap: Decimal
    room: Decimal

    @property
    def cap_progress(self) -> Decimal:
        return min(Decimal(100), self.counted * 100 / self.cap) if self.cap else Decimal(0)


# How long a member's earnings figures are kept; see _history_state for what refreshes them sooner.
FIGURES_TTL = 600


def _history_state(user: User, recent: Sequence[Transaction] | None = None) -> str:
    """What the member's earnings figures are computed from, as a cache key: their total earnings
    (which moves in the same transaction as every earning line) and their newest history line (one
    index probe, or the first of `recent`, the newest lines as wallet.ledger.history.recent_history reads
    them). A line committed behind a newer one is caught by the total, or else by FIGURES_TTL."""
    if recent is None:
        newest_line = Transaction.objects.filter(user=user).order_by("-created_at", "-id").only("id").first()
    else:
        newest_line = recent[0] if recent else None
    newest = newest_line.pk if newest_line else 0
    return f"{user.pk}:{user.total_earnings}:{newest}"


def _kind_totals(*, user: User, state: str) -> dict[str, Any]:
    """Sum and number of the member's history lines of each earning kind (one query, then cached)."""
    key = f"earnings:totals:{state}"
    totals: dict[str, Any] | None = cache.get(key)  # an aggregate: each kind's sum and line count
    if totals is None:
        totals = Transaction.objects.filter(user=user, type__in=EARNING_TYPES).aggregate(
            **{kind: Sum("amount", filter=Q(type=kind), default=ZERO) for kind in EARNING_TYPES},
            **{f"{kind}_lines": Count("id", filter=Q(type=kind)) for kind in EARNING_TYPES},
        )
        cache.set(key, totals, FIGURES_TTL)
    return totals


def _summary(*, user: User, totals: dict[str, Any]) -> EarningsSummary:
    multiple = plan_current().cap_multiple
    return EarningsSummary(
        daily_income=totals[Transaction.Type.DAILY_INCOME], generation=totals[Transaction.Type.COMMISSION],
        weekly_bonus=totals[Transaction.Type.WEEKLY_BONUS], registration_bonus=totals[Transaction.Type.BONUS],
        promotion=totals[Transaction.Type.PROMOTION],
        counted=user.total_earnings, invested=user.total_invested,
        cap=cap_total(total_invested=user.total_invested, multiple=multiple),
        room=cap_room(total_invested=user.total_invested, total_earnings=user.total_earnings, multiple=multiple),
    )


def earnings_summary(*, user: User, recent: Sequence[Transaction] | None = None) -> EarningsSummary:
    """Totals by kind (from the history) and the member's position under the cap. A page that shows
    the member's newest history lines passes them as `recent`, which saves a query."""
    return _summary(user=user, totals=_kind_totals(user=user, state=_history_state(user, recent)))


def _day_totals(*, user: User, state: str, since: dt.date) -> dict[tuple[str, str], float]:
    """Earnings per (UTC day, kind) since `since` (one query, then cached)."""
    key = f"earnings:days:{state}:{since.isoformat()}"
    totals: dict[tuple[str, str], float] | None = cache.get(key)
    if totals is None:
        rows = (
            Transaction.objects.filter(
                user=user, type__in=EARNING_TYPES,
                created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC),
            )
            .annotate(day=TruncDate("created_at", tzinfo=dt.UTC)).values("day", "type")
            .annotate(total=Sum("amount")).order_by()
        )
        totals = {(row["day"].isoformat(), row["type"]): float(row["total"]) for row in rows}
        cache.set(key, totals, FIGURES_TTL)
    return totals


class ChartDataset(TypedDict):
    label: str
    data: list[float]


class ChartData(TypedDict):
    """What Chart.js draws: a label per day and a series per kind."""

    labels: list[str]
    datasets: list[ChartDataset]


def _chart(*, user: User, state: str, days: int) -> ChartData:
    """Earnings per UTC day and kind over the last `days` days, zero-filled, for Chart.js."""
    today = timezone.now().date()
    since = today - dt.timedelta(days=days - 1)
    totals = _day_totals(user=user, state=state, since=since)
    labels = [(since + dt.timedelta(days=i)).isoformat() for i in range(days)]
    return {
        "labels": labels,
        "datasets": [
            {"label": str(Transaction.Type(kind).label), "data": [totals.get((day, kind), 0.0) for day in labels]}
            for kind in EARNING_TYPES
        ],
    }


@dataclass(frozen=True)
class EarningsOverview:
    """What the earnings page shows above its history, and how long that history is."""

    summary: EarningsSummary
    chart: ChartData
    lines: dict[str, int]  # history lines of each earning kind

    def history_length(self, kind: str | None = None) -> int:
        return self.lines[kind] if kind else sum(self.lines.values())


def earnings_overview(*, user: User, days: int = 60) -> EarningsOverview:
    state = _history_state(user)
    totals = _kind_totals(user=user, state=state)
    return EarningsOverview(
        summary=_summary(user=user, totals=totals), chart=_chart(user=user, state=state, days=days),
        lines={kind: totals[f"{kind}_lines"] for kind in EARNING_TYPES},
    )


def earnings_history(*, user: User, type: str | None = None, since: dt.date | None = None,
                     until: dt.date | None = None) -> QuerySet[Transaction]:
    """Earnings newest first; `since` and `until` are UTC days, both included."""
    from wallet.ledger.history import created_between

    history = Transaction.objects.filter(user=user, type__in=[type] if type else EARNING_TYPES)
    history = created_between(history, since=since, until=until)
    # What the descriptions are written from, in the same query.
    return history.select_related("ledger_transaction", "subscription__user").order_by("-created_at", "-id")


def generation_commissions(*, user: User) -> QuerySet[Commission]:
    """Every generation decision about the member — paid, cut by the cap, or skipped and why."""
    return (
        Commission.objects.filter(user=user, commission_type=Commission.Type.GENERATION)
        .select_related("from_user", "source_subscription", "plan_version")
        .only("level", "amount", "capped_amount", "skip_reason", "directs_had", "paid_at", "from_user__username",
              "source_subscription__amount", "plan_version__generation_directs")
        .order_by("-paid_at", "-id")
    )


@dataclass(frozen=True)
class LevelDecision:
    level: int
    outcome: str  # "paid", "capped", "skipped", "pending" (not distributed yet) or "no_upline"
    amount: Decimal
    capped_amount: Decimal
    skip_reason: str


def purchase_generation_levels(*, subscription: Subscription) -> list[LevelDecision]:
    """The 20 generation levels of one purchase: what each upline level was paid, what a cap cut
    off, or why it was skipped. One query; the uplines themselves are not named."""
    from accounts.selectors import MAX_LEVELS

    decisions = {
        row.level: row for row in Commission.objects.filter(
            source_subscription=subscription, commission_type=Commission.Type.GENERATION,
        ).only("level", "amount", "capped_amount", "skip_reason")
    }
    missing = "pending" if subscription.generation_paid_at is None else "no_upline"
    levels = []
    for level in range(1, MAX_LEVELS + 1):
        row = decisions.get(level)
        if row is None:
            levels.append(LevelDecision(level, missing, ZERO, ZERO, ""))
            continue
        outcome = "capped" if row.capped_amount > 0 else "skipped" if row.skip_reason else "paid"
        levels.append(LevelDecision(level, outcome, row.amount, row.capped_amount, row.skip_reason))
    return levels


@dataclass(frozen=True)
class DailyDateSettled:
    """Subscriptions a run for a date found settled through it already (so it did not pay them)."""

    payout_date: dt.date
    settled: int  # have their payout (or cap cut) for the date
    passed: int  # were settled through a later date without one: the date can no longer pay them


def daily_income_settled(*, payout_date: dt.date) -> DailyDateSettled:
    """Count, among subscriptions started before the date, those settled through it or later.

    Dates are settled in order (`daily_paid_through`), so a subscription that passed a date
    without a payout for it (an older run went back at most a week, or paid a date early) will
    never be paid for that date: that is what `passed` counts, for the operator to see.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE paid), count(*) FILTER (WHERE NOT paid) FROM (
                SELECT EXISTS (
                    SELECT 1 FROM earnings_commission c
                    WHERE c.source_subscription_id = s.id AND c.payout_date = %(date)s
                      AND c.commission_type = 'daily_bond'
                ) AS paid
                FROM investment_subscription s
                WHERE s.started_at < %(day_start)s AND s.daily_paid_through >= %(date)s
            ) t
            """,
            {"date": payout_date, "day_start": dt.datetime.combine(payout_date, dt.time.min, tzinfo=dt.UTC)},
        )
        settled, passed = cursor.fetchone()
    return DailyDateSettled(payout_date=payout_date, settled=settled, passed=passed)


def daily_income_last_finished() -> dict[str, object] | None:
    """The last daily income run that finished, for /healthz."""
    run = DailyIncomeRun.objects.filter(finished_at__isnull=False).order_by("-payout_date").first()
    if run is None or run.finished_at is None:
        return None
    return {"date": run.payout_date.isoformat(), "finished_at": run.finished_at.isoformat(),
            "paid": run.paid_count}
