"""/api/v1/: every endpoint of the JSON API, its OpenAPI schema and its documentation pages."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes, schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

app_name = "api"
API_APPS = ("accounts", "dashboard", "investment", "earnings", "ranks", "wallet", "mining")


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
@schema(None)
def not_found(request, rest: str):
    raise NotFound()


urlpatterns = [
    # Each app's endpoints (its api_urls.py), in the "api" namespace.
    *(path("", include(f"{app}.api_urls")) for app in API_APPS),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html", permission_classes=[AllowAny],
    ), name="docs"),
    # ReDoc draws with styled-components, which adds <style> elements that no nonce can reach: this
    # page alone (the public schema, no member data) allows inline styles. Scripts stay 'self'.
    path("docs/redoc/", csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularRedocView.as_view(
        url_name="api:schema", template_name="api/redoc.html", permission_classes=[AllowAny],
    )), name="redoc"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
