"""Shared money helpers: USDT has 6 decimal places; payouts by a rate round down."""

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from phonix.exceptions import InvalidAmount

PLACES = 6
QUANTUM = Decimal(1).scaleb(-PLACES)  # 0.000001
ZERO = Decimal("0.000000")


def parse_amount(value, *, allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """Turn user or caller input into an exact 6-place Decimal, or raise InvalidAmount.

    Refuses floats (they are not exact), NaN, infinities, more than 6 decimal places and
    anything above LEDGER_MAX_AMOUNT.
    """
    if isinstance(value, float | bool):
        raise InvalidAmount(_("Amounts must be given as text or Decimal, not as a float."))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAmount(_("“%(value)s” is not a number.") % {"value": str(value)[:40]}) from None
    if not amount.is_finite():
        raise InvalidAmount(_("The amount must be a finite number."))
    if abs(amount) > settings.LEDGER_MAX_AMOUNT:
        raise InvalidAmount(_("The amount is too large."))
    if amount != amount.quantize(QUANTUM, rounding=ROUND_DOWN):
        raise InvalidAmount(_("Amounts have at most 6 decimal places."))
    if amount == 0 and not allow_zero:
        raise InvalidAmount(_("The amount must not be zero."))
    if amount < 0 and not allow_negative:
        raise InvalidAmount(_("The amount must be positive."))
    return amount.quantize(QUANTUM)


def round_down(value: Decimal) -> Decimal:
    """Round a computed payout down to 6 places: the platform never pays what it does not owe."""
    return value.quantize(QUANTUM, rounding=ROUND_DOWN)


def money_field_kwargs() -> dict:
    return {"max_digits": 20, "decimal_places": PLACES}
