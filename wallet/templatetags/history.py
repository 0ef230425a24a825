from django import template

from wallet.ledger.descriptions import history_description
from wallet.models import Transaction

register = template.Library()


@register.filter
def describe(txn: Transaction) -> str:
    """A history line's description in the reader's language (see wallet.ledger.descriptions)."""
    return history_description(txn)
