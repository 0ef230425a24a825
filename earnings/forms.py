from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.params import QueryForm
from wallet.models import Transaction

from .selectors import EARNING_TYPES


class EarningsFilterForm(QueryForm):
    type = forms.ChoiceField(
        label=_("Type"), required=False,
        choices=[("", _("All earnings")), *[(kind, Transaction.Type(kind).label) for kind in EARNING_TYPES]],
    )
