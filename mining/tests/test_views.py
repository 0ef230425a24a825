import csv
import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mining.models import AsicMiner
from mining.selectors import TICKER_CACHE_KEY

from .factories import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]
CALCULATOR = "/mining/calculator/"
COMPARE = "/mining/compare/"


def test_urls_are_the_stable_ones():
    assert reverse("mining:calculator") == CALCULATOR
    assert reverse("mining:compare") == COMPARE


def test_calculator_works_without_logging_in(client):
    snapshot()
    response = client.get(CALCULATOR)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="calc-periods"' in html and 'id="projection-data"' in html
    assert "calc-errors" not in html
    assert 'name="viewport"' in html  # the layout is the phone-ready one
    assert 'hx-get="/mining/calculator/"' in html
    result = response.context["result"]
    assert result.total_hashrate_ths == D(200)  # the default custom rig
    assert response.context["market"].price_usd == D("85956.45")
    assert len(response.context["projection"].months) == 24


def test_choosing_a_catalogue_miner_uses_its_figures(client):
    snapshot()
    s21 = AsicMiner.objects.get(model="Antminer S21 XP Hydro")
    response = client.get(CALCULATOR, {"miner": s21.pk, "quantity": "3", "hashrate_ths": "1"})
    result = response.context["result"]
    assert result.total_hashrate_ths == D(473) * 3  # the typed custom hashrate does not count
    assert result.total_power_w == D(5676) * 3
    assert result.efficiency_j_th == D(5676) / D(473)


def test_htmx_request_gets_only_the_results(client):
    snapshot()
    response = client.get(CALCULATOR, {"quantity": "2"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="calc-periods"' in html
    assert [t.name for t in response.templates][0] == "mining/partials/_results.html"


def test_overrides_replace_the_latest_values(client):
    snapshot()
    response = client.get(CALCULATOR, {"price_usd": "50000", "difficulty": "100000000000000", "fees_btc": "0"})
    market = response.context["market"]
    assert (market.price_usd, market.difficulty, market.fees_btc) == (D(50000), D(10**14), D(0))
    assert market.height == 873823


@pytest.mark.parametrize("params", [
    {"hashrate_ths": "-5"}, {"hashrate_ths": "0"}, {"hashrate_ths": "abc"}, {"hashrate_ths": "1e20"},
    {"hashrate_ths": "NaN"}, {"hashrate_ths": "Infinity"}, {"hashrate_ths": ""},
    {"power_w": "0"}, {"power_w": "-1"}, {"quantity": "0"}, {"quantity": "2.5"}, {"quantity": "10000000000"},
    {"quantity": "1000000", "hashrate_ths": "99999"},
    {"uptime_pct": "150"}, {"uptime_pct": "0"}, {"pool_fee_pct": "100"}, {"pool_fee_pct": "-1"},
    {"electricity_usd_kwh": "-0.1"}, {"electricity_usd_kwh": "ten"}, {"difficulty_growth_pct": "500"},
    {"hardware_cost_usd": "-1"}, {"price_usd": "0"}, {"price_usd": "-1"}, {"difficulty": "0"},
    {"difficulty": "1e30"}, {"fees_btc": "-0.1"}, {"miner": "999999"}, {"miner": "x"},
    {"electricity_usd_kwh": "0.1234567891234"},
])
def test_bad_input_is_a_form_error_never_a_500(client, params):
    snapshot()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(CALCULATOR, params, **headers)
        assert response.status_code == 200
        assert "calc-errors" in response.content.decode()
        assert "result" not in response.context


def test_stale_values_are_shown_as_stale(client):
    snapshot(at=timezone.now() - timedelta(hours=3), stale=["price", "difficulty"])
    html = client.get(CALCULATOR).content.decode()
    assert "market-stale" in html
    assert "Live sources are not answering" in html
    assert "stale, 3" in html  # "stale, 3 hours old"
    assert 'id="calc-periods"' in html  # the calculator still works on the last known values


def test_without_any_market_data_the_page_asks_for_values(client):
    html = client.get(CALCULATOR).content.decode()
    assert "market-missing" in html
    assert "No BTC price is known yet" in html
    response = client.get(CALCULATOR, {"price_usd": "90000", "difficulty": "100000000000000", "fees_btc": "0.02"})
    assert "calc-errors" not in response.content.decode()
    assert response.context["market"].height > 840_000  # estimated from the date
    assert response.context["result"].subsidy_btc == D("3.125") or response.context["market"].height >= 1_050_000


def test_losing_configuration_says_never_and_switches_off(client):
    snapshot()
    html = client.get(CALCULATOR, {"electricity_usd_kwh": "5", "hardware_cost_usd": "1000"}).content.decode()
    assert "never at today" in html
    assert "projection-off" in html


def test_compare_lists_every_miner_most_profitable_first(client, django_assert_max_num_queries):
    snapshot()
    with django_assert_max_num_queries(10):
        response = client.get(COMPARE, {"electricity_usd_kwh": "0.08"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == AsicMiner.objects.count() == 27
    profits = [row.result.day.profit_usd for row in rows]
    assert profits == sorted(profits, reverse=True)
    assert rows[0].miner.model == "Antminer S21 XP Hydro"
    assert all(row.result.day.electricity_usd == row.miner.power_w * D("24") / 1000 * D("0.98") * D("0.08")
               for row in rows)


def test_compare_csv_export(client):
    snapshot()
    response = client.get(COMPARE, {"electricity_usd_kwh": "0.05", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:3] == ["maker", "model", "hashrate_ths"]
    assert len(table) == 28
    profits = [D(row[8]) for row in table[1:]]
    assert profits == sorted(profits, reverse=True)


def test_compare_csv_does_not_let_a_name_become_a_formula(client):
    snapshot()
    AsicMiner.objects.create(maker="=HYPERLINK(1)", model="X", hashrate_ths=1, power_w=1, efficiency_j_th=1,
                             year=2024)
    text = client.get(COMPARE, {"format": "csv"}).content.decode()
    assert "'=HYPERLINK(1)" in text


def test_compare_bad_input(client):
    snapshot()
    response = client.get(COMPARE, {"uptime_pct": "101"})
    assert response.status_code == 200
    assert "calc-errors" in response.content.decode()
    assert client.get(COMPARE, {"uptime_pct": "abc", "format": "csv"}).status_code == 400


def test_compare_without_market_data(client):
    response = client.get(COMPARE)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert client.get(COMPARE, {"format": "csv"}).status_code == 400


def test_layout_shows_the_calculator_link_and_the_ticker(client):
    cache.set(TICKER_CACHE_KEY, {"fetched_at": timezone.now(), "coins": [
        {"id": "bitcoin", "symbol": "BTC", "usd": D("85956.45"), "change_24h_pct": D("0.8")},
        {"id": "tron", "symbol": "TRX", "usd": D("0.1612"), "change_24h_pct": D("-1.2")},
    ]}, timeout=None)
    html = client.get(COMPARE).content.decode()
    assert 'href="/mining/calculator/"' in html
    assert "price-ticker" in html and "85,956.45" in html and "0.161200" in html
    assert "ticker-stale" not in html


def test_ticker_reads_only_the_cache(django_assert_num_queries):
    cache.set(TICKER_CACHE_KEY, {"fetched_at": timezone.now() - timedelta(hours=2), "coins": [
        {"id": "bitcoin", "symbol": "BTC", "usd": D("85956.45"), "change_24h_pct": None},
    ]}, timeout=None)
    with django_assert_num_queries(0):
        html = render_to_string("partials/_ticker.html")
    assert "BTC" in html and "ticker-stale" in html


def test_ticker_is_absent_when_nothing_was_ever_fetched(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert "price-ticker" not in render_to_string("partials/_ticker.html")


def test_calculator_draws_price_and_difficulty_history(client):
    now = timezone.now()
    snapshot(at=now - timedelta(days=2), btc_price_usd=D(80000))
    snapshot(at=now - timedelta(days=1), btc_price_usd=D(82000))
    snapshot(at=now)
    html = client.get(CALCULATOR).content.decode()
    assert 'id="history-data"' in html and "80000.00" in html and "82000.00" in html


def test_all_sources_down_the_calculator_says_its_values_are_stale(client, market_server):
    from mining.services import market_data_refresh

    market_data_refresh(now=timezone.now() - timedelta(minutes=20))
    for prefix in ("/coingecko", "/mempool", "/bci"):
        market_server.down(prefix)
    report = market_data_refresh()
    assert report.stale and not report.live
    response = client.get(CALCULATOR)
    html = response.content.decode()
    assert "Live sources are not answering" in html
    assert html.count("stale, 20") == 6  # every value, with its age
    assert response.context["market"].price_usd == D("85956.45")  # last known values still calculate


def test_results_name_the_figures_used_and_which_are_the_members_own(client):
    snapshot()
    html = client.get(CALCULATOR, {"price_usd": "50000"}).content.decode()
    assert "BTC $50,000.00 (yours)" in html
    assert "102.29 T ·" in html  # the latest difficulty, not marked as the member's
    response = client.get(CALCULATOR, HTTP_HX_REQUEST="true")
    assert "HX-Request" in response["Vary"]


OWN_MARKET = {"price_usd": "90000", "difficulty": "100000000000000", "fees_btc": "0.02"}


def test_compare_works_before_the_first_refresh_with_the_members_own_values(client):
    page = client.get(COMPARE).content.decode()
    assert 'name="price_usd"' in page and 'name="difficulty"' in page and 'name="fees_btc"' in page
    assert "No BTC price is known yet" in page

    response = client.get(COMPARE, OWN_MARKET)
    assert len(response.context["rows"]) == 27 and "calc-errors" not in response.content.decode()
    export = client.get(COMPARE, {**OWN_MARKET, "format": "csv"})
    assert export.status_code == 200 and len(list(csv.reader(io.StringIO(export.content.decode())))) == 28


def test_compare_uses_an_override_over_the_latest_value(client):
    snapshot()
    latest = client.get(COMPARE).context["rows"][0].result.day.revenue_usd
    doubled = client.get(COMPARE, {"price_usd": str(client.get(COMPARE).context["market"].price_usd * 2)})
    assert doubled.context["rows"][0].result.day.revenue_usd == pytest.approx(latest * 2, rel=D("0.0001"))


def test_result_errors_name_their_field_so_the_page_can_drop_stale_ones(client):
    html = client.get(CALCULATOR, HTTP_HX_REQUEST="true").content.decode()
    assert '<li data-field="price_usd">' in html
    fixed = client.get(CALCULATOR, OWN_MARKET, HTTP_HX_REQUEST="true").content.decode()
    assert "data-field" not in fixed
    page = client.get(CALCULATOR).content.decode()
    assert "mining/calculator.js" in page


@pytest.mark.parametrize("params", [
    {"difficulty": "1", "difficulty_growth_pct": "-50"},
    {"hashrate_ths": "100000", "quantity": "10000", "price_usd": "100000000", "difficulty": "1",
     "fees_btc": "100", "difficulty_growth_pct": "-50", "electricity_usd_kwh": "0"},
    {"hashrate_ths": "0.001", "power_w": "1000000", "quantity": "1000000", "price_usd": "0.01",
     "difficulty": "100000000000000000000", "electricity_usd_kwh": "10", "hardware_cost_usd": "10000000"},
])
def test_the_most_extreme_accepted_inputs_are_computed_not_a_500(client, params):
    snapshot()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(CALCULATOR, {**params}, **headers)
        assert response.status_code == 200
        assert not response.context["form"].errors
        assert response.context["result"] is not None
    compare = client.get(COMPARE, {"electricity_usd_kwh": "0", "pool_fee_pct": "0", "uptime_pct": "100",
                                   "format": "csv"})
    assert compare.status_code == 200
