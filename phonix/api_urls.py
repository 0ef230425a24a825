"""/api/v1/: every endpoint of the JSON API, its OpenAPI schema and its documentation pages."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes, schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from accounts import apis as accounts
from dashboard import apis as dashboard
from earnings import apis as earnings
from investment import apis as investment
from mining import apis as mining
from ranks import apis as ranks
from wallet import apis as wallet

app_name = "api"


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
@schema(None)
def not_found(request, rest: str):
    raise NotFound()


urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="register"),
    path("auth/token/", accounts.TokenObtainView.as_view(), name="token"),
    path("auth/tokens/", accounts.TokensView.as_view(), name="tokens"),
    path("auth/tokens/<str:token_key>/", accounts.TokenRevokeView.as_view(), name="token_revoke"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("profile/", accounts.ProfileView.as_view(), name="profile"),
    path("profile/withdrawal-address/", accounts.WithdrawalAddressView.as_view(), name="withdrawal_address"),
    path("export/", accounts.ExportView.as_view(), name="export"),
    path("team/", accounts.TeamView.as_view(), name="team"),
    path("team/members/", accounts.TeamMembersView.as_view(), name="team_members"),
    path("team/tree/<int:member_id>/", accounts.TeamTreeView.as_view(), name="team_tree"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("announcements/", dashboard.AnnouncementsView.as_view(), name="announcements"),
    path("announcements/read/", dashboard.AnnouncementsReadView.as_view(), name="announcements_read"),
    path("notifications/", dashboard.NotificationsView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", dashboard.NotificationReadView.as_view(), name="notification_read"),
    path("notifications/read-all/", dashboard.NotificationsReadAllView.as_view(), name="notifications_read_all"),
    path("plans/", investment.PlanView.as_view(), name="plan"),
    path("subscriptions/", investment.SubscriptionsView.as_view(), name="subscriptions"),
    path("subscriptions/preview/", investment.PurchasePreviewView.as_view(), name="purchase_preview"),
    path("subscriptions/<int:pk>/", investment.SubscriptionView.as_view(), name="subscription"),
    path("subscriptions/<int:pk>/generation/", investment.GenerationLevelsView.as_view(),
         name="subscription_generation"),
    path("earnings/", earnings.EarningsHistoryView.as_view(), name="earnings"),
    path("earnings/summary/", earnings.EarningsSummaryView.as_view(), name="earnings_summary"),
    path("earnings/generation/", earnings.GenerationView.as_view(), name="earnings_generation"),
    path("ranks/", ranks.RankView.as_view(), name="rank"),
    path("wallet/transactions/", wallet.TransactionsView.as_view(), name="transactions"),
    path("wallet/deposit/", wallet.DepositView.as_view(), name="deposit"),
    path("wallet/withdrawals/", wallet.WithdrawalsView.as_view(), name="withdrawals"),
    path("market/ticker/", mining.TickerView.as_view(), name="ticker"),
    path("mining/miners/", mining.MinersView.as_view(), name="miners"),
    path("mining/calculator/", mining.CalculatorView.as_view(), name="calculator"),
    path("mining/compare/", mining.CompareView.as_view(), name="compare"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html", permission_classes=[AllowAny],
    ), name="docs"),
    # ReDoc draws with styled-components, which adds <style> elements that no nonce can reach: this
    # page alone (the public schema, no member data) allows inline styles. Scripts stay 'self'.
    path("docs/redoc/", csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularRedocView.as_view(
        url_name="api:schema", template_name="api/redoc.html", permission_classes=[AllowAny],
    )), name="redoc"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
