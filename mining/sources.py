"""Outside market data: one function per endpoint, each fetching and validating one response.

Every base URL is a setting. A response that is late, not 2xx, not the documented shape, or holds
implausible numbers raises SourceError so that the caller moves on to the next source; nothing
here ever returns a half-parsed value.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import httpx
from django.conf import settings


class SourceError(Exception):
    """A source was unreachable or answered something we cannot trust."""


# Bounds well outside anything real; a value beyond them is garbage, not news.
MAX_PRICE_USD = Decimal("100000000")
MAX_DIFFICULTY = Decimal("1e20")
MAX_HASHRATE_HS = Decimal("1e26")
MAX_FEES_BTC = Decimal("1000")
MAX_HEIGHT = 100_000_000


def http_client(**kwargs) -> httpx.Client:
    timeout = httpx.Timeout(settings.MARKET_HTTP_TIMEOUT_S)
    headers = {"Accept": "application/json, text/plain", "User-Agent": "Phonix market data"}
    return httpx.Client(timeout=timeout, headers=headers, follow_redirects=False, **kwargs)


def _get(client: httpx.Client, base: str, path: str, params: dict | None = None) -> str:
    url = base.rstrip("/") + path
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise SourceError(f"{url}: {type(error).__name__}") from error
    if response.status_code != 200:
        raise SourceError(f"{url}: HTTP {response.status_code}")
    return response.text


def _json(text: str):
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, InvalidOperation) as error:
        raise SourceError("response is not JSON") from error


def _number(value, *, what: str, low: Decimal = Decimal(0), high: Decimal, allow_equal_low: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise SourceError(f"{what}: not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise SourceError(f"{what}: not a number") from error
    if not number.is_finite() or number > high or number < low or (number == low and not allow_equal_low):
        raise SourceError(f"{what}: {number} is out of range")
    return number


@dataclass(frozen=True)
class CoinPrice:
    coin_id: str
    usd: Decimal
    change_24h_pct: Decimal | None
    last_updated_at: int | None


def coingecko_prices(client: httpx.Client, *, coin_ids: list[str]) -> dict[str, CoinPrice]:
    """GET /api/v3/simple/price for several coins; coins missing from the answer are left out."""
    text = _get(client, settings.COINGECKO_URL, "/api/v3/simple/price", params={
        "ids": ",".join(coin_ids), "vs_currencies": "usd",
        "include_24hr_change": "true", "include_last_updated_at": "true",
    })
    data = _json(text)
    if not isinstance(data, dict):
        raise SourceError("coingecko: expected an object")
    prices: dict[str, CoinPrice] = {}
    for coin_id in coin_ids:
        row = data.get(coin_id)
        if not isinstance(row, dict) or "usd" not in row:
            continue
        try:
            usd = _number(row["usd"], what=f"{coin_id} price", high=MAX_PRICE_USD)
        except SourceError:
            continue
        try:
            change = _number(row.get("usd_24h_change"), what="24h change", low=Decimal(-100),
                             high=Decimal(100000), allow_equal_low=True)
        except SourceError:
            change = None  # the price itself is still good
        updated = row.get("last_updated_at")
        prices[coin_id] = CoinPrice(coin_id, usd, change, int(updated) if isinstance(updated, Decimal) else None)
    if not prices:
        raise SourceError("coingecko: no usable price in the answer")
    return prices


@dataclass(frozen=True)
class NetworkHashrate:
    hashrate_hs: Decimal
    difficulty: Decimal


def mempool_hashrate(client: httpx.Client) -> NetworkHashrate:
    """GET /api/v1/mining/hashrate/3d → currentHashrate (H/s) and currentDifficulty."""
    data = _json(_get(client, settings.MEMPOOL_URL, "/api/v1/mining/hashrate/3d"))
    if not isinstance(data, dict):
        raise SourceError("mempool hashrate: expected an object")
    hashrate = data.get("currentHashrate")
    difficulty = data.get("currentDifficulty")
    # Older answers carry only the series; take their latest points.
    if hashrate is None and isinstance(data.get("hashrates"), list) and data["hashrates"]:
        hashrate = _latest(data["hashrates"]).get("avgHashrate")
    if difficulty is None and isinstance(data.get("difficulty"), list) and data["difficulty"]:
        difficulty = _latest(data["difficulty"]).get("difficulty")
    return NetworkHashrate(
        hashrate_hs=_number(hashrate, what="mempool hashrate", high=MAX_HASHRATE_HS).to_integral_value(),
        difficulty=_number(difficulty, what="mempool difficulty", high=MAX_DIFFICULTY),
    )


def _latest(rows: list) -> dict:
    def when(row) -> Decimal:
        if not isinstance(row, dict):
            raise SourceError("mempool hashrate: series rows must be objects")
        stamp = row.get("timestamp", row.get("time"))
        return stamp if isinstance(stamp, Decimal) else Decimal(-1)

    return max(rows, key=when)


@dataclass(frozen=True)
class DifficultyAdjustment:
    change_pct: Decimal
    remaining_blocks: int | None


def mempool_difficulty_adjustment(client: httpx.Client) -> DifficultyAdjustment:
    """GET /api/v1/difficulty-adjustment → the estimated change (%) at the next retarget."""
    data = _json(_get(client, settings.MEMPOOL_URL, "/api/v1/difficulty-adjustment"))
    if not isinstance(data, dict):
        raise SourceError("mempool difficulty adjustment: expected an object")
    change = _number(data.get("difficultyChange"), what="difficulty change", low=Decimal(-100),
                     high=Decimal(1000), allow_equal_low=True)
    remaining = data.get("remainingBlocks")
    return DifficultyAdjustment(
        change_pct=change.quantize(Decimal("0.000001")),
        remaining_blocks=int(remaining) if isinstance(remaining, Decimal) and remaining >= 0 else None,
    )


def mempool_fees(client: httpx.Client) -> Decimal:
    """GET /api/v1/mining/blocks/fees/24h → mean of avgFees (sats per block), in BTC."""
    data = _json(_get(client, settings.MEMPOOL_URL, "/api/v1/mining/blocks/fees/24h"))
    if not isinstance(data, list) or not data:
        raise SourceError("mempool fees: expected a non-empty list")
    sats = [
        _number(row.get("avgFees") if isinstance(row, dict) else None, what="avgFees",
                high=MAX_FEES_BTC * 100_000_000, allow_equal_low=True)
        for row in data
    ]
    mean_sats = sum(sats, Decimal(0)) / len(sats)
    return (mean_sats / 100_000_000).quantize(Decimal("0.00000001"))


def mempool_height(client: httpx.Client) -> int:
    """GET /api/blocks/tip/height (plain text)."""
    return _height(_get(client, settings.MEMPOOL_URL, "/api/blocks/tip/height"), what="mempool height")


def blockchain_info_difficulty(client: httpx.Client) -> Decimal:
    """GET /q/getdifficulty (plain text)."""
    text = _get(client, settings.BLOCKCHAIN_INFO_URL, "/q/getdifficulty")
    return _number(text, what="blockchain.info difficulty", high=MAX_DIFFICULTY)


def blockchain_info_hashrate(client: httpx.Client) -> Decimal:
    """GET /q/hashrate (plain text, GH/s) → H/s."""
    text = _get(client, settings.BLOCKCHAIN_INFO_URL, "/q/hashrate")
    ghs = _number(text, what="blockchain.info hashrate", high=MAX_HASHRATE_HS / 10**9)
    return (ghs * 10**9).to_integral_value()


def blockchain_info_height(client: httpx.Client) -> int:
    """GET /q/getblockcount (plain text)."""
    return _height(_get(client, settings.BLOCKCHAIN_INFO_URL, "/q/getblockcount"),
                   what="blockchain.info height")


def _height(text: str, *, what: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise SourceError(f"{what}: not a whole number")
    height = int(value)
    if not 0 < height < MAX_HEIGHT:
        raise SourceError(f"{what}: {height} is out of range")
    return height
