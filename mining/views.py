import csv
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from .calculator import profitability, projection
from .forms import CalculatorForm, CompareForm
from .selectors import (
    calculator_compare,
    history_chart_data,
    market_history_cached,
    market_latest,
    projection_chart_data,
)


# The same URL answers with a fragment for htmx and a page otherwise; caches must keep them apart.
@vary_on_headers("HX-Request")
def calculator(request):
    state = market_latest()
    # Anything the link leaves out takes its default, so a link can name just a miner.
    form = CalculatorForm({**CalculatorForm.defaults(), **request.GET.dict()}, market_state=state)
    context = {"form": form, "state": state}
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
    if request.GET.get("format") == "csv":
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
            r.efficiency_j_th.quantize(cent), r.day.btc.quantize(sat), r.day.revenue_usd.quantize(cent),
            r.day.electricity_usd.quantize(cent), r.day.profit_usd.quantize(cent),
            r.month.profit_usd.quantize(cent), r.break_even_usd_kwh.quantize(Decimal("0.0001")),
            "yes" if row.miner.verified else "no",
        ])
    return response


def _cell(text: str) -> str:
    # Staff-typed names must not turn into spreadsheet formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
