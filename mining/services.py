"""Writes for the mining app: the market data refresh."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from . import sources
from .models import NetworkSnapshot, Quantity
from .sources import SourceError

logger = logging.getLogger(__name__)

TICKER_CACHE_KEY = "mining:ticker"
BUCKET = timedelta(minutes=5)
LAST_KNOWN = "last known"
# A parser that meets a shape nobody documented may raise any of these; all mean "garbage".
GARBAGE = (SourceError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError, httpx.HTTPError)


@dataclass
class RefreshReport:
    snapshot: NetworkSnapshot | None
    live: dict[str, str] = field(default_factory=dict)  # quantity → source that answered
    stale: list[str] = field(default_factory=list)  # carried over from an earlier snapshot
    missing: list[str] = field(default_factory=list)  # never known at all
    errors: list[str] = field(default_factory=list)
    ticker_coins: int = 0

    @property
    def ok(self) -> bool:
        return not self.stale and not self.missing

    def summary(self) -> str:
        live = " ".join(f"{q}={s}" for q, s in self.live.items()) or "none"
        text = f"market data: live {live}; ticker {self.ticker_coins} coins"
        if self.stale:
            text += f"; stale {','.join(self.stale)}"
        if self.missing:
            text += f"; missing {','.join(self.missing)}"
        return text


def ticker_coin_ids() -> list[tuple[str, str]]:
    pairs = []
    for item in settings.MARKET_TICKER_COINS:
        coin_id, _, symbol = item.partition(":")
        pairs.append((coin_id.strip(), (symbol or coin_id).strip().upper()))
    if not any(coin_id == "bitcoin" for coin_id, _ in pairs):
        pairs.insert(0, ("bitcoin", "BTC"))
    return pairs


def _bucket(moment: datetime) -> datetime:
    seconds = int(BUCKET.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=moment.tzinfo)


def market_data_refresh(*, now: datetime | None = None) -> RefreshReport:
    """Fetch price, difficulty, hashrate, fees and height, each from the first source that answers.

    A quantity no source gives is carried over from the latest snapshot and marked stale; the
    snapshot for this 5-minute slot is written with one upsert, so a second run in the same slot
    (or a run in another worker) rewrites it rather than adding a row. The price ticker is kept
    in the cache; when CoinGecko fails it keeps the previous list, which the page shows with its age.
    """
    now = now or timezone.now()
    report = RefreshReport(snapshot=None)
    coins = ticker_coin_ids()
    with sources.http_client() as client:
        answers: dict[str, object] = {}

        def once(name: str, fetch: Callable) -> Callable[[], object]:
            # Several quantities come from one endpoint: ask it once per refresh, remember failures too.
            def get():
                if name not in answers:
                    try:
                        answers[name] = fetch(client)
                    except GARBAGE as error:
                        answers[name] = error
                if isinstance(answers[name], Exception):
                    raise answers[name]
                return answers[name]
            return get

        prices = once("coingecko", lambda c: sources.coingecko_prices(c, coin_ids=[i for i, _ in coins]))
        hashrate = once("mempool_hashrate", sources.mempool_hashrate)

        def bitcoin():
            row = prices().get("bitcoin")
            if row is None:
                raise SourceError("coingecko: no bitcoin price")
            return row

        chains: dict[str, list[tuple[str, Callable[[], object]]]] = {
            Quantity.PRICE: [("coingecko", bitcoin)],
            Quantity.DIFFICULTY: [
                ("mempool.space", lambda: hashrate().difficulty),
                ("blockchain.info", once("bc_difficulty", sources.blockchain_info_difficulty)),
            ],
            Quantity.HASHRATE: [
                ("mempool.space", lambda: hashrate().hashrate_hs),
                ("blockchain.info", once("bc_hashrate", sources.blockchain_info_hashrate)),
            ],
            Quantity.FEES: [("mempool.space", once("mempool_fees", sources.mempool_fees))],
            Quantity.HEIGHT: [
                ("mempool.space", once("mempool_height", sources.mempool_height)),
                ("blockchain.info", once("bc_height", sources.blockchain_info_height)),
            ],
            Quantity.ADJUSTMENT: [
                ("mempool.space", once("mempool_adjustment", sources.mempool_difficulty_adjustment)),
            ],
        }
        live: dict[str, object] = {}
        for quantity, chain in chains.items():
            for source_name, get in chain:
                try:
                    live[quantity] = get()
                except GARBAGE as error:
                    report.errors.append(f"{quantity} from {source_name}: {error}")
                    continue
                report.live[quantity] = source_name
                break
        try:
            report.ticker_coins = _ticker_store(prices(), coins=coins, now=now)
        except GARBAGE:
            pass  # the previous list stays in the cache and is shown with its age

    for line in report.errors:
        logger.warning("market data source failed: %s", line)
    report.snapshot = _snapshot_store(live=live, report=report, now=now)
    if report.snapshot is not None:
        _history_cache_refresh()
    return report


def _history_cache_refresh() -> None:
    from .selectors import HISTORY_CACHE_KEY, HISTORY_CACHE_S, HISTORY_DAYS, market_history

    cache.set(HISTORY_CACHE_KEY, market_history(days=HISTORY_DAYS), timeout=HISTORY_CACHE_S)


def _snapshot_store(*, live: dict[str, object], report: RefreshReport, now: datetime) -> NetworkSnapshot | None:
    previous = NetworkSnapshot.objects.order_by("-bucket").first()
    values: dict[str, object] = {}
    sources_used: dict[str, str] = {}
    as_of: dict[str, str] = {}
    stale: list[str] = []
    fields = {
        Quantity.PRICE: ("btc_price_usd", "btc_change_24h_pct"),
        Quantity.DIFFICULTY: ("difficulty",),
        Quantity.HASHRATE: ("network_hashrate",),
        Quantity.FEES: ("avg_fees_btc",),
        Quantity.HEIGHT: ("height",),
        Quantity.ADJUSTMENT: ("next_difficulty_change_pct",),
    }
    for quantity, names in fields.items():
        if quantity in live:
            values.update(_columns(quantity, live[quantity]))
            sources_used[quantity] = report.live[quantity]
            as_of[quantity] = now.isoformat()
        elif previous is not None and getattr(previous, names[0]) is not None:
            values.update({name: getattr(previous, name) for name in names})
            sources_used[quantity] = previous.sources.get(quantity, LAST_KNOWN)
            as_of[quantity] = previous.as_of.get(quantity, previous.fetched_at.isoformat())
            stale.append(quantity)
        else:
            values.update({name: None for name in names})
            report.missing.append(quantity)
    report.stale = stale
    if not sources_used:
        return None  # nothing ever known: keep no empty row
    snapshot = NetworkSnapshot(
        bucket=_bucket(now), fetched_at=now, sources=sources_used, as_of=as_of, stale=stale, **values,
    )
    update_fields = [f.name for f in NetworkSnapshot._meta.concrete_fields if f.name not in ("id", "bucket")]
    NetworkSnapshot.objects.bulk_create(
        [snapshot], update_conflicts=True, unique_fields=["bucket"], update_fields=update_fields,
    )
    return snapshot


def _columns(quantity: str, value) -> dict[str, object]:
    six = Decimal("0.000001")
    if quantity == Quantity.PRICE:
        change = value.change_24h_pct
        return {"btc_price_usd": value.usd.quantize(six),
                "btc_change_24h_pct": change.quantize(six) if change is not None else None}
    if quantity == Quantity.DIFFICULTY:
        return {"difficulty": value.quantize(six)}
    if quantity == Quantity.HASHRATE:
        return {"network_hashrate": value}
    if quantity == Quantity.FEES:
        return {"avg_fees_btc": value}
    if quantity == Quantity.HEIGHT:
        return {"height": value}
    return {"next_difficulty_change_pct": value.change_pct}


def _ticker_store(prices: dict, *, coins: list[tuple[str, str]], now: datetime) -> int:
    rows = [
        {"id": coin_id, "symbol": symbol, "usd": prices[coin_id].usd, "change_24h_pct": prices[coin_id].change_24h_pct}
        for coin_id, symbol in coins if coin_id in prices
    ]
    # No expiry: when CoinGecko is down the last list stays and is shown with its age.
    cache.set(TICKER_CACHE_KEY, {"fetched_at": now, "coins": rows}, timeout=None)
    return len(rows)
