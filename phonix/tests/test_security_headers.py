"""Content-Security-Policy and Permissions-Policy on every response, and pages that need no inline
script or style for the policy to allow them."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import UserFactory, verified_login

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""<[a-z][^>]*\sstyle\s*=\s*["']""", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def _template_files() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates"]
    roots += [path for path in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in path.parts]
    return sorted(file for root in roots for file in root.rglob("*.html"))


def _inline_code(html: str) -> list[str]:
    """Everything in `html` that a policy without 'unsafe-inline' would refuse."""
    found = [tag for tag in SCRIPT_TAG.findall(html) if "src=" not in tag and "application/json" not in tag]
    found += STYLE_ATTRIBUTE.findall(html) + EVENT_ATTRIBUTE.findall(html) + STYLE_ELEMENT.findall(html)
    return found


def test_templates_have_no_inline_script_style_or_event_handler():
    files = _template_files()
    assert len(files) > 30
    offenders = {str(file.relative_to(settings.BASE_DIR)): _inline_code(file.read_text()) for file in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def _plain_paths(resolvers=None, prefix: str = "") -> list[str]:
    """Every URL of the project that takes no argument."""
    paths = []
    for entry in (resolvers or get_resolver()).url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route:
            continue
        if isinstance(entry, URLResolver):
            paths += _plain_paths(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + (prefix + route).lstrip("^").replace("$", "").replace("\\", ""))
    return sorted(set(paths))


# The one page allowed inline styles (phonix/api_urls.py says why); its scripts are held like every page's.
INLINE_STYLES_ALLOWED = {"/api/v1/docs/redoc/"}


def _assert_policies(response, path: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives.get("script-src") == "'self'", (path, policy)
    if path in INLINE_STYLES_ALLOWED:
        assert directives.get("style-src") == "'self' 'unsafe-inline'", (path, policy)
        policy = policy.replace("'unsafe-inline'", "")
    else:
        assert directives.get("style-src") == "'self'", (path, policy)
    assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", path
    assert "unsafe" not in policy, (path, policy)
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), path


def test_every_page_carries_the_policies_and_needs_no_inline_code(client):
    paths = _plain_paths()
    assert "/dashboard/" in paths and "/wallet/withdraw/" in paths and "/admin/" in paths
    staff = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff)
    for path in [*paths, "/no-such-page/"]:
        response = client.get(path)
        assert response.status_code < 500, path
        _assert_policies(response, path)
        if "text/html" in response.headers.get("Content-Type", "") and response.content:
            assert _inline_code(response.content.decode()) == [], path


def test_anonymous_pages_carry_the_policies_too(client):
    for path in ["/", "/accounts/login/", "/accounts/register/", "/healthz", "/admin/login/"]:
        response = client.get(path)
        _assert_policies(response, path)
        if "text/html" in response.headers.get("Content-Type", ""):
            assert _inline_code(response.content.decode()) == [], path
