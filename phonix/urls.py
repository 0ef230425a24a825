from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from dashboard import views as dashboard_views
from dashboard.console import metrics as console_metrics
from phonix import views

urlpatterns = [
    path("", dashboard_views.landing, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("theme/", views.theme_set, name="theme_set"),
    path("metrics", console_metrics.metrics, name="metrics"),
    path("admin/console/", include("dashboard.console.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("r/<str:code>/", accounts_views.referral_link, name="referral_link"),
    path("team/", include("accounts.team_urls")),
    path("dashboard/", include("dashboard.urls")),
    path("wallet/", include("wallet.urls")),
    path("invest/", include("investment.urls")),
    path("earnings/", include("earnings.urls")),
    path("ranks/", include("ranks.urls")),
    path("mining/", include("mining.urls")),
    path("api/v1/", include("phonix.api_urls")),
]

handler400 = "phonix.views.bad_request"
handler403 = "phonix.views.permission_denied"
handler404 = "phonix.views.page_not_found"
handler500 = "phonix.views.server_error"
