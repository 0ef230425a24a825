"""Formatting for the mining pages and the price ticker (which reads only the cache)."""

from decimal import Decimal

from django import template

from mining.calculator import rounded
from mining.selectors import ticker_prices

register = template.Library()


def _fixed(value, places: int) -> str:
    if value in (None, ""):
        return "—"
    quantum = Decimal(1).scaleb(-places)
    # Format-spec grouping: intcomma does the same for these pages at several times the cost.
    return f"{rounded(Decimal(value), quantum):,.{places}f}"


@register.filter
def usd(value) -> str:
    return _fixed(value, 2)


@register.filter
def btc(value) -> str:
    return _fixed(value, 8)


@register.filter
def fixed(value, places) -> str:
    return _fixed(value, int(places))


@register.filter
def price(value) -> str:
    """Coin prices: cents for anything above a dollar, more places for the small ones."""
    if value in (None, ""):
        return "—"
    value = Decimal(value)
    return _fixed(value, 2 if abs(value) >= 1 else 6)


@register.filter
def pct(value, places=2) -> str:
    if value in (None, ""):
        return "—"
    text = _fixed(value, int(places))
    return f"+{text}" if Decimal(value) > 0 else text


@register.filter
def hashrate(value) -> str:
    """H/s shown in the largest unit that keeps the number readable."""
    if value in (None, ""):
        return "—"
    value = Decimal(value)
    for unit, scale in (("EH/s", 18), ("PH/s", 15), ("TH/s", 12), ("GH/s", 9)):
        if value >= Decimal(1).scaleb(scale):
            return f"{_fixed(value.scaleb(-scale), 2)} {unit}"
    return f"{_fixed(value, 0)} H/s"


@register.filter
def tera(value) -> str:
    """Difficulty in T (10¹²), the way explorers show it."""
    if value in (None, ""):
        return "—"
    return f"{_fixed(Decimal(value).scaleb(-12), 2)} T"


@register.simple_tag
def price_ticker():
    return ticker_prices()


@register.filter
def clock(seconds) -> str:
    """A duration in seconds as H:MM:SS, the way the countdown on the mining card shows it."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
