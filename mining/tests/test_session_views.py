"""The mining page, the dashboard card, starting from either, the reminder choice, the admin."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory, verified_login
from mining.models import MiningProfile, MiningSession
from mining.services import mining_sessions_complete
from mining.tests.factories import mining_session

pytestmark = pytest.mark.django_db
PAGE = "/mining/"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=")


def no_inline_script_or_style(html: str, start: str) -> None:
    """From the mining card on, nothing a Content-Security-Policy without 'unsafe-inline' would block."""
    assert not INLINE.search(html[html.index(start):html.index("</main>")])


@pytest.fixture
def member(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_the_urls_are_these():
    assert (reverse("mining:session"), reverse("mining:start"), reverse("mining:reminder")) == (
        "/mining/", "/mining/start/", "/mining/reminder/")


def test_the_mining_page_asks_for_a_login(client):
    assert client.get(PAGE).status_code == 302


def test_a_member_starts_from_the_mining_page_and_sees_progress_and_time_left(client, member):
    html = client.get(PAGE).content.decode()
    assert "Start mining" in html and "<progress" not in html
    response = client.post(reverse("mining:start"), {"return_to": "mining"})
    assert response.status_code == 302 and response.url == PAGE
    session = MiningSession.objects.get(user=member)
    html = client.get(PAGE).content.decode()
    assert '<progress class="mining-progress' in html and 'max="86400"' in html
    assert f'data-ends-at="{session.ends_at.isoformat()}"' in html
    assert re.search(r'data-countdown>2[34]:[0-5]\d:[0-5]\d<', html)
    assert "mining/session.js" in html
    no_inline_script_or_style(html, 'id="mining-card"')


def test_a_double_submit_keeps_one_session_and_says_so(client, member):
    client.post(reverse("mining:start"))
    response = client.post(reverse("mining:start"), follow=True)
    assert MiningSession.objects.filter(user=member).count() == 1
    assert "already running" in response.content.decode()


def test_too_many_starts_are_refused_with_a_message_not_an_error(client, member, settings):
    settings.MINING_STARTS_PER_MINUTE = 1
    client.post(reverse("mining:start"))
    response = client.post(reverse("mining:start"), follow=True)
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()


def test_start_needs_a_post(client, member):
    assert client.get(reverse("mining:start")).status_code == 405
    assert not MiningSession.objects.exists()


def test_the_dashboard_shows_the_card_and_starting_there_returns_there(client, member):
    html = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="mining-card"' in html and "Start mining" in html
    response = client.post(reverse("mining:start"), {"return_to": "dashboard"})
    assert response.url == reverse("dashboard:home")
    html = client.get(reverse("dashboard:home")).content.decode()
    assert "<progress" in html
    no_inline_script_or_style(html, 'id="mining-card"')


def test_the_return_address_is_never_taken_from_the_request(client, member):
    response = client.post(reverse("mining:start"), {"return_to": "https://evil.example/"})
    assert response.url == PAGE


def test_the_streak_and_the_free_total_are_shown(client, member):
    MiningProfile.objects.create(user=member, streak=4, streak_last_day=timezone.now().date(),
                                 free_total=Decimal("0.4"))
    html = client.get(PAGE).content.decode()
    assert "Streak: 4 days" in html and "0.40 of 5.00 USDT" in html


def test_a_session_that_ended_offers_the_next_start(client, member):
    mining_session(member, started_at=timezone.now() - dt.timedelta(hours=25))
    html = client.get(PAGE).content.decode()
    assert "Start mining" in html and "<progress" not in html


def test_the_page_says_when_the_free_limit_is_reached(client, member):
    MiningProfile.objects.create(user=member, free_total=Decimal(5))
    assert "free mining limit" in client.get(PAGE).content.decode()


def test_the_reminder_is_opt_in_and_can_be_turned_off(client, member):
    assert 'name="email_reminder" id="email_reminder">' in client.get(PAGE).content.decode()
    client.post(reverse("mining:reminder"), {"email_reminder": "on"})
    assert MiningProfile.objects.get(user=member).email_reminder
    client.post(reverse("mining:reminder"), {})
    assert not MiningProfile.objects.get(user=member).email_reminder


def test_the_page_speaks_chinese(client, member):
    client.cookies["django_language"] = "zh-hans"
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "开始挖矿" in html


def test_the_landing_page_explains_sessions(client):
    html = client.get("/").content.decode()
    assert "Daily mining sessions" in html and "24 hours" in html
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "每日挖矿" in html


def test_staff_see_sessions_with_filters_and_daily_totals(client, django_assert_max_num_queries):
    staff = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff)
    members = [UserFactory() for _ in range(3)]
    for member in members:
        mining_session(member, started_at=timezone.now() - dt.timedelta(hours=25))
    mining_sessions_complete()
    mining_session(members[0], started_at=timezone.now())
    url = reverse("admin:mining_miningsession_changelist")
    html = client.get(url).content.decode()
    assert "Daily totals" in html and "<td>3</td><td>3</td><td>0.300000</td>" in html
    assert client.get(url, {"state": "running"}).context["cl"].result_count == 1
    assert client.get(url, {"state": "completed"}).context["cl"].result_count == 3
    assert client.get(url, {"member": members[0].pk}).context["cl"].result_count == 2
    today = timezone.now()
    by_day = {"started_at__year": today.year, "started_at__month": today.month, "started_at__day": today.day}
    assert client.get(url, by_day).context["cl"].result_count == 1
    assert "<td>1</td><td>1</td><td>0.100000</td>" in client.get(url, {"member": members[1].pk}).content.decode()
    for member in (UserFactory() for _ in range(5)):
        mining_session(member, started_at=timezone.now())
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_staff_set_the_mining_settings_as_a_new_plan_version(client):
    from investment.selectors import plan_current
    from phonix.models import AuditLog

    staff = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff)
    current = plan_current()
    assert (current.mining_session_hours, current.mining_free_reward, current.mining_free_limit,
            current.mining_required_for_daily_income) == (24, Decimal("0.10"), Decimal(5), False)
    url = reverse("admin:investment_planversion_change", args=[current.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: ",".join(map(str, value)) if isinstance(value, list) else ("" if value is None else value)
            for name, value in data.items()}
    data = {name: value for name, value in data.items() if value is not False}
    data.update(mining_session_hours="12", mining_free_reward="0.2", mining_free_limit="3",
                mining_required_for_daily_income="on", note="mining for investors")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    new = plan_current()
    assert new.pk != current.pk
    assert (new.mining_session_hours, new.mining_free_reward, new.mining_free_limit,
            new.mining_required_for_daily_income) == (12, Decimal("0.2"), Decimal(3), True)
    audit = AuditLog.objects.get(action=AuditLog.Action.PLAN_CHANGE)
    assert (audit.before["mining_required_for_daily_income"], audit.after["mining_required_for_daily_income"]) == (
        False, True)
