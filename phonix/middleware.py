"""What holds for every page: refusals before any view runs, and response headers Django does not
set itself."""

from django.conf import settings
from django.utils.translation import gettext as _

from phonix.params import QueryInvalid


class NulBytesRefusedMiddleware:
    """A NUL byte in the address or a form answers 400.

    No page has a use for one, and PostgreSQL cannot store or compare text containing it: let
    through, it would reach a query (the admin's search, a filter) and fail there as a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or (
            request.method == "POST" and _has_nul(request.POST)
        ):
            raise QueryInvalid(_("The request contains a NUL character, which no field accepts."))
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


class PermissionsPolicyMiddleware:
    """Permissions-Policy: no page of ours uses the camera, microphone, location, payment API and
    the like, so no page (nor anything injected into one) may ask for them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response
