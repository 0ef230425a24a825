from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from phonix.auth import MemberRequest
from phonix.page_cache import member_page
from phonix.params import query_form, query_params

from .forms import EarningsFilterForm
from .selectors import earnings_history, earnings_overview, generation_commissions

PAGE_SIZE = 25


@login_required
@member_page
def overview(request: MemberRequest) -> HttpResponse:
    form = query_form(request, EarningsFilterForm)
    kind = form.cleaned_data["type"] or None
    overview = earnings_overview(user=request.user)
    paginator = Paginator(earnings_history(user=request.user, type=kind), PAGE_SIZE)
    paginator.count = overview.history_length(kind)  # counted with the totals, so not again
    page = paginator.get_page(form.cleaned_data["page"])
    if request.htmx:
        return render(request, "earnings/partials/_history.html", {"page": page})
    return render(request, "earnings/overview.html", {
        "summary": overview.summary, "chart": overview.chart, "page": page, "filter_form": form,
    })


@login_required
def generation(request: MemberRequest) -> HttpResponse:
    number = query_params(request)["page"]
    page = Paginator(generation_commissions(user=request.user), PAGE_SIZE).get_page(number)
    template = "earnings/partials/_generation.html" if request.htmx else "earnings/generation.html"
    return render(request, template, {"page": page})
