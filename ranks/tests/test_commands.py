import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from accounts.tests.factories import UserFactory
from ranks.models import MemberVolume, Rank, WeeklyBonus
from ranks.tests.factories import invest

pytestmark = pytest.mark.django_db


def _a_week_later(sponsor) -> dt.date:
    """Move the promotion's first bonus week back a week, as if the check had run last Sunday."""
    Rank.objects.filter(user=sponsor).update(bonus_start_week=F("bonus_start_week") - dt.timedelta(weeks=1))
    first_week = Rank.objects.get(user=sponsor).bonus_start_week
    assert first_week is not None
    return first_week


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _connector() -> object:
    sponsor = UserFactory.create()
    invest(sponsor, "1000")
    invest(UserFactory.create(sponsor=sponsor), "5000")
    invest(UserFactory.create(sponsor=sponsor), "5000")
    return sponsor


def test_check_ranks_dry_run_reports_and_changes_nothing():
    _connector()
    out = _run("check_ranks", "--dry-run")
    assert "DRY RUN — would promote 1 of 1" in out and "connector 1" in out
    assert not Rank.objects.exists()
    assert "promoted 1 of 1" in _run("check_ranks")
    assert "promoted 0 of 1" in _run("check_ranks")


def test_pay_weekly_bonuses_for_a_given_week_then_again():
    sponsor = _connector()
    _run("check_ranks")
    week = _a_week_later(sponsor)
    label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
    assert "would settle 1 bonus weeks" in _run("pay_weekly_bonuses", "--week", label, "--dry-run")
    assert not WeeklyBonus.objects.exists()
    out = _run("pay_weekly_bonuses", "--week", label)
    assert f"settled 1 bonus weeks up to {label} for 1 members: paid 50" in out
    assert "settled 0 bonus weeks" in _run("pay_weekly_bonuses", "--week", label)


def test_pay_weekly_bonuses_refuses_a_malformed_week():
    with pytest.raises(CommandError, match="2025-W07"):
        _run("pay_weekly_bonuses", "--week", "2025-07-03")


def test_recompute_leg_volumes_is_quiet_when_right_and_fails_on_drift():
    sponsor = _connector()
    assert "OK — 3 members with volume, 0 differences" in _run("recompute_leg_volumes")
    MemberVolume.objects.filter(user=sponsor).update(group_volume=2000)
    with pytest.raises(CommandError, match="1 differences, left as they are"):
        _run("recompute_leg_volumes", "--dry-run")
    with pytest.raises(CommandError, match="1 differences, repaired"):
        _run("recompute_leg_volumes")
    assert "0 differences" in _run("recompute_leg_volumes")
    assert MemberVolume.objects.get(user=sponsor).group_volume == 11000


def test_setup_periodic_tasks_schedules_the_rank_jobs():
    from django_celery_beat.models import PeriodicTask

    _run("setup_periodic_tasks")
    check = PeriodicTask.objects.get(name="check-ranks")
    assert check.task == "ranks.tasks.ranks_check_task"
    assert (check.crontab.hour, check.crontab.minute, check.crontab.day_of_week) == ("23", "0", "0")
    weekly = PeriodicTask.objects.get(name="pay-weekly-bonuses")
    assert weekly.task == "ranks.tasks.weekly_bonuses_pay_task"
    assert (weekly.crontab.hour, weekly.crontab.minute, weekly.crontab.day_of_week) == ("0", "0", "1")
    assert str(weekly.crontab.timezone) == "UTC"


def test_a_week_given_as_any_day_settles_that_iso_week():
    from ranks.tasks import weekly_bonuses_pay_task

    sponsor = _connector()
    _run("check_ranks")
    start = _a_week_later(sponsor)
    result = weekly_bonuses_pay_task.delay((start + dt.timedelta(days=4)).isoformat()).get()
    assert result["members"] == 1 and result["paid"] == "50.000000"


def test_pay_weekly_bonuses_refuses_a_future_week():
    next_year = dt.date.today().isocalendar()[0] + 1
    with pytest.raises(CommandError, match="not begun"):
        _run("pay_weekly_bonuses", "--week", f"{next_year}-W02")
