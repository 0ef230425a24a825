"""Member pages are served from the cache until anything they show changes, and never to anyone else."""

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from dashboard.models import Announcement, Notification
from investment.tests.factories import buy
from phonix import page_cache
from phonix.page_cache import SITE, page_versions, pages_changed
from wallet.tests.conftest import run_in_threads
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db

CACHED_PAGES = ["dashboard:home", "wallet:overview", "wallet:transactions", "earnings:overview",
                "team:home", "ranks:overview", "investment:plans"]
# What a member page may read without a page-version trigger, and why.
UNTRACKED_READS = {
    "django_session": "the session key is part of the cache key",
    "phonix_pageversion": "the versions themselves",
    "wallet_ledgerentry": "posted only with its account's new balance, and wallet_ledgeraccount is tracked",
    "wallet_ledgertransaction": "as above",
}


def tracked_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'page_versions%'")
        return {name for (name,) in cursor.fetchall()}


def committed_versions(member_id: int) -> tuple[int, int]:
    """The member's and every member's page versions once this test's transaction has applied its
    changes, as its commit would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS page_changes_apply IMMEDIATE")
        cursor.execute("SET CONSTRAINTS page_changes_apply DEFERRED")
    member, site, _notes = page_versions(member_id)
    return member, site


def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    client.get(reverse("dashboard:home"))  # the CSRF cookie: pages are cached only with one
    return client


def served_from_cache(client, path) -> bool:
    """Whether the page came from the cache: then only the session, the member and the versions
    (with the tracked tables' triggers, for a transaction's own writes) are read."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    read = {table for q in queries.captured_queries for table in tables_in(q["sql"])}
    return read <= {"django_session", "accounts_user", "phonix_pageversion", "pg_trigger"} and len(queries) <= 3


def tables_in(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN)\s+"?([a-z][a-z0-9_]+)"?', sql, re.IGNORECASE))


@pytest.fixture
def network():
    # A write every member sees first, as a test database emptied by an earlier test gets its plan
    # back: the writes after it in the same transaction must still show to the pages.
    Announcement.objects.create(title="Welcome", body="Hello.")
    sponsor = UserFactory()
    member = UserFactory(sponsor=sponsor)
    UserFactory(sponsor=member)
    fund(member, "500")
    buy(member, Decimal("100"), funded=False)
    return sponsor, member


def test_every_table_a_member_page_reads_tells_the_cache_when_it_changes(network):
    _, member = network
    client = member_client(member)
    tracked = tracked_tables()
    tables = set(connection.introspection.table_names())
    for name in CACHED_PAGES:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        read = {table for q in queries.captured_queries for table in tables_in(q["sql"])}
        untracked = (read & tables) - tracked - set(UNTRACKED_READS)
        assert not untracked, f"{name} reads {sorted(untracked)}: track them in a migration"


def test_a_page_is_rendered_once_then_served_until_money_moves(network):
    _, member = network
    client = member_client(member)
    wallet = reverse("wallet:overview")
    first = client.get(wallet).content
    assert served_from_cache(client, wallet)
    assert client.get(wallet).content == first
    fund(member, "123.45")
    assert not served_from_cache(client, wallet)
    assert b"523.45" in client.get(wallet).content  # 500 + 123.45 - the 100 invested


@pytest.mark.parametrize("name", CACHED_PAGES)
def test_each_page_is_cached_and_forgotten_on_the_members_next_purchase(network, name):
    _, member = network
    client = member_client(member)
    path = reverse(name)
    client.get(path)
    assert served_from_cache(client, path)
    before = committed_versions(member.pk)
    buy(member, Decimal("50"))
    assert not served_from_cache(client, path)  # the purchase is not committed yet: seen all the same
    assert committed_versions(member.pk)[0] > before[0]
    assert not served_from_cache(client, path)


def test_the_sponsors_team_page_changes_with_the_downline(network, django_capture_on_commit_callbacks):
    sponsor, member = network
    client = member_client(sponsor)
    team = reverse("team:home") + "?level=all"
    client.get(team)
    assert served_from_cache(client, team)
    with django_capture_on_commit_callbacks(execute=True):  # the team counts' own cache forgets them
        newcomer = UserFactory(sponsor=member)  # two levels below the sponsor
    assert newcomer.username in client.get(team).content.decode()
    assert served_from_cache(client, team)
    buy(newcomer, Decimal("50"))
    assert not served_from_cache(client, team)


def test_another_member_or_session_never_gets_the_page(network):
    sponsor, member = network
    one = member_client(member)
    other = member_client(sponsor)
    wallet = reverse("wallet:overview")
    mine = one.get(wallet).content
    theirs = other.get(wallet).content
    assert member.username.encode() in mine and member.username.encode() not in theirs
    again = member_client(member)  # a new session of the same member
    assert not served_from_cache(again, wallet)


def test_a_statement_bumps_the_members_it_touches_and_one_over_many_members_bumps_all_pages():
    members = UserFactory.create_batch(3)
    first, site = committed_versions(members[0].pk)
    untouched, crowded = committed_versions(members[2].pk)[0], committed_versions(members[1].pk)[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET total_earnings = total_earnings WHERE id = %s", [members[0].pk])
    touched, site_after = committed_versions(members[0].pk)
    assert touched > first and site_after == site
    with connection.cursor() as cursor:  # more rows than the migration's PAGE_VERSIONS_MANY
        cursor.execute("INSERT INTO dashboard_notification (user_id, kind, params)"
                       " SELECT %s, 'weekly_bonus', '{}' FROM generate_series(1, 1001)", [members[1].pk])
    many_member, many_site = committed_versions(members[1].pk)
    assert many_site > site and many_member == crowded
    assert committed_versions(members[2].pk)[0] == untouched


@pytest.mark.django_db(transaction=True)
def test_two_transactions_touching_the_same_members_in_opposite_orders_both_commit():
    """Each notes its members as it goes and takes the version rows only at commit, in one order:
    neither waits for the other between its writes, so neither can deadlock on them."""
    first, second = UserFactory.create_batch(2)
    before = {m.pk: page_versions(m.pk)[0] for m in (first, second)}
    both_wrote_one = threading.Barrier(2, timeout=10)

    def work(index: int) -> str:
        order = [first, second] if index == 0 else [second, first]
        with transaction.atomic():
            Notification.objects.create(user=order[0], kind=Notification.Kind.WEEKLY_BONUS)
            both_wrote_one.wait()
            Notification.objects.create(user=order[1], kind=Notification.Kind.WEEKLY_BONUS)
        return "committed"

    assert run_in_threads(2, work) == ["committed", "committed"]
    after = {m.pk: page_versions(m.pk) for m in (first, second)}
    assert all(after[pk][0] > before[pk] and after[pk][2] == 0 for pk in before)


@pytest.fixture
def cached_dashboard(network):
    """A member's client and dashboard path, the page already served from the cache."""
    _, member = network
    client = member_client(member)
    path = reverse("dashboard:home")
    client.get(path)
    assert served_from_cache(client, path)
    return member, client, path


def test_a_site_wide_change_reaches_every_member(cached_dashboard):
    member, client, path = cached_dashboard
    pages_changed()
    assert not served_from_cache(client, path)
    assert committed_versions(member.pk)[1] == committed_versions(SITE)[0]


def test_a_page_showing_a_flash_message_is_not_kept(network):
    _, member = network
    client = member_client(member)
    path = reverse("wallet:overview")
    client.get(path)
    saved = client.post(reverse("accounts:profile"), {"save_profile": "1", "first_name": "Ada", "last_name": "L"})
    assert saved.status_code == 302
    assert "Your profile was saved." in client.get(path).content.decode()
    assert "Your profile was saved." not in client.get(path).content.decode()


def test_a_form_of_a_cached_page_still_passes_the_csrf_check(network):
    _, member = network
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    path = reverse("dashboard:home")
    client.get(path)
    client.get(path)
    cached = client.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached).group(1)
    response = client.post(reverse("dashboard:notifications_read_all"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_the_language_and_theme_are_part_of_the_page(network):
    _, member = network
    client = member_client(member)
    path = reverse("wallet:overview")
    english = client.get(path).content.decode()
    chinese = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="en"' in english and 'lang="zh-hans"' in chinese
    client.cookies["phonix_theme"] = "light"
    assert 'data-bs-theme="light"' in client.get(path).content.decode()


def test_a_running_mining_session_keeps_the_dashboard_no_longer_than_its_end(rf):
    request = rf.get("/")
    page_cache.page_expires_at(request, timezone.now() + timedelta(seconds=30))
    page_cache.page_expires_at(request, timezone.now() + timedelta(seconds=300))
    assert 25 <= page_cache._timeout(request) <= 30


def test_a_cache_outage_still_renders_the_page(network, monkeypatch):
    _, member = network
    client = member_client(member)

    class BrokenCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("redis down")

        set = get

    monkeypatch.setattr(page_cache, "cache", BrokenCache())
    assert client.get(reverse("wallet:overview")).status_code == 200


def test_the_release_fingerprint_changes_with_any_template(tmp_path):
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>one</p>")
    (tmp_path / "notes.md").write_text("not rendered")
    first = page_cache.release_fingerprint(tmp_path)
    assert page_cache.release_fingerprint(tmp_path) == first
    (tmp_path / "notes.md").write_text("still not rendered")
    assert page_cache.release_fingerprint(tmp_path) == first
    page.write_text("<p>two</p>")
    assert page_cache.release_fingerprint(tmp_path) != first


def test_a_change_of_what_every_member_sees_reaches_every_members_pages(cached_dashboard):
    member, client, path = cached_dashboard
    site = committed_versions(member.pk)[1]
    Announcement.objects.create(title="Maintenance tonight", body="Back by six.")
    assert committed_versions(member.pk)[1] > site
    assert "Maintenance tonight" in client.get(path).content.decode()


def test_a_few_rows_naming_very_many_members_note_every_members_pages():
    member = UserFactory()
    before = committed_versions(member.pk)[1]
    with connection.cursor() as cursor:  # one row whose upline names 3,000 members
        cursor.execute("UPDATE accounts_user SET upline_ids = ARRAY(SELECT generate_series(1000000, 1003000))"
                       " WHERE id = %s", [member.pk])
        cursor.execute("UPDATE accounts_user SET upline_ids = '{}' WHERE id = %s", [member.pk])
    assert committed_versions(member.pk)[1] > before


def notes_made() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(nullif(current_setting('phonix.page_changes_noted', true), ''), '0')::int")
        return cursor.fetchone()[0]


def test_a_row_of_a_member_noted_already_calls_no_trigger_and_still_reaches_the_page(network):
    """A purchase writes many rows of each member it touches: only the first is noted, yet every
    one of them still keeps the transaction's own pages from being served again."""
    _, member = network
    other = UserFactory()
    client = member_client(member)
    wallet = reverse("wallet:overview")
    committed_versions(other.pk)  # the notes so far applied: no member is noted now
    client.get(wallet)
    assert served_from_cache(client, wallet)
    noted = notes_made()
    Notification.objects.create(user=member, kind=Notification.Kind.WEEKLY_BONUS)
    assert notes_made() == noted + 1
    noted += 1
    Notification.objects.create(user=member, kind=Notification.Kind.WEEKLY_BONUS)
    fund(member, "1")
    assert notes_made() == noted  # the member's rows after the first note call nothing
    assert not served_from_cache(client, wallet)
    assert b"401.00" in client.get(wallet).content  # the page shows the transaction's own write
    Notification.objects.create(user=other, kind=Notification.Kind.WEEKLY_BONUS)
    assert notes_made() == noted + 1  # another member is noted
    before = committed_versions(other.pk)[0]
    Notification.objects.create(user=other, kind=Notification.Kind.WEEKLY_BONUS)
    assert committed_versions(other.pk)[0] > before  # noted again once the notes were applied
