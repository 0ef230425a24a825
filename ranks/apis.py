"""Ranks endpoint of the JSON API: rank, both legs, progress to the next rank, weekly bonuses."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from phonix.api import AmountField
from phonix.api_views import ServiceAPIView
from phonix.auth import signed_in_user

from .ladder import RankStep
from .models import WeeklyBonus
from .selectors import Legs, RankOverview, rank_overview


class RankStepSerializer(serializers.Serializer[RankStep]):
    code = serializers.CharField()
    # A declared field, not Field.label: the serializer's metaclass takes it out of the class.
    label = serializers.CharField()  # type: ignore[assignment]
    min_volume = AmountField(help_text="Needed on the main leg and, separately, on the other legs.")
    weekly_bonus = AmountField()


class LegsSerializer(serializers.Serializer[Legs]):
    main = AmountField()
    other = AmountField()
    count = serializers.IntegerField(help_text="Direct referrals' legs with any volume.")


class WeeklyBonusSerializer(serializers.Serializer[WeeklyBonus]):
    week = serializers.DateField(help_text="Monday of the ISO week.")
    rank = serializers.CharField()
    amount = AmountField(help_text="What the rank owed.")
    paid_amount = AmountField()
    capped_amount = AmountField()


class RankSerializer(serializers.Serializer[RankOverview]):
    rank_code = serializers.CharField()
    rank_label = serializers.CharField()
    level = serializers.IntegerField()
    legs = LegsSerializer()
    next_step = RankStepSerializer(allow_null=True)
    main_progress = serializers.IntegerField(help_text="Percent of the next rank's volume.")
    other_progress = serializers.IntegerField()
    main_missing = AmountField()
    other_missing = AmountField()
    weekly_bonus_amount = AmountField()
    weeks_remaining = serializers.IntegerField()
    next_payment_week = serializers.DateField(allow_null=True)
    rank_achieved_at = serializers.DateTimeField(allow_null=True)
    last_rank_check = serializers.DateTimeField(allow_null=True)
    bonuses = WeeklyBonusSerializer(many=True)
    bonus_paid_total = AmountField()
    bonus_capped_total = AmountField()


class RankView(ServiceAPIView):
    """The member's rank, as /ranks/ shows it."""

    serializer_class = RankSerializer

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(rank_overview(user=signed_in_user(request))).data)
