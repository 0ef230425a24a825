"""The platform's own TRON addresses, to which no withdrawal may go.

USDT sent to the hot wallet, the gas wallet or a deposit address stays with Phonix (or comes
back as somebody's deposit, minus the fee); sent to the token contract or the zero address it
is lost.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

ZERO_ADDRESS = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"  # base58check of 0x41 followed by 20 zero bytes


def platform_address_refusal(*, address: str) -> str:
    """Why a withdrawal may not go to `address`, or "" when it may."""
    from ..models import DepositAddress

    named = {
        settings.TRON_HOT_WALLET_ADDRESS: _("the platform's hot wallet"),
        settings.TRON_GAS_WALLET_ADDRESS: _("the platform's gas wallet"),
        settings.USDT_CONTRACT: _("the USDT token contract"),
        ZERO_ADDRESS: _("the zero address"),
    }
    what = named.get(address) if address else None
    if what is None and DepositAddress.objects.filter(address=address).exists():
        what = _("a Phonix deposit address")
    if what is None:
        return ""
    return _("Withdrawals cannot go to %(what)s: the USDT would not reach you. Save an address of your own "
             "wallet in your profile.") % {"what": what}
