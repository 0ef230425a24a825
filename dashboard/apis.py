"""Dashboard endpoint of the JSON API: balances, earnings by type, cap room and rank in one call."""

from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from earnings.apis import EarningsSummarySerializer
from earnings.selectors import earnings_summary
from phonix.api import AmountField
from ranks.apis import LegsSerializer, RankStepSerializer
from ranks.selectors import rank_progress
from wallet.apis import BalanceSerializer
from wallet.selectors import member_balances


class DashboardRankSerializer(serializers.Serializer):
    rank_code = serializers.CharField()
    rank_label = serializers.CharField()
    legs = LegsSerializer()
    next_step = RankStepSerializer(allow_null=True)
    main_progress = serializers.IntegerField(help_text="Percent of the next rank's volume.")
    other_progress = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    balances = BalanceSerializer(many=True)
    earnings = EarningsSummarySerializer(help_text="Totals by type; `room` is what the cap still allows.")
    rank = DashboardRankSerializer()


class DashboardView(GenericAPIView):
    """What /dashboard/ shows first: every balance, earnings by type, cap room and rank."""

    serializer_class = DashboardSerializer

    def get(self, request):
        user = request.user
        return Response(self.get_serializer({
            "balances": member_balances(user=user), "earnings": earnings_summary(user=user),
            "rank": rank_progress(user=user),
        }).data)
