from django.urls import path

from . import views

app_name = "mining"

urlpatterns = [
    path("calculator/", views.calculator, name="calculator"),
    path("compare/", views.compare, name="compare"),
]
