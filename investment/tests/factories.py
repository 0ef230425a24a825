"""Purchases through the one purchase service, for tests of every app."""

import uuid
from decimal import Decimal

from investment.services import subscription_purchase
from wallet.tests.factories import fund


def buy(user, amount, *, use_bonus: bool = False, funded: bool = True, token: str | None = None):
    """Fund the member's main balance with what the purchase needs (unless told not to) and buy."""
    amount = Decimal(str(amount))
    if funded:
        fund(user, amount)
    return subscription_purchase(user=user, amount=amount, use_bonus=use_bonus, token=token or str(uuid.uuid4()))
