from django.urls import path

from . import views

app_name = "ranks"

urlpatterns = [
    path("", views.overview, name="overview"),
]
