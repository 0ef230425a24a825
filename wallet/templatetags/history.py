from django import template

from wallet.descriptions import history_description

register = template.Library()


@register.filter
def describe(txn) -> str:
    """A history line's description in the reader's language (see wallet.descriptions)."""
    return history_description(txn)
