from decimal import Decimal

from wallet.models import AccountCode
from wallet.services import balance_adjust, member_account


def fund(user, amount, code: str = AccountCode.MAIN):
    """Give a member money through the ledger (a staff adjustment), return the account."""
    balance_adjust(user_id=user.pk, amount=Decimal(str(amount)), reason="test funding",
                   created_by_id=None, code=code)
    return member_account(user_id=user.pk, code=code)


def policy_set(**values):
    """Put a new custody policy version in force: the current values with `values` changed."""
    from wallet.models import CustodyPolicy
    from wallet.policy import POLICY_FIELDS, custody_policy_current

    current = custody_policy_current()
    return CustodyPolicy.objects.create(**{**{name: getattr(current, name) for name in POLICY_FIELDS}, **values})
