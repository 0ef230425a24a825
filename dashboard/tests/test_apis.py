"""Dashboard endpoint of the JSON API."""

import pytest

from accounts.tests.factories import UserFactory, api_client
from investment.tests.factories import buy
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def test_balances_earnings_cap_room_and_rank_in_one_call(django_assert_max_num_queries):
    member = UserFactory()
    buy(member, 100)
    fund(member, 7)
    client = api_client(member)
    with django_assert_max_num_queries(20):
        response = client.get("/api/v1/dashboard/")
    body = response.json()
    balances = {row["code"]: row["amount"] for row in body["balances"]}
    assert balances["main"] == "7.000000" and balances["bonus"] == "0.000000"
    earnings = body["earnings"]
    assert (earnings["invested"], earnings["cap"], earnings["room"]) == ("100.000000", "300.000000", "300.000000")
    assert earnings["daily_income"] == "0.000000"
    assert body["rank"]["rank_code"] == "none" and body["rank"]["next_step"]["code"] == "connector"
    other = api_client(UserFactory()).get("/api/v1/dashboard/").json()
    assert {row["amount"] for row in other["balances"]} == {"0.000000"}


def test_announcements_list_for_the_audience_and_mark_read():
    from dashboard.models import Announcement, AnnouncementRead

    from .factories import announcement

    member = UserFactory()
    news = announcement(title="Maintenance", title_zh="维护", body="Sunday 02:00 UTC.")
    hidden = announcement(title="Investors only", audience=Announcement.Audience.INVESTORS)
    client = api_client(member)
    listed = client.get("/api/v1/announcements/").json()["results"]
    assert [(row["id"], row["title"], row["is_read"]) for row in listed] == [(news.pk, "Maintenance", False)]
    chinese = client.get("/api/v1/announcements/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert chinese[0]["title"] == "维护"
    assert client.post("/api/v1/announcements/read/", {"ids": [news.pk, hidden.pk]}, format="json").status_code == 204
    assert list(AnnouncementRead.objects.filter(user=member).values_list("announcement_id", flat=True)) == [news.pk]
    assert client.get("/api/v1/announcements/").json()["results"][0]["is_read"] is True
    assert client.post("/api/v1/announcements/read/", {"ids": ["x"]}, format="json").status_code == 400


def test_notifications_list_in_words_and_mark_one_or_all_read():
    from dashboard.models import Notification
    from dashboard.services import notification_create

    member, other = UserFactory(), UserFactory()
    for rank in ["builder", "professional"]:
        notification_create(user_id=member.pk, kind=Notification.Kind.RANK_ACHIEVED, params={"rank": rank})
    notification_create(user_id=other.pk, kind=Notification.Kind.RANK_ACHIEVED, params={"rank": "crown"})
    client = api_client(member)
    listed = client.get("/api/v1/notifications/").json()["results"]
    assert len(listed) == 2 and all(row["title"] and row["read_at"] is None for row in listed)
    assert "Professional" in listed[0]["title"] + listed[0]["body"]
    assert client.post(f"/api/v1/notifications/{listed[1]['id']}/read/").status_code == 204
    assert Notification.objects.filter(user=member, read_at__isnull=True).count() == 1
    theirs = Notification.objects.get(user=other)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/read-all/").status_code == 204
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
