"""Each outside source, parsed from its recorded response served over real HTTP."""

from decimal import Decimal as D

import pytest

from mining import sources
from mining.sources import SourceError

from .conftest import fixture_text


@pytest.fixture
def client(market_server):
    with sources.http_client() as http:
        yield http


def test_coingecko_prices_for_bitcoin_and_the_ticker(client, market_server):
    prices = sources.coingecko_prices(client, coin_ids=["bitcoin", "ethereum", "ripple", "not-a-coin"])
    assert prices["bitcoin"].usd == D("85956.45")
    assert prices["bitcoin"].change_24h_pct == D("0.8012345678")
    assert prices["bitcoin"].last_updated_at == 1791192973
    assert prices["ethereum"].change_24h_pct == D("-1.2345")
    assert prices["ripple"].usd == D("0.5234")
    assert "not-a-coin" not in prices
    assert market_server.hits("/coingecko") == 1


def test_mempool_hashrate_gives_current_hashrate_and_difficulty(client):
    answer = sources.mempool_hashrate(client)
    assert answer.hashrate_hs == D("791872349810000000000")
    assert answer.difficulty == D("102289354981091.8")


def test_mempool_hashrate_without_current_values_takes_the_latest_points(client, market_server):
    market_server.set("/mempool/api/v1/mining/hashrate/3d", fixture_text("mempool_hashrate_3d_series_only.json"))
    answer = sources.mempool_hashrate(client)
    assert answer.hashrate_hs == D("791872349810000000000")  # newest timestamp, not the last row
    assert answer.difficulty == D("102289354981091.8")  # the "time" key counts as the timestamp


def test_mempool_difficulty_adjustment(client):
    answer = sources.mempool_difficulty_adjustment(client)
    assert answer.change_pct == D("1.523410")
    assert answer.remaining_blocks == 1121


def test_mempool_fees_average_per_block_in_btc(client):
    # (2,350,000 + 2,650,000 + 3,000,000) / 3 = 2,666,666.67 sats.
    assert sources.mempool_fees(client) == D("0.02666667")


def test_mempool_tip_height(client):
    assert sources.mempool_height(client) == 873823


def test_blockchain_info_plain_text_answers(client):
    assert sources.blockchain_info_difficulty(client) == D("102289354981091.8")  # sent as 1.02…E14
    assert sources.blockchain_info_hashrate(client) == D("755123456789123000000")  # GH/s → H/s
    assert sources.blockchain_info_height(client) == 873822


@pytest.mark.parametrize("body", [
    "<html>Too many requests</html>", "", "null", "[]", '{"currentHashrate": "NaN", "currentDifficulty": 1}',
    '{"currentHashrate": -5, "currentDifficulty": 100}', '{"currentHashrate": 1e30, "currentDifficulty": 100}',
    '{"currentHashrate": true, "currentDifficulty": 100}', '{"hashrates": [1, 2], "difficulty": []}',
])
def test_garbage_from_mempool_hashrate_is_refused(client, market_server, body):
    market_server.set("/mempool/api/v1/mining/hashrate/3d", body)
    with pytest.raises(SourceError):
        sources.mempool_hashrate(client)


@pytest.mark.parametrize(("path", "fetch", "body"), [
    ("/mempool/api/v1/mining/blocks/fees/24h", sources.mempool_fees, "[]"),
    ("/mempool/api/v1/mining/blocks/fees/24h", sources.mempool_fees, '[{"avgFees": "lots"}]'),
    ("/mempool/api/blocks/tip/height", sources.mempool_height, "-1"),
    ("/mempool/api/blocks/tip/height", sources.mempool_height, "873823.5"),
    ("/bci/q/getdifficulty", sources.blockchain_info_difficulty, "Infinity"),
    ("/bci/q/getdifficulty", sources.blockchain_info_difficulty, "0"),
    ("/bci/q/hashrate", sources.blockchain_info_hashrate, "abc"),
    ("/bci/q/getblockcount", sources.blockchain_info_height, "<html></html>"),
    ("/mempool/api/v1/difficulty-adjustment", sources.mempool_difficulty_adjustment, '{"difficultyChange": null}'),
])
def test_garbage_is_refused(client, market_server, path, fetch, body):
    market_server.set(path, body)
    with pytest.raises(SourceError):
        fetch(client)


def test_coingecko_without_any_usable_price_is_refused(client, market_server):
    market_server.set("/coingecko/api/v3/simple/price", '{"bitcoin": {"usd": -3}, "ethereum": {}}')
    with pytest.raises(SourceError):
        sources.coingecko_prices(client, coin_ids=["bitcoin", "ethereum"])


def test_error_status_is_refused(client, market_server):
    market_server.down("/mempool", status=429)
    with pytest.raises(SourceError, match="HTTP 429"):
        sources.mempool_height(client)


def test_a_source_that_does_not_answer_in_time_is_refused(market_server, settings):
    settings.MARKET_HTTP_TIMEOUT_S = 0.5
    market_server.slow("/bci/q/getblockcount", delay_s=3)
    with sources.http_client() as client, pytest.raises(SourceError, match="Timeout"):
        sources.blockchain_info_height(client)


def test_an_unreachable_source_is_refused(settings):
    settings.MEMPOOL_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with sources.http_client() as client, pytest.raises(SourceError):
        sources.mempool_height(client)
