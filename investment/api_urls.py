"""investment's part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("plans/", apis.PlanView.as_view(), name="plan"),
    path("subscriptions/", apis.SubscriptionsView.as_view(), name="subscriptions"),
    path("subscriptions/preview/", apis.PurchasePreviewView.as_view(), name="purchase_preview"),
    path("subscriptions/<int:pk>/", apis.SubscriptionView.as_view(), name="subscription"),
]
