"""Every rank job run twice and at once leaves the same state; purchases racing never lose volume."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from ranks.models import MemberVolume, Rank, RankAchievement, WeeklyBonus
from ranks.services import leg_volumes_recompute, ranks_check, weekly_bonuses_pay
from ranks.tests.factories import invest
from wallet.models import LedgerEntry, LedgerTransaction
from wallet.tests.conftest import assert_ledger_invariants, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

SUNDAY = dt.datetime(2025, 3, 2, 23, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2025, 3, 3)


def _network() -> list:
    """Five sponsors of which four reach a rank; returns the sponsors."""
    sponsors = []
    for main, other, own in (("5000", "5000", "1000"), ("12000", "10000", "20"), ("50000", "60000", "900"),
                             ("4000", "9000", "500"), ("200000", "250000", "100000")):
        sponsor = UserFactory.create()
        invest(sponsor, own)
        invest(UserFactory.create(sponsor=sponsor), main)
        invest(UserFactory.create(sponsor=sponsor), other)
        sponsors.append(sponsor)
    return sponsors


def _state() -> tuple:
    ranks = sorted(Rank.objects.values_list("user_id", "current_rank", "weekly_bonus_amount", "weeks_remaining",
                                            "bonus_start_week", "last_paid_week", "rank_achieved_at"))
    history = sorted(RankAchievement.objects.values_list("user_id", "rank"))
    bonuses = sorted(WeeklyBonus.objects.values_list("user_id", "week", "paid_amount", "capped_amount"))
    volumes = sorted(MemberVolume.objects.values_list("user_id", "personal_volume", "group_volume"))
    return ranks, history, bonuses, volumes, LedgerTransaction.objects.count()


def test_concurrent_purchases_under_one_upline_add_up_without_deadlock():
    root = UserFactory()
    left, right = UserFactory(sponsor=root), UserFactory(sponsor=root)
    buyers = [UserFactory(sponsor=left if i % 2 else right) for i in range(12)]

    results = run_in_threads(24, lambda i: invest(buyers[i % 12], "100.5"))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert MemberVolume.objects.get(user=root).group_volume == Decimal("2412")
    assert MemberVolume.objects.get(user=left).group_volume == Decimal("1206")
    assert leg_volumes_recompute().differences == 0


def test_rank_check_twice_and_concurrently_gives_the_same_state():
    _network()
    ranks_check(now=SUNDAY)
    once = _state()
    ranks_check(now=SUNDAY)
    assert _state() == once

    results = run_in_threads(4, lambda i: ranks_check(now=SUNDAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _state() == once
    assert RankAchievement.objects.count() == 4


def test_concurrent_first_rank_checks_promote_each_member_once():
    _network()
    results = run_in_threads(4, lambda i: ranks_check(now=SUNDAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.promoted for r in results) == 4
    assert RankAchievement.objects.count() == 4


def test_weekly_bonuses_twice_and_concurrently_pay_each_week_once():
    _network()
    ranks_check(now=SUNDAY)
    weekly_bonuses_pay(week=MONDAY)
    once = _state()
    assert weekly_bonuses_pay(week=MONDAY).weeks_settled == 0
    assert _state() == once

    week_two = MONDAY + dt.timedelta(weeks=1)
    results = run_in_threads(4, lambda i: weekly_bonuses_pay(week=week_two))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.weeks_settled for r in results) == 4
    assert WeeklyBonus.objects.count() == 8
    # The builder with 20 invested (cap 60) got 60 of 200 in week one and nothing in week two.
    # Each week was paid in one ledger transaction, one entry per member paid, named by its rows.
    postings = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.WEEKLY_BONUS)
    assert postings.count() == 2
    assert LedgerEntry.objects.filter(transaction__in=postings, amount__gt=0).count() == 7
    paid = WeeklyBonus.objects.filter(paid_amount__gt=0)
    assert paid.count() == 7 and not paid.filter(ledger_transaction=None).exists()
    assert not WeeklyBonus.objects.filter(paid_amount=0).exclude(ledger_transaction=None).exists()
    assert list(WeeklyBonus.objects.filter(amount=200).order_by("week").values_list("paid_amount", "capped_amount")) == [
        (Decimal(60), Decimal(140)), (Decimal(0), Decimal(200))]
    assert sorted(Rank.objects.exclude(weeks_remaining=0).values_list("weeks_remaining", flat=True)) == [50] * 4
    assert_ledger_invariants()


def test_recompute_while_purchases_run_finds_no_difference_afterwards():
    root = UserFactory()
    buyers = [UserFactory(sponsor=root) for _ in range(6)]

    def work(i: int):
        if i % 3 == 0:
            return leg_volumes_recompute()
        return invest(buyers[i % 6], "10")

    results = run_in_threads(12, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert leg_volumes_recompute().differences == 0
    assert MemberVolume.objects.get(user=root).group_volume == Decimal("80")
