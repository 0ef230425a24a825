"""Reads for the mining app: the latest market state, its history, the catalogue, the ticker, and
members' mining sessions."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Max, Q
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.translation import gettext as _

from .calculator import DAYS_PER_MONTH, Market, Result, Rig, profitability, rounded
from .models import AsicMiner, CompletionRun, MiningProfile, MiningSession, NetworkSnapshot, Quantity

TICKER_CACHE_KEY = "mining:ticker"  # written by services.market_data_refresh


@dataclass(frozen=True)
class Reading:
    """One market quantity with where and when it came from."""

    quantity: str
    label: str
    value: object
    source: str
    as_of: datetime | None
    stale: bool

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class MarketState:
    snapshot: NetworkSnapshot
    readings: dict[str, Reading]
    price_change_24h_pct: Decimal | None

    def value(self, quantity: str):
        return self.readings[quantity].value

    @property
    def any_stale(self) -> bool:
        return any(r.stale for r in self.readings.values() if r.known)

    @property
    def oldest_as_of(self) -> datetime | None:
        times = [r.as_of for r in self.readings.values() if r.known and r.as_of]
        return min(times) if times else None


# Block 840,000 (the fourth halving) was mined at 2024-04-20 00:09 UTC; blocks come every ~600 s.
HEIGHT_ANCHOR = (840_000, datetime(2024, 4, 20, 0, 9, tzinfo=UTC))


def estimated_height(*, now: datetime | None = None) -> int:
    """A height good enough for the block subsidy when no source has ever answered."""
    height, at = HEIGHT_ANCHOR
    elapsed = (now or timezone.now()) - at
    return height + max(0, int(elapsed.total_seconds() // 600))


def calculator_market(
    *, state: MarketState | None, price_usd: Decimal | None = None, difficulty: Decimal | None = None,
    fees_btc: Decimal | None = None,
) -> tuple[Market | None, list[Quantity]]:
    """The calculator's market: the member's overrides where given, else the latest values.

    Returns the market and the quantities that are known nowhere (then the market is None).
    """
    def stored(quantity: str):
        return state.value(quantity) if state is not None else None

    values = {
        Quantity.PRICE: price_usd if price_usd is not None else stored(Quantity.PRICE),
        Quantity.DIFFICULTY: difficulty if difficulty is not None else stored(Quantity.DIFFICULTY),
        Quantity.FEES: fees_btc if fees_btc is not None else stored(Quantity.FEES),
    }
    missing = [quantity for quantity, value in values.items() if value is None]
    if missing:
        return None, missing
    height = stored(Quantity.HEIGHT) or estimated_height()
    return Market(
        price_usd=values[Quantity.PRICE], difficulty=values[Quantity.DIFFICULTY], fees_btc=values[Quantity.FEES],
        height=height, observed_hashrate_hs=stored(Quantity.HASHRATE),
    ), []


COLUMNS = {
    Quantity.PRICE: "btc_price_usd",
    Quantity.DIFFICULTY: "difficulty",
    Quantity.HASHRATE: "network_hashrate",
    Quantity.FEES: "avg_fees_btc",
    Quantity.HEIGHT: "height",
    Quantity.ADJUSTMENT: "next_difficulty_change_pct",
}


def market_latest(*, now: datetime | None = None) -> MarketState | None:
    """The newest snapshot, each value marked stale if it was carried over or is simply too old."""
    snapshot = NetworkSnapshot.objects.order_by("-bucket").first()
    if snapshot is None:
        return None
    now = now or timezone.now()
    too_old = now - timedelta(seconds=settings.MARKET_STALE_AFTER_S)
    readings: dict[str, Reading] = {}
    for quantity, column in COLUMNS.items():
        raw_as_of = snapshot.as_of.get(quantity)
        as_of = datetime.fromisoformat(raw_as_of) if raw_as_of else None
        value = getattr(snapshot, column)
        readings[quantity] = Reading(
            quantity=quantity, label=str(Quantity(quantity).label), value=value,
            source=snapshot.sources.get(quantity, ""), as_of=as_of,
            stale=value is not None and (quantity in snapshot.stale or as_of is None or as_of < too_old),
        )
    return MarketState(snapshot=snapshot, readings=readings, price_change_24h_pct=snapshot.btc_change_24h_pct)


HISTORY_DAYS = 180
HISTORY_CACHE_KEY = f"mining:history:{HISTORY_DAYS}"
# The refresh rewrites the entry every 5 minutes; the expiry only matters when refreshes stop.
HISTORY_CACHE_S = 900


class HistoryPoint(TypedDict):
    day: datetime
    price: Decimal | None  # None: every snapshot of the day carried the price over
    difficulty: Decimal | None


def market_history_cached() -> list[HistoryPoint]:
    """The chart's daily points from the cache the refresh keeps warm (the aggregate reads every
    snapshot in the window, which no page request should pay for)."""
    key, days = HISTORY_CACHE_KEY, HISTORY_DAYS
    try:
        rows = cache.get(key)
    except Exception:  # the chart is optional; a cache outage must not cost the page
        return market_history(days=days)
    if rows is None:
        rows = market_history(days=days)
        cache.set(key, rows, timeout=HISTORY_CACHE_S)
    return rows


def market_history(*, days: int = 180, now: datetime | None = None) -> list[HistoryPoint]:
    """Daily points for the charts: mean price and the highest difficulty seen that day.

    Values carried over from an earlier snapshot are left out, so an outage draws no flat line.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        NetworkSnapshot.objects.filter(bucket__gte=since)
        .annotate(day=TruncDay("bucket"))
        .values("day")
        .annotate(
            price=Avg("btc_price_usd", filter=~Q(stale__contains=[Quantity.PRICE])),
            difficulty=Max("difficulty", filter=~Q(stale__contains=[Quantity.DIFFICULTY])),
        )
        .order_by("day")
    )
    return [row for row in rows if row["price"] is not None or row["difficulty"] is not None]


def asic_catalogue() -> list[AsicMiner]:
    return list(AsicMiner.objects.order_by("maker", "model"))


@dataclass(frozen=True)
class CompareRow:
    miner: AsicMiner
    result: Result


def calculator_compare(
    *, market: Market, electricity_usd_kwh: Decimal, pool_fee_pct: Decimal, uptime_pct: Decimal,
    miners: list[AsicMiner] | None = None,
) -> list[CompareRow]:
    """Every catalogue model under the same conditions, most profitable first."""
    miners = asic_catalogue() if miners is None else miners
    rows = [
        CompareRow(miner, profitability(
            rig=Rig(hashrate_ths=miner.hashrate_ths, power_w=Decimal(miner.power_w),
                    electricity_usd_kwh=electricity_usd_kwh, pool_fee_pct=pool_fee_pct,
                    uptime_pct=uptime_pct),
            market=market,
        ))
        for miner in miners
    ]
    rows.sort(key=lambda row: row.result.day.profit_usd, reverse=True)
    return rows


@dataclass(frozen=True)
class TickerCoin:
    symbol: str
    usd: Decimal
    change_24h_pct: Decimal | None


@dataclass(frozen=True)
class Ticker:
    coins: list[TickerCoin]
    fetched_at: datetime
    stale: bool


def ticker_prices(*, now: datetime | None = None) -> Ticker | None:
    """The cached top-coin prices; never touches the database. None when nothing was ever fetched."""
    try:
        data = cache.get(TICKER_CACHE_KEY)
    except Exception:  # a cache outage must not take every page down with it
        return None
    if not data or not data.get("coins"):
        return None
    now = now or timezone.now()
    stale = now - data["fetched_at"] > timedelta(seconds=settings.MARKET_STALE_AFTER_S)
    coins = [TickerCoin(row["symbol"], row["usd"], row["change_24h_pct"]) for row in data["coins"]]
    return Ticker(coins=coins, fetched_at=data["fetched_at"], stale=stale)


def projection_chart_data(projection) -> dict:
    """Series for the projection chart, rounded to cents (Chart.js reads the strings as numbers)."""
    cents = Decimal("0.01")
    labels = [str(row.month) for row in projection.months]
    marks = []
    if projection.halving_day is not None:
        marks.append((projection.halving_day // DAYS_PER_MONTH, _("halving")))
    if projection.switched_off_day is not None:
        marks.append((projection.switched_off_day // DAYS_PER_MONTH, _("switched off")))
    for index, mark in marks:
        if index < len(labels):
            labels[index] = f"{labels[index]} ({mark})"
    return {
        "labels": labels,
        "cumulative": [str(rounded(row.cumulative_profit_usd, cents)) for row in projection.months],
        "monthly": [str(rounded(row.profit_usd, cents)) for row in projection.months],
        "hardware": str(rounded(projection.hardware_cost_usd, cents)),
        "names": {"cumulative": _("Cumulative profit (USD)"), "monthly": _("Profit in the month (USD)"),
                  "hardware": _("Hardware cost (USD)"), "x": _("Month")},
    }


def history_chart_data(history: list[HistoryPoint]) -> dict:
    return {
        "labels": [row["day"].date().isoformat() for row in history],
        "price": [None if row["price"] is None else str(row["price"].quantize(Decimal("0.01"))) for row in history],
        "difficulty": [None if row["difficulty"] is None else str(row["difficulty"].quantize(Decimal(1)))
                       for row in history],
        "names": {"price": _("BTC price (USD, daily mean)"), "difficulty": _("Difficulty")},
    }


# Daily mining sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class MiningStatus:
    """What the mining card shows a member, read in a fixed handful of queries."""

    now: datetime
    running: MiningSession | None
    last_completed: MiningSession | None
    streak: int
    free_total: Decimal
    session_hours: int
    free_reward: Decimal
    free_limit: Decimal
    is_investor: bool
    email_confirmed: bool
    email_reminder: bool
    income_requires_session: bool

    @property
    def total_seconds(self) -> int:
        return int((self.running.ends_at - self.running.started_at).total_seconds()) if self.running else 0

    @property
    def elapsed_seconds(self) -> int:
        if not self.running:
            return 0
        return max(0, min(self.total_seconds, int((self.now - self.running.started_at).total_seconds())))

    @property
    def seconds_left(self) -> int:
        return self.total_seconds - self.elapsed_seconds

    @property
    def progress_percent(self) -> int:
        return self.elapsed_seconds * 100 // self.total_seconds if self.total_seconds else 0

    @property
    def can_start(self) -> bool:
        """No session, or one that has ended (starting completes it first)."""
        return self.running is None or self.seconds_left == 0

    @property
    def free_limit_reached(self) -> bool:
        return self.free_total >= self.free_limit

    @property
    def earns_free_reward(self) -> bool:
        return not self.is_investor and self.email_confirmed and not self.free_limit_reached


def streak_current(*, streak: int, last_day, today) -> int:
    """The streak as it stands today: it lives while the last completed session ended today or yesterday."""
    if last_day is None or (today - last_day).days > 1:
        return 0
    return streak


def mining_status(*, user) -> MiningStatus:
    from accounts.selectors import user_email_confirmed
    from investment.models import Subscription
    from investment.selectors import plan_current

    now = timezone.now()
    recent = list(MiningSession.objects.filter(user=user).select_related("plan_version")
                  .order_by("-started_at", "-id")[:2])
    running = next((s for s in recent if s.completed_at is None), None)
    last_completed = next((s for s in recent if s.completed_at is not None), None)
    profile = MiningProfile.objects.filter(user=user).first() or MiningProfile(user=user)
    plan = plan_current()
    # The reward a running session will pay is the one of the plan it started under.
    rules = running.plan_version if running else plan
    return MiningStatus(
        now=now, running=running, last_completed=last_completed,
        streak=streak_current(streak=profile.streak, last_day=profile.streak_last_day, today=now.date()),
        free_total=profile.free_total, session_hours=rules.mining_session_hours,
        free_reward=rules.mining_free_reward, free_limit=rules.mining_free_limit,
        is_investor=Subscription.objects.filter(user=user, is_active=True).exists(),
        email_confirmed=user_email_confirmed(user=user), email_reminder=profile.email_reminder,
        income_requires_session=plan.mining_required_for_daily_income,
    )


def mining_sessions_recent(*, user, limit: int = 10) -> list[MiningSession]:
    return list(MiningSession.objects.filter(user=user).order_by("-started_at", "-id")[:limit])


def mining_completion_last() -> dict | None:
    """When the completion job last finished, for /healthz."""
    run = CompletionRun.objects.filter(pk=1).first()
    if run is None:
        return None
    return {"finished_at": run.finished_at.isoformat(), "completed": run.completed}


def mining_daily_totals(*, sessions, days: int = 14) -> list[dict]:
    """Per UTC day of completion: sessions completed, free rewards paid and their total (admin)."""
    from django.db.models import Count, Sum

    return list(
        sessions.filter(completed_at__isnull=False)
        .annotate(day=TruncDay("completed_at", tzinfo=UTC)).values("day")
        .annotate(sessions=Count("id"), rewarded=Count("id", filter=Q(reward__gt=0)), paid=Sum("reward"))
        .order_by("-day")[:days]
    )


def income_requires_session() -> bool:
    """Whether the plan in force pays daily income only to members who mined (the daily run)."""
    from investment.selectors import plan_current

    return plan_current().mining_required_for_daily_income


def session_ran_before_sql(user_id_sql: str, *, day_start_param: str = "day_start") -> str:
    """SQL condition: the member had a session running at some moment in the 24 hours before the
    instant `%(day_start)s` — started before it, and ending after it less a day. A session runs
    until its end time whenever the completion job gets to it."""
    start = f"%({day_start_param})s"
    return (
        f"EXISTS (SELECT 1 FROM mining_miningsession ms WHERE ms.user_id = {user_id_sql}"
        f" AND ms.started_at < {start} AND ms.ends_at > {start} - interval '24 hours')"
    )
