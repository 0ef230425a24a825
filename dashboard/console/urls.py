"""Mounted at /admin/console/: every page goes through the admin's own gate (active staff whose
session is verified with a second factor, as `OTPAdminSite` requires)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", admin.site.admin_view(views.console), name="console"),
    path("distributions/", admin.site.admin_view(views.distributions), name="distributions"),
]
