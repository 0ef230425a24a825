from django.urls import path

from . import views
from .custody import views as views_custody

app_name = "wallet"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("transactions/", views.transactions, name="transactions"),
    path("deposit/", views_custody.deposit, name="deposit"),
    path("withdraw/", views_custody.withdraw, name="withdraw"),
]
