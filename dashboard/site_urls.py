"""The dashboard's pages at the site's root (names not namespaced): the landing page and the
Prometheus metrics."""

from django.urls import path

from . import views
from .console import metrics

urlpatterns = [
    path("", views.landing, name="home"),
    path("metrics", metrics.metrics, name="metrics"),
]
