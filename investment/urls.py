from django.urls import path

from . import views

app_name = "investment"

urlpatterns = [
    path("", views.plans, name="plans"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
]
