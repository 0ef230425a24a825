import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import UserFactory
from ranks.services import ranks_check, weekly_bonuses_pay
from ranks.tests.factories import invest

pytestmark = pytest.mark.django_db

SUNDAY = dt.datetime(2025, 3, 2, 23, 0, tzinfo=dt.UTC)


def test_ranks_page_needs_a_login(client):
    response = client.get(reverse("ranks:overview"))
    assert response.status_code == 302
    assert "login" in response.url


def test_ranks_page_of_a_member_without_rank_shows_progress_to_connector(client):
    member = UserFactory()
    invest(UserFactory(sponsor=member), "2500")
    client.force_login(member)
    response = client.get("/ranks/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-rank="none"' in body
    assert "2,500.00 / 5,000.00 USDT" in body  # main leg against connector
    assert 'aria-valuenow="50"' in body
    assert "No weekly bonus yet." in body
    assert "Crown" in body  # the ladder


def test_ranks_page_shows_rank_bonus_history_and_a_capped_week(client):
    member = UserFactory()
    invest(member, "10")  # cap 30
    invest(UserFactory(sponsor=member), "5000")
    invest(UserFactory(sponsor=member), "6000")
    ranks_check(now=SUNDAY)
    weekly_bonuses_pay(week=dt.date(2025, 3, 3))
    client.force_login(member)
    body = client.get("/ranks/").content.decode()
    assert 'data-rank="connector"' in body
    assert "2025-W10" in body
    assert "51" in body  # weeks remaining
    assert "30.00" in body and "20.00" in body  # paid 30, capped 20
    assert "10,000.00" in body  # next rank's requirement


def test_ranks_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    member = UserFactory()
    for _ in range(15):
        invest(UserFactory(sponsor=member), "4000")
    ranks_check(now=SUNDAY)
    for n in range(5):
        weekly_bonuses_pay(week=dt.date(2025, 3, 3) + dt.timedelta(weeks=n))
    client.force_login(member)
    with django_assert_max_num_queries(10):
        response = client.get("/ranks/")
    assert response.status_code == 200
    assert "Executive" in response.content.decode()


def test_staff_see_rank_distribution_and_the_coming_week_total(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    # Staff use the admin with a verified second factor, as django-otp records it in the session.
    device = TOTPDevice.objects.create(user=staff, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    member = UserFactory()
    invest(member, "1000")
    invest(UserFactory(sponsor=member), "5000")
    invest(UserFactory(sponsor=member), "5000")
    ranks_check(now=dt.datetime.now(dt.UTC))
    response = client.get(reverse("admin:ranks_rank_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rank distribution" in body
    distribution = dict((code, count) for code, _label, count in response.context["rank_distribution"])
    assert distribution["connector"] == 1
    coming = response.context["coming_week"]
    assert (coming.members, coming.owed, coming.payable) == (1, Decimal(50), Decimal(50))
    for name in ("weeklybonus", "rankachievement", "membervolume"):
        assert client.get(reverse(f"admin:ranks_{name}_changelist")).status_code == 200


def test_team_page_shows_each_directs_leg_volume(client):
    member = UserFactory()
    direct = UserFactory(sponsor=member)
    invest(direct, "1000")
    invest(UserFactory(sponsor=UserFactory(sponsor=direct)), "2345.67")
    UserFactory(sponsor=member)  # a direct with no volume
    client.force_login(member)
    response = client.get(reverse("team:members") + "?level=1")
    assert response.status_code == 200
    volumes = {row["member"].pk: row["leg_volume"] for row in response.context["rows"]}
    assert volumes[direct.pk] == Decimal("3345.67")
    assert sorted(volumes.values()) == [Decimal(0), Decimal("3345.67")]
    assert "3,345.67" in response.content.decode()


def test_ranks_page_at_the_top_rank_has_no_next_requirement(client):
    member = UserFactory()
    invest(member, "100000")
    invest(UserFactory(sponsor=member), "200000")
    invest(UserFactory(sponsor=member), "200000")
    ranks_check(now=SUNDAY)
    client.force_login(member)
    response = client.get("/ranks/")
    body = response.content.decode()
    assert 'data-rank="crown"' in body
    assert "You hold the highest rank." in body
    assert response.context["o"].weekly_bonus_amount == Decimal(5000)
    assert response.context["o"].next_payment_week == dt.date(2025, 3, 3)


def test_ranks_page_says_when_the_legs_already_meet_the_next_rank(client):
    member = UserFactory()
    invest(UserFactory(sponsor=member), "5000")
    invest(UserFactory(sponsor=member), "5000")  # no check has run yet
    client.force_login(member)
    body = client.get("/ranks/").content.decode()
    assert 'data-rank="none"' in body
    assert "it is granted at the next rank check" in body
