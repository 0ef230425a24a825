from django.urls import path

from . import views

app_name = "earnings"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("generation/", views.generation, name="generation"),
]
