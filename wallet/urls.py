from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("transactions/", views.transactions, name="transactions"),
]
