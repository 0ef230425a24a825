import datetime as dt
from typing import TypedDict

from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.params import QueryForm

from .models import Transaction


class HistoryFilters(TypedDict):
    type: str | None
    status: str | None
    since: dt.date | None
    until: dt.date | None


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

    def filters(self) -> HistoryFilters:
        """The chosen filters, for transaction_history (the form is valid: see query_form)."""
        data = self.cleaned_data
        return {"type": data.get("type") or None, "status": data.get("status") or None,
                "since": data.get("since") or None, "until": data.get("until") or None}
