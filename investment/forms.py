from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.exceptions import InvalidAmount
from phonix.money import parse_amount


class PurchaseForm(forms.Form):
    """The purchase form. `token` makes a double submit or a retry buy once; `plan_version` is the
    plan the member was shown, so a change before confirming is refused rather than applied."""

    amount = forms.CharField(label=_("Amount (USDT)"), max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    use_bonus = forms.BooleanField(label=_("Use my registration bonus"), required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)
    plan_version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_amount(self):
        try:
            return parse_amount(self.cleaned_data["amount"])
        except InvalidAmount as error:
            raise forms.ValidationError(str(error)) from None
