from django.urls import path

from . import views

app_name = "mining"

urlpatterns = [
    path("", views.session, name="session"),
    path("start/", views.session_start, name="start"),
    path("reminder/", views.reminder, name="reminder"),
    path("calculator/", views.calculator, name="calculator"),
    path("compare/", views.compare, name="compare"),
]
