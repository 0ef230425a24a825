"""The market data refresh: fall-through between sources, last known values, one row per slot."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.utils import timezone

from mining.models import NetworkSnapshot
from mining.selectors import TICKER_CACHE_KEY, market_history, market_latest, ticker_prices
from mining.services import market_data_refresh

T0 = datetime(2026, 11, 20, 12, 1, 30, tzinfo=UTC)
ALL = ["price", "difficulty", "hashrate", "fees", "height", "adjustment"]

pytestmark = pytest.mark.django_db


def test_refresh_with_every_source_up(market_server):
    report = market_data_refresh(now=T0)
    assert report.ok
    assert report.live == {"price": "coingecko", "difficulty": "mempool.space", "hashrate": "mempool.space",
                           "fees": "mempool.space", "height": "mempool.space", "adjustment": "mempool.space"}
    snapshot = NetworkSnapshot.objects.get()
    assert snapshot.bucket == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert snapshot.btc_price_usd == D("85956.45")
    assert snapshot.btc_change_24h_pct == D("0.801235")
    assert snapshot.difficulty == D("102289354981091.8")
    assert snapshot.network_hashrate == D("791872349810000000000")
    assert snapshot.avg_fees_btc == D("0.02666667")
    assert snapshot.height == 873823
    assert snapshot.next_difficulty_change_pct == D("1.523410")
    assert snapshot.stale == []
    # The hashrate endpoint serves both difficulty and hashrate: asked once.
    assert market_server.hits("/mempool/api/v1/mining/hashrate/3d") == 1
    assert market_server.hits("/bci") == 0


def test_refresh_keeps_the_ticker_in_the_cache(market_server):
    market_data_refresh(now=T0)
    ticker = ticker_prices(now=T0 + timedelta(minutes=1))
    assert [coin.symbol for coin in ticker.coins][:3] == ["BTC", "ETH", "USDT"]
    assert ticker.coins[0].usd == D("85956.45")
    assert len(ticker.coins) == 10
    assert not ticker.stale


@pytest.mark.parametrize("failure", ["down", "slow", "garbage"])
def test_mempool_failing_falls_through_to_blockchain_info(market_server, settings, failure):
    if failure == "down":
        market_server.down("/mempool")
    elif failure == "slow":
        settings.MARKET_HTTP_TIMEOUT_S = 1.0
        market_server.slow("/mempool", delay_s=4)
    else:
        market_server.garbage("/mempool")
    report = market_data_refresh(now=T0)
    assert report.live["difficulty"] == "blockchain.info"
    assert report.live["hashrate"] == "blockchain.info"
    assert report.live["height"] == "blockchain.info"
    snapshot = NetworkSnapshot.objects.get()
    assert snapshot.difficulty == D("102289354981091.8")
    assert snapshot.network_hashrate == D("755123456789123000000")
    assert snapshot.height == 873822
    # Fees have no second source and nothing was known before: missing, not invented.
    assert snapshot.avg_fees_btc is None
    assert report.missing == ["fees", "adjustment"]
    assert not report.ok


def test_a_source_failing_after_a_good_refresh_leaves_the_last_known_value_marked_stale(market_server):
    market_data_refresh(now=T0)
    market_server.down("/mempool")
    later = T0 + timedelta(minutes=5)
    report = market_data_refresh(now=later)
    assert report.stale == ["fees", "adjustment"]
    latest = NetworkSnapshot.objects.order_by("-bucket").first()
    assert latest.avg_fees_btc == D("0.02666667")
    assert latest.sources["fees"] == "mempool.space"  # who gave the value, not who failed
    assert latest.as_of["fees"] == T0.isoformat()  # so its age counts from the first refresh
    assert latest.as_of["difficulty"] == later.isoformat()
    state = market_latest(now=later)
    assert state.readings["fees"].stale and state.readings["fees"].as_of == T0
    assert not state.readings["difficulty"].stale
    assert state.any_stale


def test_all_sources_down_carries_every_value_over_as_stale(market_server):
    market_data_refresh(now=T0)
    for prefix in ("/coingecko", "/mempool", "/bci"):
        market_server.down(prefix)
    report = market_data_refresh(now=T0 + timedelta(minutes=5))
    assert report.live == {}
    assert report.stale == ALL
    assert NetworkSnapshot.objects.count() == 2
    latest = NetworkSnapshot.objects.order_by("-bucket").first()
    first = NetworkSnapshot.objects.order_by("bucket").first()
    for column in ("btc_price_usd", "difficulty", "network_hashrate", "avg_fees_btc", "height"):
        assert getattr(latest, column) == getattr(first, column)
    # The ticker keeps its last list, shown stale once it is old enough.
    ticker = ticker_prices(now=T0 + timedelta(hours=1))
    assert ticker.coins[0].usd == D("85956.45")
    assert ticker.stale


def test_all_sources_down_from_the_start_stores_nothing(market_server):
    for prefix in ("/coingecko", "/mempool", "/bci"):
        market_server.down(prefix)
    report = market_data_refresh(now=T0)
    assert report.snapshot is None
    assert report.missing == ALL
    assert not NetworkSnapshot.objects.exists()
    assert market_latest() is None
    assert cache.get(TICKER_CACHE_KEY) is None


def test_values_too_old_are_stale_even_without_a_failed_refresh(market_server, settings):
    market_data_refresh(now=T0)
    settings.MARKET_STALE_AFTER_S = 900
    assert not market_latest(now=T0 + timedelta(minutes=14)).any_stale
    state = market_latest(now=T0 + timedelta(minutes=16))
    assert state.any_stale and state.readings["price"].stale


def test_refreshing_twice_in_one_slot_rewrites_the_slot(market_server):
    market_data_refresh(now=T0)
    market_server.set("/mempool/api/blocks/tip/height", "873824")
    market_data_refresh(now=T0 + timedelta(minutes=2))
    snapshot = NetworkSnapshot.objects.get()
    assert snapshot.height == 873824
    assert snapshot.stale == []


def test_history_leaves_out_values_carried_over(market_server):
    market_data_refresh(now=T0)  # 85,956.45 live
    market_server.down("/coingecko")
    market_data_refresh(now=T0 + timedelta(minutes=5))  # 85,956.45 carried over: not a price seen
    market_server.reset()
    market_server.set("/coingecko/api/v3/simple/price", '{"bitcoin": {"usd": 90000, "usd_24h_change": 1}}')
    market_data_refresh(now=T0 + timedelta(minutes=10))
    market_data_refresh(now=T0 + timedelta(days=1))
    history = market_history(days=30, now=T0 + timedelta(days=1, minutes=1))
    assert [row["day"].date().isoformat() for row in history] == ["2026-11-20", "2026-11-21"]
    # Mean of the two live prices; counting the carried copy would give 87,304.30.
    assert history[0]["price"] == D("87978.225")
    assert history[1]["price"] == D(90000)
    assert history[0]["difficulty"] == D("102289354981091.8")


def test_refresh_keeps_the_history_chart_warm_in_the_cache(market_server):
    from mining.selectors import HISTORY_CACHE_KEY

    market_data_refresh(now=timezone.now() - timedelta(days=1))
    market_data_refresh()
    rows = cache.get(HISTORY_CACHE_KEY)
    assert len(rows) == 2
    assert rows[-1]["price"] == D("85956.45")
