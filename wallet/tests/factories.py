from decimal import Decimal

from wallet.models import AccountCode
from wallet.services import balance_adjust, member_account


def fund(user, amount, code: str = AccountCode.MAIN):
    """Give a member money through the ledger (a staff adjustment), return the account."""
    balance_adjust(user_id=user.pk, amount=Decimal(str(amount)), reason="test funding",
                   created_by_id=None, code=code)
    return member_account(user_id=user.pk, code=code)
