from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.exceptions import PhonixError
from phonix.forms import AmountField
from phonix.params import QueryForm
from ranks.models import RankCode
from wallet.models import Transaction

from .distributions import RecipientFilter, usernames_parse
from .models import Distribution
from .selectors import EARNING_TYPES


class EarningsFilterForm(QueryForm):
    type = forms.ChoiceField(
        label=_("Type"), required=False,
        choices=[("", _("All earnings")), *[(kind, Transaction.Type(kind).label) for kind in EARNING_TYPES]],
    )


class DistributionForm(forms.Form):
    """A staff distribution: who receives it (every condition given must hold), how much, where, why."""

    amount = AmountField(label=_("Amount each (USDT)"))
    account = forms.ChoiceField(
        label=_("Account"), choices=Distribution.Account.choices,
        help_text=_("Main is withdrawable and counts toward each member's 3× cap (the part above it is not "
                    "paid); bonus is spendable only on subscriptions."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Members see it in their history."))
    rank = forms.ChoiceField(label=_("Rank"), required=False, choices=[("", _("Any rank")), *RankCode.choices])
    active_investors = forms.BooleanField(label=_("Active investors only"), required=False)
    joined_from = forms.DateField(label=_("Joined on or after (UTC)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    joined_to = forms.DateField(label=_("Joined on or before (UTC)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    usernames = forms.CharField(
        label=_("Usernames"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line, or separated by commas or spaces. Empty: everyone the filters above choose."),
    )
    # Set by the preview: the key of this distribution, so that confirming twice pays once.
    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=80)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if self.errors:
            return data
        try:
            data["recipients"] = RecipientFilter(
                rank=data.get("rank") or "", active_investors=bool(data.get("active_investors")),
                joined_from=data.get("joined_from"), joined_to=data.get("joined_to"),
                usernames=usernames_parse(data.get("usernames") or ""),
            )
        except PhonixError as error:
            raise forms.ValidationError(str(error)) from None
        return data


class EarningsQueryForm(EarningsFilterForm):
    """The API's earnings history filters: the page's type, and a range of UTC days."""

    since = forms.DateField(label=_("From (UTC)"), required=False)
    until = forms.DateField(label=_("Until (UTC)"), required=False)
