"""Member pages for moving USDT in and out: /wallet/deposit/ and /wallet/withdraw/."""

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from phonix.auth import MemberRequest
from phonix.exceptions import InsufficientFunds, PhonixError
from phonix.forms import AmountField
from phonix.ratelimit import rate_limit_check
from phonix.templatetags.money import usdt

from ..ledger.history import member_balance
from ..models import AccountCode
from .deposits import deposit_page
from .withdrawals import withdraw_page, withdrawal_request


@login_required
def deposit(request: MemberRequest) -> HttpResponse:
    if not settings.TRON_XPUB:
        # Without the account xpub no address can be derived; say so instead of failing.
        return render(request, "wallet/deposit.html", {"page": None})
    page = deposit_page(user=request.user)
    template = "wallet/partials/deposit_recent.html" if request.htmx else "wallet/deposit.html"
    return render(request, template, {"page": page})


class WithdrawForm(forms.Form):
    """The withdrawal request. `token` makes a double submit or a retry open one withdrawal."""

    amount = AmountField(label=_("Amount (USDT)"))
    password = forms.CharField(label=_("Password"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    otp_token = forms.CharField(label=_("Authentication code"), required=False, max_length=16,
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, two_factor: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not two_factor:
            del self.fields["otp_token"]
        else:
            self.fields["otp_token"].required = True


@login_required
def withdraw(request: MemberRequest) -> HttpResponse:
    from accounts.selectors import two_factor_enabled

    two_factor = two_factor_enabled(user=request.user)
    if request.method == "POST":
        rate_limit_check(request, group="withdrawal", key="user")
        rate_limit_check(request, group="password_check", key="user")
        form = WithdrawForm(request.POST, two_factor=two_factor)
    else:
        form = WithdrawForm(initial={"token": uuid.uuid4()}, two_factor=two_factor)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal = withdrawal_request(
                user=request.user, amount=form.cleaned_data["amount"], password=form.cleaned_data["password"],
                otp_token=form.cleaned_data.get("otp_token", ""), token=str(form.cleaned_data["token"]),
            )
        except InsufficientFunds:
            available = member_balance(user=request.user, code=AccountCode.MAIN)
            form.add_error("amount", _("This is more than your main balance of %(available)s USDT.")
                           % {"available": usdt(available)})
        except PhonixError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your withdrawal of %(amount)s USDT is waiting for approval.")
                             % {"amount": f"{withdrawal.amount:.2f}"})
            return redirect("wallet:withdraw")
    page = withdraw_page(user=request.user)
    return render(request, "wallet/withdraw.html", {"page": page, "form": form, "two_factor": two_factor})
