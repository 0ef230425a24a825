"""Member pages rendered once and served from Redis until something they show changes.

What has changed is known from the database itself: triggers on every table a member page reads
bump the member's page version, or every member's, when the writing transaction commits
(migration phonix 0006; each app tracks its own tables). The cache key holds both versions, read
before the view runs, so an entry is never older than the versions it is filed under, and every
write — a deposit, a payout, an admin edit, a raw SQL fix — files the member's next request
under a new key.

Also in the key is everything else a page is rendered from: the path and query, the host (the
referral link), the session (sign-in and two-factor state), the CSRF secret (the forms' tokens are
made from it), whether the session passed two-factor authentication, the language, the colour
theme, today's date (pages that count days and weeks), and the release (the templates).

Not cached: anything but a GET answered 200 with HTML, htmx requests, a page with flash messages
to show, a response that sets a cookie, a visitor without a CSRF cookie or session yet. A page
that changes with time alone says when with `page_expires_at` (a mining session's end); no entry
lives longer than PAGE_CACHE_SECONDS, which bounds anything else that moves without a write (a
price ticker going stale, a scheduled announcement).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from .context_processors import theme_from_request

SITE = 0  # the page version of every member's pages

RELEASE_FILES = (".py", ".html", ".txt", ".mo")  # what a page is rendered by: code, templates, translations


def release_fingerprint(root) -> str:
    """The size and time of every file of the code, its templates and translations: the same in
    every process of one release, different after any change of them."""
    digest = hashlib.sha256()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name.endswith(RELEASE_FILES):
                path = os.path.join(directory, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, root)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# No release ever serves a page rendered by another's templates.
_RELEASE = settings.PAGE_CACHE_RELEASE or release_fingerprint(settings.BASE_DIR)
_EXPIRES_AT = "_page_cache_expires_at"


def page_versions(member_id: int) -> tuple[int, int, int]:
    """The member's page version, every member's (0 where nothing has changed yet), and how many
    changes this transaction has made: a page rendered inside a transaction (as in tests) must not
    be served again after the transaction's own next write, which no version shows before commit.
    The changes are its notes and its rows written to tracked tables, since a row of a member
    noted already is not noted again (migration phonix 0007); outside a transaction that has
    written, they are 0 at no cost."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSIONS_SQL, [member_id, SITE])
        member, site, changes = cursor.fetchone()
    return member, site, changes


_VERSIONS_SQL = """
    SELECT coalesce((SELECT version FROM phonix_pageversion WHERE member_id = %s), 0),
           coalesce((SELECT version FROM phonix_pageversion WHERE member_id = %s), 0),
           CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN 0 ELSE
               coalesce(nullif(current_setting('phonix.page_changes_noted', true), ''), '0')::bigint
               + (SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(tgrelid)
                                      + pg_stat_get_xact_tuples_updated(tgrelid)
                                      + pg_stat_get_xact_tuples_deleted(tgrelid)), 0)::bigint
                  FROM pg_trigger WHERE tgname = 'page_versions_truncate') END
"""


def pages_changed(member_ids: list[int] | None = None) -> None:
    """Mark pages out of date for a change the triggers do not see (a cache written by a task): the
    given members', or with none, every member's. Every member's also makes the triggers skip the
    rest of the transaction's rows: a payout batch says so first, rather than have each of its
    first thousand rows noted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT phonix_page_changes_note(%s::bigint[])", [member_ids or None])


def page_expires_at(request: HttpRequest, moment: datetime) -> None:
    """The page being rendered changes at `moment` without any write: keep it no longer."""
    current = getattr(request, _EXPIRES_AT, None)
    setattr(request, _EXPIRES_AT, moment if current is None else min(current, moment))


def member_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the signed-in member's page from the cache while nothing it shows has changed.
    Goes inside @login_required."""

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = _cache_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        entry = _cache_get(key)
        if entry is not None:
            get_token(request)  # as the page's forms did when it was rendered: the cookie stays
            return HttpResponse(entry["content"], content_type=entry["content_type"])
        response = view(request, *args, **kwargs)
        timeout = _timeout(request)
        if timeout > 0 and _cacheable(request, response):
            _cache_set(key, {"content": response.content, "content_type": response["Content-Type"]}, timeout)
        return response

    return cached_view


def _cache_key(request: HttpRequest) -> str | None:
    user = request.user
    csrf_secret = request.META.get("CSRF_COOKIE")
    session_key = request.session.session_key
    if (request.method != "GET" or not user.is_authenticated or getattr(request, "htmx", False)
            or not csrf_secret or not session_key or len(messages.get_messages(request))):
        return None
    parts = [
        _RELEASE, *map(str, page_versions(user.pk)), str(user.pk), session_key, csrf_secret,
        str(_two_factor_verified(user)),
        get_language() or "", theme_from_request(request), timezone.localdate().isoformat(),
        request.get_host(), request.get_full_path(),
    ]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _two_factor_verified(user) -> bool:
    """Whether this session passed the second factor (django-otp keeps it in the session, whose key
    stays the same)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def _timeout(request: HttpRequest) -> int:
    timeout = settings.PAGE_CACHE_SECONDS
    expires_at = getattr(request, _EXPIRES_AT, None)
    if expires_at is not None:
        timeout = min(timeout, int((expires_at - timezone.now()).total_seconds()))
    return timeout


def _cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    storage = messages.get_messages(request)
    return (
        response.status_code == 200 and not response.streaming and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
        and not getattr(storage, "used", False) and not len(storage)
    )


def _cache_get(key: str) -> dict | None:
    try:
        return cache.get(key)
    except Exception:  # a cache outage must not take the pages down: render them
        return None


def _cache_set(key: str, entry: dict, timeout: int) -> None:
    try:
        cache.set(key, entry, timeout)
    except Exception:  # as above: the page was rendered, it is only not kept
        pass
