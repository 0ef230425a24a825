"""mining's part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("market/ticker/", apis.TickerView.as_view(), name="ticker"),
    path("mining/miners/", apis.MinersView.as_view(), name="miners"),
    path("mining/calculator/", apis.CalculatorView.as_view(), name="calculator"),
    path("mining/compare/", apis.CompareView.as_view(), name="compare"),
]
