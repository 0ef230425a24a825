"""The request types of views that only a signed-in user reaches, and the user of such a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class PageRequest(HttpRequest):
    """A page request as the middleware leaves it: `htmx` says whether htmx sent it."""

    htmx: HtmxDetails


class MemberRequest(PageRequest):
    """A page request behind `login_required`: its user is signed in, never anonymous."""

    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that only signed-in users reach (`login_required`, `IsAuthenticated`,
    the admin), for code whose request type is fixed by what it overrides."""
    from django.contrib.auth import get_user_model

    if not isinstance(request.user, get_user_model()):
        raise PermissionDenied
    return request.user
