"""Shared money helpers: USDT has 6 decimal places; payouts by a rate round down."""

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from phonix.exceptions import InvalidAmount

PLACES = 6
QUANTUM = Decimal(1).scaleb(-PLACES)  # 0.000001
ZERO = Decimal("0.000000")
# What a person types for an amount: ASCII digits and at most one decimal point. Python's Decimal
# also reads "1e3", "1_0" and digits of other scripts ("１００", "١٠٠"); none of those is an amount.
AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.(?P<frac>[0-9]*))?|\.(?P<frac_only>[0-9]+))")
# What services take for an amount and hand to parse_amount (which also refuses anything else).
AmountInput = Decimal | str | int


def parse_amount(value: AmountInput, *, allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """Turn user or caller input into an exact 6-place Decimal, or raise InvalidAmount.

    Text must be plain ASCII digits with at most one decimal point (amount_text_parse). Refuses
    floats (they are not exact), NaN, infinities, more than 6 decimal places and anything above
    LEDGER_MAX_AMOUNT.
    """
    if type(value) is Decimal:  # nearly every call (a payout batch makes 200,000): tested first
        amount = value
    elif isinstance(value, float | bool):
        raise InvalidAmount(_("Amounts must be given as text or Decimal, not as a float."))
    elif isinstance(value, str):
        amount = amount_text_parse(value)
    else:
        try:
            amount = value if isinstance(value, Decimal) else Decimal(int(value))
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidAmount(_("“%(value)s” is not a number.") % {"value": str(value)[:40]}) from None
    if not amount.is_finite():
        raise InvalidAmount(_("The amount must be a finite number."))
    if abs(amount) > settings.LEDGER_MAX_AMOUNT:
        raise InvalidAmount(_("The amount is too large."))
    exact = amount.quantize(QUANTUM, rounding=ROUND_DOWN)  # rounds nothing when the amount is exact
    if amount != exact:
        raise InvalidAmount(_("Amounts have at most 6 decimal places."))
    if amount == 0 and not allow_zero:
        raise InvalidAmount(_("The amount must not be zero."))
    if amount < 0 and not allow_negative:
        raise InvalidAmount(_("The amount must be positive."))
    return exact


def amount_text_parse(text: str, *, places: int = PLACES) -> Decimal:
    """Read typed text as a Decimal: ASCII digits, one optional decimal point, at most `places`."""
    text = text.strip()
    match = AMOUNT_TEXT.fullmatch(text) if len(text) <= 60 else None
    if match is None:
        shown = text[:40].replace("\x00", "")
        raise InvalidAmount(
            _("“%(value)s” is not a number: write it with the digits 0-9 and at most one decimal point.")
            % {"value": shown}
        )
    if len(match.group("frac") or match.group("frac_only") or "") > places:
        raise InvalidAmount(_("Amounts have at most %(places)d decimal places.") % {"places": places})
    return Decimal(text)


def round_down(value: Decimal) -> Decimal:
    """Round a computed payout down to 6 places: the platform never pays what it does not owe."""
    return value.quantize(QUANTUM, rounding=ROUND_DOWN)


def money_field_kwargs() -> dict:
    return {"max_digits": 20, "decimal_places": PLACES}
