"""The wallet's part of /api/v1/ (included by phonix/api_urls.py, in its "api" namespace)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("wallet/transactions/", apis.TransactionsView.as_view(), name="transactions"),
    path("wallet/deposit/", apis.DepositView.as_view(), name="deposit"),
    path("wallet/withdrawals/", apis.WithdrawalsView.as_view(), name="withdrawals"),
]
