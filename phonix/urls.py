from django.contrib import admin
from django.urls import include, path

from phonix import views

# Apps are reached by name only (include("app.urls")): the project's core imports no app.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("theme/", views.theme_set, name="theme_set"),
    path("", include("dashboard.site_urls")),
    path("admin/console/", include("dashboard.console.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("r/", include("accounts.referral_urls")),
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
