import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db.models import Sum

from accounts.models import User
from accounts.tests.factories import UserFactory
from investment.models import Subscription
from investment.selectors import plan_current
from phonix.exceptions import FuturePeriod
from ranks.models import MemberVolume, Rank, RankAchievement, RankCode, WeeklyBonus
from ranks.selectors import leg_volumes_for, member_legs
from ranks.services import leg_volumes_recompute, ranks_check, weekly_bonuses_pay
from ranks.tests.factories import invest, subscription_row
from ranks.weeks import iso_week_label, parse_iso_week
from wallet.ledger.accounts import member_account
from wallet.ledger.reconciliation import ledger_reconcile
from wallet.models import AccountCode, LedgerTransaction, Transaction

# Every test here moves money or reads what moved it: the ledger's invariants hold after each.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]

SUNDAY = dt.datetime(2025, 3, 2, 23, 0, tzinfo=dt.UTC)  # rank check time
FIRST_MONDAY = dt.date(2025, 3, 3)  # ISO 2025-W10, the first week a promotion at SUNDAY is paid


def week(n: int) -> dt.date:
    """The n-th Monday counted from FIRST_MONDAY (0 = FIRST_MONDAY)."""
    return FIRST_MONDAY + dt.timedelta(weeks=n)


def ranked(main: str, other: str, *, own: str = "100000"):
    """A sponsor with two legs of the given volumes, checked at SUNDAY; returns the sponsor."""
    sponsor = UserFactory.create()
    invest(sponsor, own)
    invest(UserFactory.create(sponsor=sponsor), main)
    if Decimal(other):
        invest(UserFactory.create(sponsor=sponsor), other)
    ranks_check(now=SUNDAY)
    return sponsor


def main_balance(user) -> Decimal:
    return member_account(user_id=user.pk, code=AccountCode.MAIN).balance


# Leg volumes ---------------------------------------------------------------------------------


def _brute_force_groups(members: list[User], personal: dict[int, Decimal]) -> dict[int, Decimal]:
    """Group volume by walking sponsors in Python, independent of the SQL under test."""
    parent = {m.pk: m.referred_by_id for m in members}
    groups = {m.pk: Decimal(0) for m in members}
    for member_id, amount in personal.items():
        node: int | None = member_id
        while node is not None:
            groups[node] += amount
            node = parent[node]
    return groups


def test_leg_volumes_on_a_hand_built_tree_of_30_members_with_purchases_at_depths_1_to_25():
    chain = [UserFactory()]
    for _ in range(25):
        chain.append(UserFactory(sponsor=chain[-1]))  # depths 0 … 25
    side_a = UserFactory(sponsor=chain[0])
    side_b = UserFactory(sponsor=chain[5])
    side_c = UserFactory(sponsor=chain[12])
    side_d = UserFactory(sponsor=side_a)
    members = [*chain, side_a, side_b, side_c, side_d]
    assert len(members) == 30
    personal: dict[int, Decimal] = {}
    for depth in range(1, 26):
        amount = Decimal(100 * depth) + Decimal("0.000001") * depth
        invest(chain[depth], amount)
        personal[chain[depth].pk] = amount
    for member, amount in ((side_a, "700"), (side_b, "50"), (side_c, "5000"), (side_d, "333.333333")):
        invest(member, amount)
        personal[member.pk] = Decimal(amount)
    invest(chain[25], "1")  # a second purchase by the deepest member
    personal[chain[25].pk] += 1

    expected = _brute_force_groups(members, personal)
    stored = dict(MemberVolume.objects.values_list("user_id", "group_volume"))
    assert {pk: stored.get(pk, Decimal(0)) for pk in expected} == expected
    total = sum(personal.values())
    assert stored[chain[0].pk] == total
    assert stored[chain[25].pk] == Decimal("2501.000025")

    # The root's legs: the long chain (main) and side_a with side_d (other).
    legs = member_legs(user_id=chain[0].pk)
    assert legs.main == expected[chain[1].pk]
    assert legs.other == Decimal("1033.333333")
    # chain[5] has two legs: chain[6] (everything below) and side_b (50).
    legs = member_legs(user_id=chain[5].pk)
    assert (legs.main, legs.other) == (expected[chain[6].pk], Decimal("50"))
    assert leg_volumes_for([chain[1].pk, side_a.pk, side_b.pk]) == {
        chain[1].pk: expected[chain[1].pk], side_a.pk: Decimal("1033.333333"), side_b.pk: Decimal("50"),
    }

    result = leg_volumes_recompute()
    assert result.differences == 0
    assert result.members == 30


def test_recompute_reports_and_repairs_a_drifted_volume():
    sponsor = UserFactory()
    child = UserFactory(sponsor=sponsor)
    invest(child, "500")
    MemberVolume.objects.filter(user=sponsor).update(group_volume=Decimal("999"))
    subscription_row(UserFactory(sponsor=child), "70")  # a purchase the volumes never saw

    dry = leg_volumes_recompute(dry_run=True)
    assert dry.differences == 3 and not dry.repaired
    assert MemberVolume.objects.get(user=sponsor).group_volume == Decimal("999")

    result = leg_volumes_recompute()
    assert result.differences == 3 and result.repaired
    assert MemberVolume.objects.get(user=sponsor).group_volume == Decimal("570")
    assert MemberVolume.objects.get(user=child).group_volume == Decimal("570")
    assert leg_volumes_recompute().differences == 0


# Rank check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("main", "other", "rank"),
    [
        ("4999.99", "4999.99", RankCode.NONE),
        ("4999.99", "5000", RankCode.NONE),
        ("5000", "4999.99", RankCode.NONE),
        ("5000", "5000", RankCode.CONNECTOR),
        ("9999.999999", "10000", RankCode.CONNECTOR),
        ("10000", "10000", RankCode.BUILDER),
        ("200000", "200000", RankCode.CROWN),
    ],
)
def test_rank_thresholds_need_both_the_main_leg_and_the_other_legs(main, other, rank):
    sponsor = ranked(main, other)
    record = Rank.objects.get(user=sponsor)
    assert record.current_rank == rank
    assert record.main_leg_volume == max(Decimal(main), Decimal(other))
    assert record.other_legs_volume == min(Decimal(main), Decimal(other))
    if rank == RankCode.NONE:
        assert (record.weeks_remaining, record.weekly_bonus_amount) == (0, 0)
        assert not RankAchievement.objects.filter(user=sponsor).exists()
    else:
        assert record.weeks_remaining == 52
        assert record.bonus_start_week == FIRST_MONDAY
        assert record.rank_achieved_at == SUNDAY
        assert RankAchievement.objects.get(user=sponsor).rank == rank


def test_other_legs_sum_every_leg_but_the_largest():
    sponsor = UserFactory()
    for amount in ("6000", "2000", "2000", "1000.5"):
        invest(UserFactory(sponsor=sponsor), amount)
    result = ranks_check(now=SUNDAY)
    record = Rank.objects.get(user=sponsor)
    assert (record.main_leg_volume, record.other_legs_volume) == (Decimal("6000"), Decimal("5000.5"))
    assert record.current_rank == RankCode.CONNECTOR
    assert result.promotions == {RankCode.CONNECTOR: 1}


def test_a_rank_is_not_lost_when_the_volume_no_longer_qualifies():
    sponsor = ranked("12000", "12000")
    assert Rank.objects.get(user=sponsor).current_rank == RankCode.BUILDER
    # A purchase is reversed: the rebuilt volumes drop below every threshold.
    Subscription.objects.filter(user__referred_by=sponsor).update(amount=Decimal("100"), earnings_cap=300)
    leg_volumes_recompute()
    result = ranks_check(now=SUNDAY + dt.timedelta(weeks=1))
    record = Rank.objects.get(user=sponsor)
    assert record.current_rank == RankCode.BUILDER
    assert result.promoted == 0
    # The week-one bonus nobody paid on Monday was settled by the check; the rest still runs.
    assert result.overdue_weeks_settled == 1
    assert (record.weekly_bonus_amount, record.weeks_remaining) == (Decimal("200"), 51)
    assert (record.main_leg_volume, record.other_legs_volume) == (Decimal("100"), Decimal("100"))


def test_weeks_owed_at_the_old_rank_are_paid_at_the_old_amount_before_a_promotion():
    sponsor = ranked("6000", "6000")
    weekly_bonuses_pay(week=week(0))  # weeks 1 and 2 are missed
    leg = User.objects.filter(referred_by=sponsor).order_by("pk").first()
    invest(UserFactory(sponsor=leg), "4000")
    invest(UserFactory(sponsor=sponsor), "4000")  # main 10,000, other 10,000 → builder
    result = ranks_check(now=SUNDAY + dt.timedelta(weeks=3))
    assert (result.promoted, result.overdue_weeks_settled) == (1, 2)
    paid = list(WeeklyBonus.objects.filter(user=sponsor).order_by("week").values_list("rank", "paid_amount"))
    assert paid == [(RankCode.CONNECTOR, Decimal(50))] * 3
    record = Rank.objects.get(user=sponsor)
    assert (record.current_rank, record.weeks_remaining, record.bonus_start_week) == (RankCode.BUILDER, 52, week(3))
    weekly_bonuses_pay(week=week(3))
    assert WeeklyBonus.objects.get(user=sponsor, week=week(3)).paid_amount == Decimal(200)


def test_promotion_resets_to_52_weeks_at_the_new_amount():
    sponsor = ranked("6000", "6000")
    for n in range(3):
        weekly_bonuses_pay(week=week(n))
    record = Rank.objects.get(user=sponsor)
    assert (record.current_rank, record.weeks_remaining) == (RankCode.CONNECTOR, 49)

    leg = User.objects.filter(referred_by=sponsor).order_by("pk").first()
    invest(UserFactory(sponsor=leg), "14000")  # main 20,000, other 6,000 → builder needs 10,000
    invest(UserFactory(sponsor=sponsor), "4000")  # other 10,000
    promoted_at = SUNDAY + dt.timedelta(weeks=3)  # the Sunday after week 2 was paid
    ranks_check(now=promoted_at)
    record.refresh_from_db()
    assert record.current_rank == RankCode.BUILDER
    assert (record.weekly_bonus_amount, record.weeks_remaining) == (Decimal("200"), 52)
    assert record.bonus_start_week == week(3)
    assert record.rank_achieved_at == promoted_at
    assert list(RankAchievement.objects.filter(user=sponsor).order_by("achieved_at")
                .values_list("rank", flat=True)) == [RankCode.CONNECTOR, RankCode.BUILDER]

    weekly_bonuses_pay(week=week(3))
    record.refresh_from_db()
    assert record.weeks_remaining == 51
    assert WeeklyBonus.objects.get(user=sponsor, week=week(3)).paid_amount == Decimal("200")
    assert main_balance(sponsor) == Decimal("350")  # 3 × 50 + 200


# Weekly bonuses ------------------------------------------------------------------------------


def test_weekly_bonus_is_paid_through_the_ledger_and_counted_in_total_earnings():
    sponsor = ranked("5000", "5000")
    result = weekly_bonuses_pay(week=FIRST_MONDAY + dt.timedelta(days=3))  # any day of the week
    assert (result.week, result.members, result.paid, result.capped) == ("2025-W10", 1, Decimal(50), 0)

    bonus = WeeklyBonus.objects.get(user=sponsor)
    assert (bonus.iso_week, bonus.rank, bonus.paid_amount, bonus.capped_amount) == (
        "2025-W10", RankCode.CONNECTOR, Decimal(50), Decimal(0))
    posting = LedgerTransaction.objects.get(idempotency_key=f"weekly:2025-W10:members:{sponsor.pk}-{sponsor.pk}")
    assert posting.kind == LedgerTransaction.Kind.WEEKLY_BONUS
    assert bonus.ledger_transaction == posting
    assert sorted(e.amount for e in posting.entries.all()) == [Decimal(-50), Decimal(50)]
    assert Transaction.objects.get(user=sponsor, type=Transaction.Type.WEEKLY_BONUS).amount == 50
    assert main_balance(sponsor) == Decimal(50)
    sponsor.refresh_from_db()
    assert sponsor.total_earnings == Decimal(50)
    assert Rank.objects.get(user=sponsor).weeks_remaining == 51
    assert ledger_reconcile().ok


def test_nothing_is_paid_before_the_week_after_the_promotion():
    sponsor = ranked("5000", "5000")
    assert weekly_bonuses_pay(week=week(-1)).members == 0
    assert not WeeklyBonus.objects.filter(user=sponsor).exists()


def test_the_52nd_week_is_the_last():
    sponsor = ranked("5000", "5000")
    for n in range(53):
        weekly_bonuses_pay(week=week(n))
    weeks = list(WeeklyBonus.objects.filter(user=sponsor).order_by("week").values_list("week", flat=True))
    assert len(weeks) == 52
    assert weeks[0] == week(0) and weeks[-1] == week(51)
    record = Rank.objects.get(user=sponsor)
    assert (record.weeks_remaining, record.last_paid_week) == (0, week(51))
    assert main_balance(sponsor) == Decimal(52 * 50)
    assert weekly_bonuses_pay(week=week(60)).members == 0


def test_missed_mondays_are_caught_up_by_the_next_run_but_never_beyond_52_weeks():
    sponsor = ranked("5000", "5000")
    weekly_bonuses_pay(week=week(0))
    result = weekly_bonuses_pay(week=week(3))  # weeks 1 and 2 were missed
    assert (result.weeks_settled, result.paid) == (3, Decimal(150))
    assert list(WeeklyBonus.objects.filter(user=sponsor).order_by("week").values_list("iso_week", flat=True)) == [
        "2025-W10", "2025-W11", "2025-W12", "2025-W13"]
    result = weekly_bonuses_pay(week=week(80))
    assert result.weeks_settled == 48
    assert WeeklyBonus.objects.filter(user=sponsor).count() == 52
    assert Rank.objects.get(user=sponsor).weeks_remaining == 0


def test_a_bonus_over_the_3x_cap_is_cut_and_the_cut_is_recorded():
    sponsor = ranked("5000", "5000", own="100")  # cap 300
    User.objects.filter(pk=sponsor.pk).update(total_earnings=Decimal("280"))
    weekly_bonuses_pay(week=week(0))
    bonus = WeeklyBonus.objects.get(user=sponsor, week=week(0))
    assert (bonus.paid_amount, bonus.capped_amount) == (Decimal(20), Decimal(30))
    assert bonus.plan_version == plan_current()  # whose cap multiple (3) applied
    assert "cap" in Transaction.objects.get(user=sponsor, type=Transaction.Type.WEEKLY_BONUS).description

    result = weekly_bonuses_pay(week=week(1))  # nothing left under the cap; the week still counts
    assert (result.paid, result.capped) == (0, Decimal(50))
    bonus = WeeklyBonus.objects.get(user=sponsor, week=week(1))
    assert (bonus.paid_amount, bonus.capped_amount, bonus.ledger_transaction) == (0, Decimal(50), None)
    sponsor.refresh_from_db()
    assert sponsor.total_earnings == Decimal(300)
    assert main_balance(sponsor) == Decimal(20)
    assert Rank.objects.get(user=sponsor).weeks_remaining == 50
    assert ledger_reconcile().ok


def test_a_member_with_nothing_invested_earns_no_bonus():
    sponsor = ranked("5000", "5000", own="0")
    result = weekly_bonuses_pay(week=week(0))
    assert (result.paid, result.capped) == (0, Decimal(50))
    assert main_balance(sponsor) == 0


def test_catch_up_respects_the_cap_across_the_weeks_it_settles():
    sponsor = ranked("5000", "5000", own="40")  # cap 120
    weekly_bonuses_pay(week=week(2))
    paid = list(WeeklyBonus.objects.filter(user=sponsor).order_by("week").values_list("paid_amount", flat=True))
    assert paid == [Decimal(50), Decimal(50), Decimal(20)]
    assert WeeklyBonus.objects.filter(user=sponsor).aggregate(c=Sum("capped_amount"))["c"] == Decimal(30)


def test_each_week_of_a_catch_up_names_the_ledger_transaction_that_paid_it():
    first, second = ranked("5000", "5000"), ranked("5000", "5000", own="40")  # the second's cap: 120
    weekly_bonuses_pay(week=week(2))
    for member, paid in ((first, [50, 50, 50]), (second, [50, 50, 20])):
        bonuses = list(WeeklyBonus.objects.filter(user=member).select_related("ledger_transaction").order_by("week"))
        assert [b.paid_amount for b in bonuses] == [Decimal(n) for n in paid]
        for bonus in bonuses:
            posting = bonus.ledger_transaction
            assert posting.idempotency_key == f"weekly:{bonus.iso_week}:members:{first.pk}-{second.pk}"
            assert posting.entries.get(account__user=member).amount == bonus.paid_amount
    lines = Transaction.objects.filter(user=second, type=Transaction.Type.WEEKLY_BONUS).order_by("id")
    assert [line.description for line in lines] == [
        "Weekly bonus 2025-W10 (Connector)", "Weekly bonus 2025-W11 (Connector)",
        "Weekly bonus 2025-W12 (Connector); 30.000000 not paid: 3× cap reached"]
    assert [line.ledger_transaction_id for line in lines] == list(
        WeeklyBonus.objects.filter(user=second).order_by("week").values_list("ledger_transaction_id", flat=True))
    assert ledger_reconcile().ok


def test_a_week_with_a_bonus_row_already_is_skipped_not_paid_twice():
    settled, other = ranked("5000", "5000"), ranked("5000", "5000")
    weekly_bonuses_pay(week=week(0))
    # The rank says week 1 is owed, but its bonus row exists (as if written without the rank's update).
    WeeklyBonus.objects.create(user=settled, week=week(1), iso_week=iso_week_label(week(1)),
                               rank=RankCode.CONNECTOR, amount=50, paid_amount=50)
    result = weekly_bonuses_pay(week=week(1))
    assert (result.members, result.weeks_settled, result.paid) == (1, 1, Decimal(50))
    assert (main_balance(settled), main_balance(other)) == (Decimal(50), Decimal(100))
    assert Rank.objects.get(user=settled).last_paid_week == week(0)
    assert Rank.objects.get(user=other).last_paid_week == week(1)
    assert ledger_reconcile().ok


def test_a_claim_that_collides_undoes_the_whole_chunk_payments_with_it(monkeypatch):
    settled, other = ranked("5000", "5000"), ranked("5000", "5000")
    weekly_bonuses_pay(week=week(0))
    WeeklyBonus.objects.create(user=settled, week=week(1), iso_week=iso_week_label(week(1)),
                               rank=RankCode.CONNECTOR, amount=50, paid_amount=50)
    # As if another writer inserted the row between the look-up and the claim.
    monkeypatch.setattr("ranks.services._unsettled", lambda rows: rows)
    postings = LedgerTransaction.objects.count()
    with pytest.raises(IntegrityError):
        weekly_bonuses_pay(week=week(1))
    assert LedgerTransaction.objects.count() == postings
    assert (main_balance(settled), main_balance(other)) == (Decimal(50), Decimal(50))
    assert not WeeklyBonus.objects.filter(user=other, week=week(1)).exists()
    assert Rank.objects.get(user=other).last_paid_week == week(0)


def test_dry_runs_change_nothing():
    sponsor = UserFactory()
    invest(UserFactory(sponsor=sponsor), "5000")
    invest(UserFactory(sponsor=sponsor), "5000")
    result = ranks_check(now=SUNDAY, dry_run=True)
    assert result.promotions == {RankCode.CONNECTOR: 1}
    assert not Rank.objects.exists()
    ranks_check(now=SUNDAY)
    result = weekly_bonuses_pay(week=week(0), dry_run=True)
    assert result.paid == 0 and result.capped == Decimal(50) and result.dry_run  # nothing invested
    assert not WeeklyBonus.objects.exists()
    assert Rank.objects.get(user=sponsor).weeks_remaining == 52


def test_a_week_that_has_not_begun_is_refused():
    ranked("5000", "5000")
    next_week = dt.date.today() + dt.timedelta(days=7)
    with pytest.raises(FuturePeriod):
        weekly_bonuses_pay(week=next_week)
    assert not WeeklyBonus.objects.exists()


def test_iso_week_labels_round_trip():
    assert iso_week_label(dt.date(2024, 12, 30)) == "2025-W01"
    assert parse_iso_week("2025-W01") == dt.date(2024, 12, 30)
    assert parse_iso_week("2026-W53") == dt.date(2026, 12, 28)
