"""Earnings endpoints of the JSON API: the history, totals by type, generation decisions."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from investment.selectors import subscription_list
from phonix.api import AmountField, NewestFirstCursor, NumberedPage, form_parameters, query_form_valid
from phonix.api_views import ServiceAPIView
from phonix.auth import signed_in_user
from wallet.apis import TransactionSerializer
from wallet.models import Transaction

from .forms import EarningsQueryForm
from .models import Commission
from .selectors import (
    EarningsSummary,
    LevelDecision,
    earnings_history,
    earnings_summary,
    generation_commissions,
    purchase_generation_levels,
)


@extend_schema(parameters=form_parameters(EarningsQueryForm))
class EarningsHistoryView(ListAPIView[Transaction]):
    """Daily income, generation income, weekly bonuses and the registration bonus, newest first."""

    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Transaction]:
        data = query_form_valid(self.request, EarningsQueryForm).cleaned_data
        return earnings_history(user=signed_in_user(self.request), type=data["type"] or None, since=data["since"],
                                until=data["until"])


class EarningsSummarySerializer(serializers.Serializer[EarningsSummary]):
    daily_income = AmountField()
    generation = AmountField()
    weekly_bonus = AmountField()
    registration_bonus = AmountField()
    counted = AmountField(help_text="Every kind that counts against the cap.")
    invested = AmountField()
    cap = AmountField()
    room = AmountField(help_text="What the member may still earn under the cap.")


class EarningsSummaryView(ServiceAPIView):
    """Totals by type and the member's position under the cap."""

    serializer_class = EarningsSummarySerializer

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(earnings_summary(user=signed_in_user(request))).data)


class CommissionSerializer(serializers.ModelSerializer[Commission]):
    from_member = serializers.CharField(source="from_user.username")
    purchase_amount = AmountField(source="source_subscription.amount")
    amount = AmountField()
    capped_amount = AmountField()
    directs_needed = serializers.SerializerMethodField()

    class Meta:
        model = Commission
        fields = ["id", "level", "from_member", "purchase_amount", "amount", "capped_amount", "skip_reason",
                  "directs_had", "directs_needed", "paid_at"]

    def get_directs_needed(self, commission: Commission) -> int:
        return commission.plan_version.generation_directs[commission.level - 1]


class GenerationView(ListAPIView[Commission]):
    """Every generation decision about the member: paid, cut by the cap, or skipped and why."""

    serializer_class = CommissionSerializer
    pagination_class = NumberedPage

    def get_queryset(self) -> QuerySet[Commission]:
        return generation_commissions(user=signed_in_user(self.request))


class LevelDecisionSerializer(serializers.Serializer[LevelDecision]):
    level = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["paid", "capped", "skipped", "pending", "no_upline"])
    amount = AmountField(help_text="What the upline at this level was paid.")
    capped_amount = AmountField(help_text="What a cap cut off (not paid).")
    skip_reason = serializers.CharField(help_text="Why nothing was paid, when nothing was.")


class GenerationLevelsView(ServiceAPIView):
    """For one of the member's purchases, the 20 upline levels: paid, capped or skipped and why
    (without naming the uplines)."""

    serializer_class = LevelDecisionSerializer

    @extend_schema(responses=LevelDecisionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        subscription = get_object_or_404(subscription_list(user=signed_in_user(request)), pk=pk)
        return Response(self.get_serializer(purchase_generation_levels(subscription=subscription), many=True).data)
