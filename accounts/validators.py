"""Validation of TRON (TRC20) addresses: base58check, mainnet version byte 0x41, 21 bytes."""

import re

import base58
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TRON_ADDRESS_VERSION = 0x41
TRON_ADDRESS_LENGTH = 34


def tron_address_is_valid(value: str) -> bool:
    """True for a TRON address in base58check form (T…, 34 characters, good checksum)."""
    if not isinstance(value, str) or len(value) != TRON_ADDRESS_LENGTH or not value.startswith("T"):
        return False
    try:
        raw = base58.b58decode_check(value)
    except ValueError:
        return False
    return len(raw) == 21 and raw[0] == TRON_ADDRESS_VERSION


def validate_tron_address(value: str) -> None:
    """Form/model validator: refuses hex form, other chains, typos (bad checksum)."""
    value = (value or "").strip()
    if re.fullmatch(r"(0x)?41[0-9a-fA-F]{40}", value):
        raise ValidationError(
            _("Enter the address in its usual form starting with T, not the hex form."), code="hex"
        )
    if not value.startswith("T"):
        raise ValidationError(
            _("This is not a TRON address. Only USDT on TRON (TRC20) addresses starting with T work."),
            code="chain",
        )
    if not tron_address_is_valid(value):
        raise ValidationError(
            _("This TRON address is not valid: check it for a typo (the checksum does not match)."),
            code="checksum",
        )
