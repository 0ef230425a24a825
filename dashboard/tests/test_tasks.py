"""The daily digest and the pruning, as the scheduler and operators run them."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from dashboard.models import Notification
from dashboard.tasks import generation_digest_build_task, notifications_prune_task
from dashboard.tests.factories import generation_paid, notification
from phonix.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def _yesterday_noon() -> dt.datetime:
    today = timezone.now().astimezone(dt.UTC).date()
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)


def test_the_digest_task_covers_yesterday_and_run_twice_leaves_the_same_state():
    member = UserFactory()
    generation_paid(member, "4", _yesterday_noon())
    assert generation_digest_build_task.delay().get() == 1
    assert generation_digest_build_task.delay().get() == 0
    assert Notification.objects.filter(user=member, kind="generation_income").count() == 1


def test_the_command_takes_a_date_and_refuses_today_and_nonsense():
    member = UserFactory()
    noon = _yesterday_noon()
    generation_paid(member, "4", noon)
    out = StringIO()
    call_command("build_generation_digests", "--date", noon.date().isoformat(), stdout=out)
    assert out.getvalue().strip() == f"generation digests for {noon.date()}: 1 written"
    with pytest.raises(CommandError, match="has not ended"):
        call_command("build_generation_digests", "--date", (noon.date() + dt.timedelta(days=1)).isoformat())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("build_generation_digests", "--date", "yesterday")


def test_the_prune_task_run_twice_leaves_the_same_state():
    member = UserFactory()
    old = notification(member)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    kept = notification(member)
    assert notifications_prune_task.delay().get() == 1
    assert notifications_prune_task.delay().get() == 0
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    out = StringIO()
    call_command("prune_notifications", stdout=out)
    assert out.getvalue().strip() == "notifications pruned: 0"


def test_both_jobs_are_scheduled():
    tasks = {path for path, _cron, _queue in SCHEDULES.values()}
    assert {"dashboard.tasks.generation_digest_build_task", "dashboard.tasks.notifications_prune_task"} <= tasks
