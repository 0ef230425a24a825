from decimal import ROUND_DOWN, Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def usdt(value) -> str:
    """Show an amount with 2 places (pages show 2; the ledger keeps 6), never rounding up."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return intcomma(f"{amount:.2f}")


@register.filter
def usdt6(value) -> str:
    if value in (None, ""):
        return "—"
    return f"{Decimal(value):.6f}"
