from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Transaction


class HistoryFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *Transaction.Type.choices]
    )
