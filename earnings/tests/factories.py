"""Members and subscriptions in the state a payout test needs."""

from decimal import Decimal

from accounts.models import User
from accounts.tests.factories import UserFactory
from investment.tests.factories import buy


def member(*, sponsor=None, invested=None, earned=None, extra_directs: int = 0) -> User:
    """A member under `sponsor`, optionally invested (one purchase) and with extra direct referrals.

    `earned` sets total_earnings as if earlier payouts had been made (the cap tests start there).
    """
    user = UserFactory.create(sponsor=sponsor)
    for _ in range(extra_directs):
        UserFactory(sponsor=user)
    if invested is not None:
        buy(user, invested)
    if earned is not None:
        User.objects.filter(pk=user.pk).update(total_earnings=Decimal(str(earned)))
    user.refresh_from_db()
    return user
