"""Mounted at /r/: the shareable referral link (its name is not namespaced)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:code>/", views.referral_link, name="referral_link"),
]
