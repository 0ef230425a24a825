"""Rate limits: django-ratelimit counting in Redis (the default cache), answered with a 429 page.

Limits are the RATE_LIMITS setting, one rate ("count/period", e.g. "10/h") per group. A view
counts an attempt with `rate_limit_check` or the `rate_limited` decorator; over the limit,
RateLimited is raised and RateLimitMiddleware answers 429 with Retry-After.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


class RateLimited(Exception):
    def __init__(self, *, group: str, retry_after: int):
        self.group, self.retry_after = group, retry_after
        super().__init__(f"rate limit {group}: retry after {retry_after} s")


def client_address(request: HttpRequest) -> str:
    """The member's address, the way the sign-in lockout reads it (TRUSTED_PROXY_COUNT)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_check(request: HttpRequest, *, group: str, key: str) -> None:
    """Count one attempt at `group` by `key` ("ip", "user", or a literal like "user:12")."""
    if key == "ip":
        key = f"ip:{client_address(request)}"
    elif key == "user":
        user = getattr(request, "user", None)
        key = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{client_address(request)}"
    usage = get_usage(request, group=group, key=lambda _group, _request: key,
                      rate=settings.RATE_LIMITS[group], increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(group=group, retry_after=max(1, usage["time_left"]))


def rate_limited(*, group: str, key: str, methods: tuple[str, ...] = ("POST",)):
    """View decorator: count every request of these methods; `key` as for rate_limit_check."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                rate_limit_check(request, group=group, key=key)
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        response: HttpResponse = render(
            request, "429.html", {"retry_after": exception.retry_after, "minutes": -(-exception.retry_after // 60)},
            status=429,
        )
        response["Retry-After"] = str(exception.retry_after)
        return response
