from decimal import ROUND_DOWN, Decimal

from django import template

register = template.Library()


@register.filter
def usdt(value) -> str:
    """Show an amount with 2 places (pages show 2; the ledger keeps 6), never rounding up."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{amount:,.2f}"  # grouped by commas in every language, as intcomma groups a string


@register.filter
def usdt6(value) -> str:
    if value in (None, ""):
        return "—"
    return f"{Decimal(value):.6f}"
