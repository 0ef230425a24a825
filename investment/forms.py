from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.forms import AmountField, PlainIntegerField


class PurchaseForm(forms.Form):
    """The purchase form. `token` makes a double submit or a retry buy once; `plan_version` is the
    plan the member was shown, so a change before confirming is refused rather than applied."""

    amount = AmountField(label=_("Amount (USDT)"))
    use_bonus = forms.BooleanField(label=_("Use my registration bonus"), required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)
    plan_version = PlainIntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
