"""Market endpoints of the JSON API: the price ticker, the miners catalogue, the profitability
calculator and the comparison, with the pages' forms (same inputs, same validation)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from phonix.api import form_errors_raise, form_parameters

from .calculator import profitability, projection
from .forms import CalculatorForm, CompareForm
from .models import AsicMiner
from .selectors import Ticker, asic_catalogue, calculator_compare, market_latest, ticker_prices


def decimal_text(places: int, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=60, decimal_places=places, coerce_to_string=True, **kwargs)


class TickerCoinSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    usd = decimal_text(8)
    change_24h_pct = decimal_text(4, allow_null=True)


class TickerSerializer(serializers.Serializer):
    coins = TickerCoinSerializer(many=True)
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="Null: no prices were ever fetched.")
    stale = serializers.BooleanField()


class TickerView(GenericAPIView):
    """The latest prices of the ticker's coins (refreshed every few minutes)."""

    serializer_class = TickerSerializer
    permission_classes = [AllowAny]

    def get(self, request):
        ticker: Ticker | dict[str, object] = ticker_prices() or {"coins": [], "fetched_at": None, "stale": True}
        return Response(self.get_serializer(ticker).data)


class MinerSerializer(serializers.ModelSerializer):
    hashrate_ths = decimal_text(2)
    efficiency_j_th = decimal_text(2)

    class Meta:
        model = AsicMiner
        fields = ["id", "maker", "model", "hashrate_ths", "power_w", "efficiency_j_th", "year", "verified"]


class MinersView(GenericAPIView):
    """The ASIC catalogue."""

    serializer_class = MinerSerializer
    permission_classes = [AllowAny]

    @extend_schema(responses=MinerSerializer(many=True))
    def get(self, request):
        return Response(self.get_serializer(asic_catalogue(), many=True).data)


class PeriodSerializer(serializers.Serializer):
    btc = decimal_text(8)
    revenue_usd = decimal_text(2)
    energy_kwh = decimal_text(3)
    electricity_usd = decimal_text(2)
    profit_usd = decimal_text(2)


class ResultSerializer(serializers.Serializer):
    day = PeriodSerializer()
    month = PeriodSerializer()
    year = PeriodSerializer()
    hashprice_th_day = decimal_text(6)
    break_even_usd_kwh = decimal_text(4)
    efficiency_j_th = decimal_text(2)
    roi_days = decimal_text(1, allow_null=True, help_text="Null: never pays back at today's figures.")
    total_hashrate_ths = decimal_text(3)
    total_power_w = decimal_text(2)
    implied_network_hashrate_hs = decimal_text(0)
    reward_btc = decimal_text(8)


class ProjectionMonthSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    btc = decimal_text(8)
    revenue_usd = decimal_text(2)
    electricity_usd = decimal_text(2)
    profit_usd = decimal_text(2)
    cumulative_profit_usd = decimal_text(2)
    days_running = serializers.IntegerField()


class ProjectionSerializer(serializers.Serializer):
    months = ProjectionMonthSerializer(many=True)
    halving_day = serializers.IntegerField(allow_null=True)
    switched_off_day = serializers.IntegerField(allow_null=True)
    payback_month = serializers.IntegerField(allow_null=True)


class CalculatorSerializer(serializers.Serializer):
    result = ResultSerializer()
    projection = ProjectionSerializer()


def _bound(form_class, request):
    """The page's form over its defaults and the query; invalid → 400 by field."""
    form = form_class({**form_class.defaults(), **request.query_params.dict()}, market_state=market_latest())
    if not form.is_valid():
        form_errors_raise(form)
    return form.cleaned_data


@extend_schema(parameters=form_parameters(CalculatorForm, exclude=()))
class CalculatorView(GenericAPIView):
    """Profitability of a miner (from the catalogue, or custom hashrate and power) at today's market."""

    serializer_class = CalculatorSerializer
    permission_classes = [AllowAny]

    def get(self, request):
        data = _bound(CalculatorForm, request)
        rig, market = data["rig"], data["market"]
        return Response(self.get_serializer({
            "result": profitability(rig=rig, market=market), "projection": projection(rig=rig, market=market),
        }).data)


class CompareRowSerializer(serializers.Serializer):
    miner = MinerSerializer()
    result = ResultSerializer()


@extend_schema(parameters=form_parameters(CompareForm, exclude=()))
class CompareView(GenericAPIView):
    """Every catalogue miner under the same conditions, most profitable first."""

    serializer_class = CompareRowSerializer
    permission_classes = [AllowAny]

    @extend_schema(responses=CompareRowSerializer(many=True))
    def get(self, request):
        data = _bound(CompareForm, request)
        rows = calculator_compare(market=data["market"], electricity_usd_kwh=data["electricity_usd_kwh"],
                                  pool_fee_pct=data["pool_fee_pct"], uptime_pct=data["uptime_pct"])
        return Response(self.get_serializer(rows, many=True).data)
