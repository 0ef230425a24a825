"""Hostile input on every page: no query parameter or form field value answers 500.

Every URL pattern is taken from Django's resolver (so a new page is fuzzed without anyone
listing it), visited as a member and, for the admin, as verified staff. Each is sent NUL bytes,
huge and negative numbers, very long strings, digits of other scripts and SQL-ish text, in its
query string and in every field of every form it renders.
"""

import re
from html.parser import HTMLParser

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import UserFactory, verified_login

pytestmark = pytest.mark.django_db

FUZZ = [
    "\x00", "a\x00b", "99999999999999999999", "-99999999999999999999", "1e308", "x" * 5000, "１００",
    "١٠٠", "1_0", "'; DROP TABLE accounts_user; --", "<script>alert(1)</script>", "",
]
# The nastiest few, also sent one parameter or one field at a time (the others left valid).
FUZZ_SHORT = ["\x00", "99999999999999999999", "x" * 5000, "١٠٠", "' OR 1=1 --"]
# Every query parameter a page of ours or the admin reads, sent all at once.
PARAMS = [
    "page", "q", "level", "status", "offset", "type", "ref", "referral_code", "format", "next", "o", "p", "e",
    "_changelist_filters", "_popup", "_to_field", "all", "miner", "hashrate_ths", "power_w", "quantity",
    "electricity_usd_kwh", "pool_fee_pct", "uptime_pct", "hardware_cost_usd", "difficulty_growth_pct",
    "price_usd", "difficulty", "fees_btc", "id__exact", "user__id__exact", "code__exact", "status__exact",
    "created_at__gte", "kind__exact", "is_staff__exact",
]
# Pages whose POST ends the session or deletes rows: visited with GET only.
POST_SKIPPED = re.compile(r"logout|/delete/|/password/reset/[^/]+/[^/]+/")
_GROUP = re.compile(r"\(\?P<(\w+)>([^)]*)\)")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
# Query parameters a page offers: its fields' names and the parameters of its links.
_OFFERED = re.compile(r"""name="([\w-]+)"|[?&](?:amp;)?([\w-]+)=""")


def url_paths(sample_id: int) -> list[str]:
    """One concrete path for every URL pattern in the project."""
    def route(pattern) -> str:
        text = str(pattern)
        if hasattr(pattern, "_route"):  # path(): fill each converter
            return _CONVERTER.sub(lambda m: str(sample_id) if m.group(1) == "int" else "1", text)
        text = text.lstrip("^").rstrip("$").replace(r"\Z", "")
        return _GROUP.sub(lambda m: m.group(2).split("|")[0] if re.fullmatch(r"[\w|]+", m.group(2)) else "1",
                          text)

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + route(entry.pattern)

    return sorted({"/" + path.replace(".*", "x") for path in walk(get_resolver().url_patterns, "")})


class _Forms(HTMLParser):
    """The POST forms of a page: their action and field names with the values they carry."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._open = (attrs.get("action") or "", {})
            self.forms.append(self._open)
        elif self._open is not None and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            self._open[1].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


@pytest.fixture
def server_errors():
    """Every exception a view let through, with where it came from."""
    errors = []

    def record(sender, request, **kwargs):
        import sys

        errors.append(f"{request.method} {request.get_full_path()[:200]!r}: {sys.exc_info()[1]!r}"[:400])

    got_request_exception.connect(record)
    yield errors
    got_request_exception.disconnect(record)


def _fuzz_paths(client: Client, paths: list[str], login, *, thorough: bool, values=FUZZ) -> list[str]:
    answered_500 = []

    def check(response, what):
        if response.status_code >= 500:
            answered_500.append(what)

    for path in paths:
        login()
        for value in values:
            check(client.get(path, dict.fromkeys(PARAMS, value)), f"GET {path} all={value[:20]!r}")
        page = client.get(path)
        html = page.content.decode() if "html" in page.get("Content-Type", "") else ""
        if thorough:
            offered = {"page", "next"} | {a or b for a, b in _OFFERED.findall(html)} - {"csrfmiddlewaretoken"}
            for name in sorted(offered):
                for value in FUZZ_SHORT:
                    check(client.get(path, {name: value}), f"GET {path} {name}={value[:20]!r}")
        if POST_SKIPPED.search(path):
            continue
        parser = _Forms()
        if page.status_code == 200:
            parser.feed(html)
        forms = parser.forms or [("", {"x": ""})]
        for action, fields in forms:
            target = action or path
            if POST_SKIPPED.search(target):
                continue
            fields.pop("csrfmiddlewaretoken", None)
            for value in values:
                check(client.post(target, dict.fromkeys(fields, value)), f"POST {target} all={value[:20]!r}")
            if thorough:
                for name in fields:
                    for value in FUZZ_SHORT:
                        login()
                        check(client.post(target, {**fields, name: value}),
                              f"POST {target} {name}={value[:20]!r}")
    return answered_500


@pytest.fixture
def people(settings):
    # Rate limits would answer 429 long before the fuzzing is through; they are tested elsewhere.
    settings.RATELIMIT_ENABLE = False
    sponsor = UserFactory(username="fuzzsponsor")
    member = UserFactory(username="fuzzmember", sponsor=sponsor)
    UserFactory(username="fuzzchild", sponsor=member)
    staff = UserFactory(username="fuzzstaff", is_staff=True, is_superuser=True)
    return member, staff


def test_member_pages_answer_bad_input_without_a_500(people, server_errors):
    member, _staff = people
    client = Client(raise_request_exception=False)
    paths = [path for path in url_paths(member.pk) if not path.startswith("/admin/")]
    assert "/team/" in paths and f"/team/tree/{member.pk}/" in paths and "/wallet/withdraw/" in paths
    answered_500 = _fuzz_paths(client, paths, lambda: client.force_login(member), thorough=True)
    assert not answered_500, (answered_500[:10], server_errors[:10])


def test_admin_pages_answer_bad_input_without_a_500(people, server_errors):
    member, staff = people
    client = Client(raise_request_exception=False)
    # The admin is Django's: its lists (search, filters, ordering), add forms and our own admin
    # views get the nastiest values (every one of its 200 patterns would take minutes).
    paths = [path for path in url_paths(member.pk)
             if re.fullmatch(rf"/admin/\w+/\w+/(add/|{member.pk}/\w+/)?", path)]
    assert "/admin/accounts/user/" in paths and f"/admin/accounts/user/{member.pk}/sponsor/" in paths
    answered_500 = _fuzz_paths(client, paths, lambda: verified_login(client, staff), thorough=False,
                               values=FUZZ_SHORT[:3])
    assert not answered_500, (answered_500[:10], server_errors[:10])
