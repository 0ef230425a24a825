"""ranks' part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("ranks/", apis.RankView.as_view(), name="rank"),
]
