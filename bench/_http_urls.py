"""The application's URLs plus the reference page of bench/pages_under_load.py: a view that reads the session
and the signed-in member and nothing else, so that a page's ratio to it is the page's own work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from phonix.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

BARE_PATH = "bench/bare/"


@login_required
def bare(request):
    return HttpResponse(request.user.username, content_type="text/plain")


urlpatterns = [path(BARE_PATH, bare), *urlpatterns]
