"""Announcements: the publish window, the audience, unread markers, safe plain text, two languages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from dashboard.models import Announcement, AnnouncementRead
from dashboard.selectors import announcements_visible, unread_counts
from dashboard.templatetags.dashboard import plain_text_html
from dashboard.tests.factories import announcement

pytestmark = pytest.mark.django_db


def investor() -> User:
    member = UserFactory.create()
    User.objects.filter(pk=member.pk).update(is_active_investor=True)
    member.refresh_from_db()
    return member


def test_only_announcements_inside_their_window_are_shown():
    now = timezone.now()
    shown = announcement(title="now")
    announcement(title="later", publish_from=now + dt.timedelta(hours=1))
    announcement(title="over", publish_from=now - dt.timedelta(days=2), publish_until=now - dt.timedelta(days=1))
    until_tomorrow = announcement(title="until tomorrow", publish_until=now + dt.timedelta(days=1))
    assert set(announcements_visible(user=UserFactory())) == {shown, until_tomorrow}


def test_investor_announcements_reach_active_investors_only():
    for_investors = announcement(audience=Announcement.Audience.INVESTORS)
    everyone = announcement()
    assert list(announcements_visible(user=UserFactory())) == [everyone]
    assert set(announcements_visible(user=investor())) == {for_investors, everyone}


def test_pinned_come_first_then_the_newest():
    now = timezone.now()
    old_pinned = announcement(pinned=True, publish_from=now - dt.timedelta(days=5))
    newest = announcement(publish_from=now - dt.timedelta(minutes=1))
    older = announcement(publish_from=now - dt.timedelta(days=1))
    assert list(announcements_visible(user=UserFactory())) == [old_pinned, newest, older]


def test_an_empty_window_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        announcement(publish_from=now, publish_until=now - dt.timedelta(hours=1))


def test_reading_the_page_marks_what_it_shows_for_that_member_only(client):
    first, second = announcement(title="First news"), announcement(title="Second news")
    reader, other = UserFactory(), UserFactory()
    assert unread_counts(user=reader).announcements == 2
    client.force_login(reader)

    body = client.get(reverse("dashboard:announcements")).content.decode()
    assert body.count(">New</span>") == 2  # new on this visit
    assert "First news" in body and "Second news" in body
    assert unread_counts(user=reader).announcements == 0
    assert unread_counts(user=other).announcements == 2
    assert set(AnnouncementRead.objects.filter(user=reader).values_list("announcement", flat=True)) == {
        first.pk, second.pk}
    assert ">New</span>" not in client.get(reverse("dashboard:announcements")).content.decode()


def test_the_body_is_plain_text_with_paragraphs_and_links_and_no_markup():
    html = plain_text_html('Hello <script>alert(1)</script>\n\nSee https://example.com/news?a=1&b=2 now')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<p>") == 2
    assert '<a href="https://example.com/news?a=1&amp;b=2" rel="nofollow">' in html


def test_an_attribute_cannot_be_smuggled_through_a_link():
    html = plain_text_html('https://example.com/"onmouseover="alert(1)')
    assert 'onmouseover="' not in html


def test_members_reading_chinese_get_the_chinese_text_when_there_is_one(client):
    announcement(title="Maintenance", body="Tonight", title_zh="系统维护", body_zh="今晚")
    announcement(title="English only", body="Only English")
    client.force_login(UserFactory())
    chinese = client.get(reverse("dashboard:announcements"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "系统维护" in chinese and "今晚" in chinese and "English only" in chinese
    assert "Maintenance" not in chinese
    english = client.get(reverse("dashboard:announcements"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Maintenance" in english and "系统维护" not in english


def test_the_dashboard_shows_the_latest_announcements_and_the_nav_links_them(client):
    announcement(title="Welcome to the new dashboard")
    client.force_login(UserFactory())
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="dashboard-announcements"' in body and "Welcome to the new dashboard" in body
    assert f'href="{reverse("dashboard:announcements")}" id="nav-announcements"' in body


def test_staff_write_announcements_in_the_admin(client):
    from accounts.tests.factories import verified_login

    admin = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, admin)
    response = client.post(reverse("admin:dashboard_announcement_add"), {
        "title": "Deposits paused", "body": "Back soon.", "title_zh": "", "body_zh": "",
        "audience": "everyone", "publish_from_0": "2026-01-01", "publish_from_1": "00:00:00",
        "publish_until_0": "", "publish_until_1": "",
    })
    assert response.status_code == 302
    assert Announcement.objects.get(title="Deposits paused").created_by == admin
    assert client.get(reverse("admin:dashboard_announcement_changelist")).status_code == 200
