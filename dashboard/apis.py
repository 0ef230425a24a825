"""Dashboard endpoints of the JSON API: balances, earnings by type, cap room and rank in one call;
announcements and notifications, and marking them read; the export of all a member's data."""

from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from accounts.apis import ProfileSerializer, TeamStatsSerializer, fresh_user
from accounts.selectors import team_stats_cached
from earnings.apis import CommissionSerializer, EarningsSummarySerializer
from earnings.selectors import earnings_summary, generation_commissions
from investment.apis import subscriptions_data
from investment.selectors import subscription_list
from phonix.api import NumberedPage
from ranks.apis import LegsSerializer, RankStepSerializer
from ranks.selectors import rank_progress
from wallet.apis import BalanceSerializer, TransactionSerializer, WithdrawalSerializer
from wallet.custody.withdrawals import withdrawal_history
from wallet.ledger.history import member_balances, transaction_history

from .selectors import announcements_visible, notifications_for
from .services import announcements_mark_read, notification_mark_read, notifications_mark_all_read
from .texts import notification_text

EXPORT_MAX_ROWS = 50_000


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


class AnnouncementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField(help_text="Plain text; a blank line starts a paragraph.")
    pinned = serializers.BooleanField()
    publish_from = serializers.DateTimeField()
    publish_until = serializers.DateTimeField(allow_null=True)
    is_read = serializers.BooleanField()

    def get_title(self, announcement) -> str:
        return announcement.title_in(get_language() or "")

    def get_body(self, announcement) -> str:
        return announcement.body_in(get_language() or "")


class AnnouncementsView(ListAPIView):
    """Announcements published for the member, pinned first, with whether each was read."""

    serializer_class = AnnouncementSerializer
    pagination_class = NumberedPage

    def get_queryset(self):
        return announcements_visible(user=self.request.user)


class AnnouncementsReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=100)


class AnnouncementsReadView(GenericAPIView):
    """Mark announcements read (ids the member cannot see are left alone)."""

    serializer_class = AnnouncementsReadSerializer

    @extend_schema(responses={204: None})
    def post(self, request):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        visible = announcements_visible(user=request.user).filter(pk__in=given.validated_data["ids"])
        announcements_mark_read(user=request.user, announcement_ids=list(visible.values_list("pk", flat=True)))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField(source="text.title")
    body = serializers.CharField(source="text.body")
    url = serializers.CharField(source="text.url", help_text="The page it is about (a path of this site).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationsView(ListAPIView):
    """The member's notifications, newest first, written in the request's language."""

    serializer_class = NotificationSerializer
    pagination_class = NumberedPage

    def get_queryset(self):
        return notifications_for(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # pagination_class is set
        for notification in page:
            notification.text = notification_text(notification)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationReadView(GenericAPIView):
    """Mark one of the member's notifications read."""

    serializer_class = None

    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        if not notifications_for(user=request.user).filter(pk=pk).exists():
            raise NotFound()
        notification_mark_read(user=request.user, notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationsReadAllView(GenericAPIView):
    """Mark every notification of the member read."""

    serializer_class = None

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        notifications_mark_all_read(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Export --------------------------------------------------------------------------------


class ExportView(GenericAPIView):
    """All the member's personal data as one JSON document: profile, balances, transactions,
    subscriptions, withdrawals, earnings and a team summary."""

    serializer_class = None

    @extend_schema(responses=inline_serializer("MemberExport", {
        "exported_at": serializers.DateTimeField(), "profile": ProfileSerializer(),
        "balances": serializers.ListField(child=serializers.DictField()),
        "transactions": serializers.ListField(child=serializers.DictField()),
        "subscriptions": serializers.ListField(child=serializers.DictField()),
        "withdrawals": serializers.ListField(child=serializers.DictField()),
        "earnings": serializers.DictField(), "team": TeamStatsSerializer(),
    }))
    def get(self, request):
        user = fresh_user(request.user)
        # The stub takes one instance, though many=True takes a list of them.
        balances = BalanceSerializer(member_balances(user=user), many=True)  # type: ignore[arg-type]
        response = Response({
            "exported_at": serializers.DateTimeField().to_representation(timezone.now()),
            "profile": ProfileSerializer(user).data,
            "balances": balances.data,
            "transactions": TransactionSerializer(transaction_history(user=user)[:EXPORT_MAX_ROWS], many=True).data,
            "subscriptions": subscriptions_data(user, subscription_list(user=user)[:EXPORT_MAX_ROWS]),
            "withdrawals": WithdrawalSerializer(withdrawal_history(user=user)[:EXPORT_MAX_ROWS], many=True).data,
            "earnings": {
                "summary": EarningsSummarySerializer(earnings_summary(user=user)).data,
                "generation": CommissionSerializer(generation_commissions(user=user)[:EXPORT_MAX_ROWS],
                                                   many=True).data,
            },
            "team": TeamStatsSerializer(team_stats_cached(user=user)).data,
        })
        response["Content-Disposition"] = f'attachment; filename="phonix-{user.username}-data.json"'
        return response
