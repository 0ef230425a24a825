from decimal import Decimal

from wallet.ledger.accounts import member_account
from wallet.ledger.adjustments import balance_adjust
from wallet.models import AccountCode


def fund(user, amount, code: str = AccountCode.MAIN):
    """Give a member money through the ledger (a staff adjustment), return the account."""
    balance_adjust(user_id=user.pk, amount=Decimal(str(amount)), reason="test funding",
                   created_by_id=None, code=code)
    return member_account(user_id=user.pk, code=code)


def policy_set(**values):
    """Put a new custody policy version in force: the current values with `values` changed."""
    from wallet.custody.policy import POLICY_FIELDS, custody_policy_current
    from wallet.models import CustodyPolicy

    current = custody_policy_current()
    return CustodyPolicy.objects.create(**{**{name: getattr(current, name) for name in POLICY_FIELDS}, **values})


def withdrawing_member(balance, **fields):
    """A member with `balance` USDT in main and a withdrawal address past its cooldown."""
    from datetime import timedelta

    from django.utils import timezone
    from tronpy.keys import PrivateKey

    from accounts.tests.factories import UserFactory

    user = UserFactory(**fields)
    user.trc20_wallet_address = PrivateKey.random().public_key.to_base58check_address()
    user.withdrawal_address_changed_at = timezone.now() - timedelta(days=2)
    user.save()
    fund(user, balance)
    return user
