"""Investment endpoints of the JSON API: the plan, subscriptions, purchase preview and purchase."""

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from accounts.models import User
from phonix.api import IDEMPOTENCY_PARAMETER, AmountField, NumberedPage, idempotent
from phonix.api_views import ServiceAPIView
from phonix.auth import signed_in_user

from .models import Subscription
from .selectors import (
    PurchasePreview,
    SubscriptionState,
    plan_current,
    plan_generation_bands,
    purchase_quote,
    subscription_list,
    subscription_states,
)
from .services import subscription_purchase


class _DecimalOptions(TypedDict):
    max_digits: int
    decimal_places: int
    coerce_to_string: bool


RATE: _DecimalOptions = {"max_digits": 6, "decimal_places": 3, "coerce_to_string": True}


class TierSerializer(serializers.Serializer[Mapping[str, object]]):
    code = serializers.CharField()
    # A declared field, not Field.label: the serializer's metaclass takes it out of the class.
    label = serializers.CharField()  # type: ignore[assignment]
    low = AmountField(help_text="Lower bound; from tier 2 on, amounts above it.")
    high = AmountField(allow_null=True, help_text="Upper bound, included; null for the top tier.")
    rate = serializers.DecimalField(**RATE, help_text="Percent a month.")


class GenerationLevelSerializer(serializers.Serializer[Mapping[str, object]]):
    level = serializers.IntegerField()
    rate = serializers.DecimalField(**RATE, help_text="Percent of the purchase.")
    directs = serializers.IntegerField(help_text="Direct referrals needed to qualify.")


class PlanSerializer(serializers.Serializer[Mapping[str, object]]):
    version = serializers.IntegerField()
    minimum_amount = AmountField()
    cap_multiple = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=True)
    tiers = TierSerializer(many=True)
    generation = GenerationLevelSerializer(many=True)
    directs_must_be_investors = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class PlanView(ServiceAPIView):
    """The plan in force: tiers, minimum, rates, the cap multiple, generation rates and directs."""

    serializer_class = PlanSerializer
    permission_classes = [AllowAny]  # the landing page shows it to everybody too

    def get(self, request: Request) -> Response:
        plan = plan_current()
        return Response(self.get_serializer({
            "version": plan.pk, "minimum_amount": plan.minimum_amount, "cap_multiple": plan.cap_multiple,
            "tiers": plan.tiers(), "directs_must_be_investors": plan.directs_must_be_investors,
            "created_at": plan.created_at,
            "generation": [{"level": level, "rate": band.rate, "directs": band.directs}
                           for band in plan_generation_bands(plan=plan) for level in range(band.first, band.last + 1)],
        }).data)


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    amount = AmountField()
    total_earned = AmountField()
    earnings_cap = AmountField()
    bonus_used = AmountField()
    monthly_rate = serializers.DecimalField(**RATE)
    state = serializers.SerializerMethodField(help_text="earning, at_cap, completed or deactivated.")

    class Meta:
        model = Subscription
        fields = ["id", "amount", "tier", "monthly_rate", "total_earned", "earnings_cap", "bonus_used",
                  "is_active", "state", "plan_version", "started_at", "completed_at"]

    def get_state(self, subscription: Subscription) -> str:
        state: SubscriptionState = self.context["states"][subscription.pk]
        return state.code


class PurchaseSerializer(serializers.Serializer[None]):
    amount = AmountField()
    use_bonus = serializers.BooleanField(default=False)
    plan_version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        help_text="The plan version the member was shown; a purchase under a newer plan is refused.",
    )


class SubscriptionsView(ListAPIView[Subscription]):
    """GET: the member's subscriptions, newest first. POST: buy one (`Idempotency-Key` required)."""

    serializer_class = SubscriptionSerializer
    pagination_class = NumberedPage

    def get_queryset(self) -> QuerySet[Subscription]:
        return subscription_list(user=signed_in_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # pagination_class is set
        return self.get_paginated_response(subscriptions_data(signed_in_user(request), page))

    @extend_schema(request=PurchaseSerializer, responses={201: SubscriptionSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request: Request) -> Response:
        form = PurchaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data

        def perform(token: str) -> Response:
            made = subscription_purchase(user=signed_in_user(request), amount=data["amount"],
                                         use_bonus=data["use_bonus"], token=token,
                                         plan_version_id=data.get("plan_version"))
            subscription = Subscription.objects.select_related("user").get(pk=made.pk)  # the member after it
            return Response(subscriptions_data(subscription.user, [subscription])[0], status=status.HTTP_201_CREATED)

        return idempotent(request, scope="purchase", body=dict(data), perform=perform)


def subscriptions_data(user: User, subscriptions: Iterable[Subscription]) -> ReturnList[ReturnDict[str, Any]]:
    """Subscriptions with each one's state (earning, at cap, …), as the API writes them."""
    subscriptions = list(subscriptions)
    states = subscription_states(user=user, subscriptions=subscriptions)
    many = SubscriptionSerializer(subscriptions, many=True, context={"states": states})
    return many.data  # type: ignore[return-value]  # many=True makes a ListSerializer, whose data is a list


class SubscriptionView(RetrieveAPIView[Subscription]):
    """One of the member's subscriptions."""

    serializer_class = SubscriptionSerializer

    def get_queryset(self) -> QuerySet[Subscription]:
        return subscription_list(user=signed_in_user(self.request))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(subscriptions_data(signed_in_user(request), [self.get_object()])[0])


class PreviewSerializer(serializers.Serializer[PurchasePreview]):
    amount = AmountField()
    tier = serializers.CharField()
    tier_label = serializers.CharField()
    monthly_rate = serializers.DecimalField(**RATE)
    daily_income = AmountField()
    earnings_cap = AmountField()
    bonus_used = AmountField()
    from_main = AmountField()
    plan_version = serializers.IntegerField(source="plan_version_id")


class PurchasePreviewView(ServiceAPIView):
    """What a purchase would be, from the member's balances; nothing is written."""

    serializer_class = PreviewSerializer

    @extend_schema(request=PurchaseSerializer, responses=PreviewSerializer)
    def post(self, request: Request) -> Response:
        form = PurchaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        quote = purchase_quote(user=signed_in_user(request), amount=form.validated_data["amount"],
                               use_bonus=form.validated_data["use_bonus"])
        return Response(PreviewSerializer(quote).data)
