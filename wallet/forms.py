from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.params import QueryForm

from .models import Transaction


class HistoryFilterForm(QueryForm):
    """Filters of the transaction history (and the page and export format); a value that is not
    one of them answers 400 with the reason (phonix.params)."""

    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *Transaction.Type.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Transaction.Status.choices]
    )
    since = forms.DateField(label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    format = forms.ChoiceField(label=_("Format"), required=False, choices=[("", _("Page")), ("csv", "CSV")])

    FILTERS = ("type", "status", "since", "until")

    def filters(self) -> dict:
        """The chosen filters, for transaction_history (the form is valid: see query_form)."""
        return {name: self.cleaned_data.get(name) or None for name in self.FILTERS}
