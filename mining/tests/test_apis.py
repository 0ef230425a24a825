"""Market endpoints of the JSON API: ticker, catalogue, calculator and comparison."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.tests.factories import api_client
from mining.selectors import TICKER_CACHE_KEY

from .factories import snapshot

pytestmark = pytest.mark.django_db


def test_the_ticker_comes_from_the_cache_and_says_when_it_is_stale():
    assert api_client().get("/api/v1/market/ticker/").json() == {"coins": [], "fetched_at": None, "stale": True}
    cache.set(TICKER_CACHE_KEY, {"fetched_at": timezone.now() - timedelta(hours=2), "coins": [
        {"id": "bitcoin", "symbol": "BTC", "usd": D("85956.45"), "change_24h_pct": None},
    ]}, timeout=None)
    ticker = api_client().get("/api/v1/market/ticker/").json()
    assert ticker["stale"] is True
    assert ticker["coins"] == [{"symbol": "BTC", "usd": "85956.45000000", "change_24h_pct": None}]


def test_the_catalogue_lists_every_miner(catalogue):
    miners = api_client().get("/api/v1/mining/miners/").json()
    assert len(miners) == catalogue.count() == 27
    assert all(isinstance(row["hashrate_ths"], str) for row in miners)


def test_the_calculator_gives_the_pages_figures(catalogue):
    snapshot()
    miner = catalogue.get(model="Antminer S21 XP Hydro")
    response = api_client().get("/api/v1/mining/calculator/", {"miner": miner.pk, "electricity_usd_kwh": "0.08"})
    assert response.status_code == 200
    result = response.json()["result"]
    day = result["day"]
    assert D(day["electricity_usd"]) == (D(miner.power_w) * 24 / 1000 * D("0.98") * D("0.08")).quantize(D("0.01"))
    assert D(day["profit_usd"]) == D(day["revenue_usd"]) - D(day["electricity_usd"])
    assert len(response.json()["projection"]["months"]) > 0


@pytest.mark.parametrize("params, field", [
    ({"hashrate_ths": "abc", "power_w": "3500"}, "hashrate_ths"),
    ({"pool_fee_pct": "80"}, "pool_fee_pct"),
    ({"uptime_pct": "1e2"}, "uptime_pct"),
    ({"quantity": "1_0"}, "quantity"),
    ({"miner": "999999"}, "miner"),
])
def test_calculator_bad_input_is_400_by_field(params, field):
    snapshot()
    response = api_client().get("/api/v1/mining/calculator/", params)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_without_market_data_the_calculator_asks_for_the_values():
    response = api_client().get("/api/v1/mining/calculator/")
    assert response.status_code == 400 and "price_usd" in response.json()["errors"]


def test_compare_lists_every_miner_most_profitable_first(catalogue):
    snapshot()
    rows = api_client().get("/api/v1/mining/compare/", {"electricity_usd_kwh": "0.08"}).json()
    assert len(rows) == 27 and rows[0]["miner"]["model"] == "Antminer S21 XP Hydro"
    profits = [D(row["result"]["day"]["profit_usd"]) for row in rows]
    assert profits == sorted(profits, reverse=True)
    assert api_client().get("/api/v1/mining/compare/", {"electricity_usd_kwh": "-1"}).status_code == 400
