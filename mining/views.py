import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from phonix.exceptions import PhonixError
from phonix.params import query_params

from .calculator import profitability, projection, rounded
from .forms import CalculatorForm, CompareForm, CompareQueryForm
from .selectors import (
    calculator_compare,
    history_chart_data,
    market_history_cached,
    market_latest,
    mining_sessions_recent,
    mining_status,
    projection_chart_data,
)
from .services import mining_reminder_set, mining_session_start

# Where a start or reminder form may send the member back to (never a URL taken from the request).
RETURN_TO = {"dashboard": "dashboard:home", "mining": "mining:session"}


# The same URL answers with a fragment for htmx and a page otherwise; caches must keep them apart.
@vary_on_headers("HX-Request")
def calculator(request):
    state = market_latest()
    # Anything the link leaves out takes its default, so a link can name just a miner.
    form = CalculatorForm({**CalculatorForm.defaults(), **request.GET.dict()}, market_state=state)
    context: dict[str, object] = {"form": form, "state": state}
    if form.is_valid():
        rig, market = form.cleaned_data["rig"], form.cleaned_data["market"]
        outlook = projection(rig=rig, market=market)
        context.update(result=profitability(rig=rig, market=market), projection=outlook,
                       projection_chart=projection_chart_data(outlook), market=market)
    if request.htmx:
        return render(request, "mining/partials/_results.html", context)
    history = market_history_cached()
    context["history_chart"] = history_chart_data(history) if len(history) > 1 else None
    return render(request, "mining/calculator.html", context)


@vary_on_headers("HX-Request")
def compare(request):
    state = market_latest()
    form = CompareForm({**CompareForm.defaults(), **request.GET.dict()}, market_state=state)
    market, rows = None, []
    if form.is_valid():
        data = form.cleaned_data
        market = data["market"]
        rows = calculator_compare(market=market, electricity_usd_kwh=data["electricity_usd_kwh"],
                                  pool_fee_pct=data["pool_fee_pct"], uptime_pct=data["uptime_pct"])
    if query_params(request, CompareQueryForm)["format"] == "csv":
        if market is None:
            return HttpResponse(_("Nothing to export: check the inputs."), status=400,
                                content_type="text/plain; charset=utf-8")
        return _compare_csv(rows)
    context = {"form": form, "state": state, "rows": rows, "market": market}
    if request.htmx:
        return render(request, "mining/partials/_compare_table.html", context)
    return render(request, "mining/compare.html", context)


def _compare_csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="phonix-miner-comparison.csv"'
    writer = csv.writer(response)
    writer.writerow([
        "maker", "model", "hashrate_ths", "power_w", "efficiency_j_th", "btc_per_day", "revenue_usd_day",
        "electricity_usd_day", "profit_usd_day", "profit_usd_month", "break_even_usd_kwh", "verified",
    ])
    cent, sat = Decimal("0.01"), Decimal("0.00000001")
    for row in rows:
        r = row.result
        writer.writerow([
            _cell(row.miner.maker), _cell(row.miner.model), row.miner.hashrate_ths, row.miner.power_w,
            rounded(r.efficiency_j_th, cent), rounded(r.day.btc, sat), rounded(r.day.revenue_usd, cent),
            rounded(r.day.electricity_usd, cent), rounded(r.day.profit_usd, cent),
            rounded(r.month.profit_usd, cent), rounded(r.break_even_usd_kwh, Decimal("0.0001")),
            "yes" if row.miner.verified else "no",
        ])
    return response


def _cell(text: str) -> str:
    # Staff-typed names must not turn into spreadsheet formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
def session(request):
    return render(request, "mining/session.html", {
        "mining": mining_status(user=request.user), "sessions": mining_sessions_recent(user=request.user),
    })


@login_required
@require_POST
def session_start(request):
    try:
        started = mining_session_start(user=request.user)
    except PhonixError as error:
        messages.error(request, str(error))
    else:
        if started.created:
            messages.success(request, _("Mining started. Your session ends in %(hours)s hours.") % {
                "hours": started.session.plan_version.mining_session_hours})
        else:
            messages.info(request, _("Your mining session is already running."))
    return redirect(RETURN_TO.get(request.POST.get("return_to"), "mining:session"))


@login_required
@require_POST
def reminder(request):
    enabled = request.POST.get("email_reminder") == "on"
    mining_reminder_set(user=request.user, enabled=enabled)
    messages.success(request, _("We will e-mail you when a session ends.") if enabled
                     else _("No more e-mails when a session ends."))
    return redirect("mining:session")
