from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Transaction


class HistoryFilterForm(forms.Form):
    """Filters of the transaction history; an unreadable value is simply not applied."""

    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *Transaction.Type.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Transaction.Status.choices]
    )
    since = forms.DateField(label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict:
        """The valid filters only, so a bad date or type never blanks the whole page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.fields if name not in self.errors}
