"""earnings' part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("subscriptions/<int:pk>/generation/", apis.GenerationLevelsView.as_view(), name="subscription_generation"),
    path("earnings/", apis.EarningsHistoryView.as_view(), name="earnings"),
    path("earnings/summary/", apis.EarningsSummaryView.as_view(), name="earnings_summary"),
    path("earnings/generation/", apis.GenerationView.as_view(), name="earnings_generation"),
]
