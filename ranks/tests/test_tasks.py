import datetime as dt

import pytest
from django.db.models import F

from accounts.tests.factories import UserFactory
from ranks.models import Rank, RankAchievement, WeeklyBonus
from ranks.tasks import leg_volumes_recompute_task, ranks_check_task, weekly_bonuses_pay_task
from ranks.tests.factories import invest
from wallet.tests.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db


def _a_week_later(sponsor) -> dt.date:
    """Move the promotion's first bonus week back a week, as if the check had run last Sunday."""
    Rank.objects.filter(user=sponsor).update(bonus_start_week=F("bonus_start_week") - dt.timedelta(weeks=1))
    first_week = Rank.objects.get(user=sponsor).bonus_start_week
    assert first_week is not None
    return first_week


def _state() -> tuple:
    return (
        sorted(Rank.objects.values_list("user_id", "current_rank", "weeks_remaining", "last_paid_week")),
        RankAchievement.objects.count(),
        sorted(WeeklyBonus.objects.values_list("user_id", "week", "paid_amount")),
    )


def test_every_rank_task_run_twice_leaves_the_same_state():
    sponsor = UserFactory()
    invest(sponsor, "1000")
    invest(UserFactory(sponsor=sponsor), "10000")
    invest(UserFactory(sponsor=sponsor), "10000")

    assert ranks_check_task.delay().get() == {"checked": 1, "promoted": 1, "overdue_weeks": 0}
    first = _state()
    assert ranks_check_task.delay().get() == {"checked": 1, "promoted": 0, "overdue_weeks": 0}
    assert _state() == first

    week = _a_week_later(sponsor).isoformat()
    assert weekly_bonuses_pay_task.delay(week).get()["paid"] == "200.000000"
    paid = _state()
    assert weekly_bonuses_pay_task.delay(week).get()["paid"] == "0"
    assert _state() == paid
    assert Rank.objects.get(user=sponsor).weeks_remaining == 51

    assert leg_volumes_recompute_task.delay().get() == 0
    assert leg_volumes_recompute_task.delay().get() == 0
    assert_ledger_invariants()
