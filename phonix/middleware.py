"""Refusals that hold for every page, before any view runs."""

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
