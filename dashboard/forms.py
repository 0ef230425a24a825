from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.forms import PlainIntegerField


class EmailPreferencesForm(forms.Form):
    deposits = forms.BooleanField(label=_("A deposit was credited"), required=False)
    withdrawals = forms.BooleanField(label=_("A withdrawal was approved, rejected, sent or failed"), required=False)
    mining_reminder = forms.BooleanField(label=_("My mining session has ended and a new one can start"),
                                         required=False)


class NotificationReadForm(forms.Form):
    notification = PlainIntegerField(min_value=1, max_value=2**63 - 1)
