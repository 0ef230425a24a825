"""Member pages for moving USDT in and out: /wallet/deposit/ and /wallet/withdraw/."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .deposits import deposit_page


@login_required
def deposit(request):
    page = deposit_page(user=request.user)
    template = "wallet/partials/deposit_recent.html" if request.htmx else "wallet/deposit.html"
    return render(request, template, {"page": page})
