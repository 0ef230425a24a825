"""Reads for the mining app: the latest market state, its history, the catalogue, the ticker."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Max, Q
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.translation import gettext as _

from .calculator import DAYS_PER_MONTH, Market, Result, Rig, profitability
from .models import AsicMiner, NetworkSnapshot, Quantity
from .services import TICKER_CACHE_KEY


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
) -> tuple[Market | None, list[str]]:
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
    readings = {}
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


def market_history_cached() -> list[dict]:
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


def market_history(*, days: int = 180, now: datetime | None = None) -> list[dict]:
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
        "cumulative": [str(row.cumulative_profit_usd.quantize(cents)) for row in projection.months],
        "monthly": [str(row.profit_usd.quantize(cents)) for row in projection.months],
        "hardware": str(projection.hardware_cost_usd.quantize(cents)),
        "names": {"cumulative": _("Cumulative profit (USD)"), "monthly": _("Profit in the month (USD)"),
                  "hardware": _("Hardware cost (USD)"), "x": _("Month")},
    }


def history_chart_data(history: list[dict]) -> dict:
    return {
        "labels": [row["day"].date().isoformat() for row in history],
        "price": [None if row["price"] is None else str(row["price"].quantize(Decimal("0.01"))) for row in history],
        "difficulty": [None if row["difficulty"] is None else str(row["difficulty"].quantize(Decimal(1)))
                       for row in history],
        "names": {"price": _("BTC price (USD, daily mean)"), "difficulty": _("Difficulty")},
    }
