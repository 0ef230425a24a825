from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .forms import HistoryFilterForm
from .selectors import member_balances, transaction_history

PAGE_SIZE = 25


@login_required
def overview(request):
    return _history_page(request, "wallet/overview.html")


@login_required
def transactions(request):
    return _history_page(request, "wallet/transactions.html")


def _history_page(request, template: str):
    form = HistoryFilterForm(request.GET or None)
    type_filter = form.cleaned_data.get("type") if form.is_valid() else ""
    history = transaction_history(user=request.user, type=type_filter or None)
    page = Paginator(history, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"balances": member_balances(user=request.user), "page": page, "filter_form": form}
    if request.htmx:
        template = "wallet/partials/_history.html"
    return render(request, template, context)
