import csv
from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from phonix.auth import MemberRequest
from phonix.page_cache import member_page
from phonix.params import query_form

from .forms import HistoryFilterForm
from .ledger.descriptions import history_description
from .ledger.history import member_balances, transaction_history
from .models import Transaction

PAGE_SIZE = 25
CSV_MAX_ROWS = 50_000  # a member's whole history, in practice; bounded so one request stays small


@login_required
@member_page
def overview(request: MemberRequest) -> HttpResponse:
    return _history_page(request, "wallet/overview.html")


@login_required
@member_page
def transactions(request: MemberRequest) -> HttpResponse:
    """The history with filters; `?format=csv` exports the same filtered rows."""
    return _history_page(request, "wallet/transactions.html")


def _history_page(request: MemberRequest, template: str) -> HttpResponse:
    form = query_form(request, HistoryFilterForm)
    history = transaction_history(user=request.user, **form.filters())
    if form.cleaned_data["format"] == "csv":
        return _history_csv(history[:CSV_MAX_ROWS])
    page = Paginator(history, PAGE_SIZE).get_page(form.cleaned_data["page"])
    context = {"balances": member_balances(user=request.user), "page": page, "filter_form": form}
    if request.htmx:
        template = "wallet/partials/_history.html"
    return render(request, template, context)


def _history_csv(rows: Iterable[Transaction]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="phonix-transactions.csv"'
    writer = csv.writer(response)
    writer.writerow(["date_utc", "type", "amount_usdt", "fee_usdt", "status", "txid", "address", "description"])
    for txn in rows:
        writer.writerow([
            txn.created_at.strftime("%Y-%m-%d %H:%M:%S"), txn.type, f"{txn.signed_amount:.6f}", f"{txn.fee:.6f}",
            txn.status, txn.txn_hash, txn.wallet_address, _cell(history_description(txn)),
        ])
    return response


def _cell(text: str) -> str:
    # Staff-typed reasons must not turn into spreadsheet formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
