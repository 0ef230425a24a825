"""Staff promotional distributions: recipients, caps, accounts, idempotency, permission, audit, history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import User
from accounts.tests.factories import UserFactory, staff_member
from earnings.distributions import (
    RecipientFilter,
    distribution_pay,
    distribution_preview,
    usernames_parse,
)
from earnings.models import Distribution, DistributionPayout
from earnings.reconcile import member_totals_reconcile
from earnings.selectors import earnings_summary
from earnings.tests.factories import member
from phonix.exceptions import DistributionRefused, IdempotencyConflict, InvalidAmount, NotPermitted
from phonix.models import AuditLog
from ranks.models import Rank, RankCode
from wallet.ledger.descriptions import history_description
from wallet.ledger.history import member_balance
from wallet.models import AccountCode, Transaction
from wallet.tests.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db

D = Decimal
PERMISSION = "earnings.distribute_promotion"


@pytest.fixture
def staff():
    return staff_member(PERMISSION)


def pay(staff, *, key="k1", recipients=None, amount="5", account="main", reason="Launch week"):
    return distribution_pay(actor=staff, key=key, recipients=recipients or RecipientFilter(), amount=amount,
                            account=account, reason=reason)


def test_main_payout_is_cut_to_each_members_cap_room_and_counts_as_earnings(staff):
    # invested 100 → cap 300: room 300, 2 and 0.
    roomy, tight, full = member(invested=100), member(invested=100, earned=298), member(invested=100, earned=300)
    poor = member()  # nothing invested: no room at all
    result = pay(staff, recipients=RecipientFilter(active_investors=False), amount="5")
    distribution = result.distribution
    paid = dict(DistributionPayout.objects.filter(distribution=distribution).values_list("user_id", "amount"))
    capped = dict(DistributionPayout.objects.filter(distribution=distribution).values_list("user_id", "capped_amount"))
    assert paid == {roomy.pk: D(5), tight.pk: D(2), full.pk: D(0), poor.pk: D(0)}
    assert capped == {roomy.pk: D(0), tight.pk: D(3), full.pk: D(5), poor.pk: D(5)}
    assert (distribution.recipients, distribution.paid_count) == (4, 2)
    assert (distribution.paid_total, distribution.capped_total) == (D(7), D(13))
    assert member_balance(user=roomy, code=AccountCode.MAIN) == D(5)
    assert member_balance(user=tight, code=AccountCode.MAIN) == D(2)
    assert member_balance(user=full, code=AccountCode.MAIN) == D(0)
    assert User.objects.get(pk=tight.pk).total_earnings == D(300)
    assert_ledger_invariants()


def test_member_totals_reconcile_counts_promotions_to_main_only(staff):
    one = member(invested=100)
    pay(staff, key="to-main", amount="5")
    pay(staff, key="to-bonus", amount="3", account="bonus")
    assert User.objects.get(pk=one.pk).total_earnings == D(5)
    assert member_totals_reconcile().ok


def test_bonus_payout_is_not_capped_and_leaves_earnings_alone(staff):
    full, poor = member(invested=100, earned=300), member()
    distribution = pay(staff, account="bonus", amount="2.5").distribution
    assert (distribution.paid_total, distribution.capped_total) == (D(5), D(0))
    for user in (full, poor):
        assert member_balance(user=user, code=AccountCode.BONUS) == D("2.5")
        assert member_balance(user=user, code=AccountCode.MAIN) == D(0)
    assert User.objects.get(pk=full.pk).total_earnings == D(300)
    assert_ledger_invariants()


def test_a_resubmit_with_the_same_key_pays_nothing_more(staff):
    one = member(invested=100)
    first = pay(staff)
    again = pay(staff)
    assert first.created and not again.created
    assert again.distribution.pk == first.distribution.pk
    assert member_balance(user=one, code=AccountCode.MAIN) == D(5)
    assert Transaction.objects.filter(user=one, type=Transaction.Type.PROMOTION).count() == 1
    assert AuditLog.objects.filter(action=AuditLog.Action.PROMOTION_DISTRIBUTE).count() == 1


def test_the_same_key_with_other_terms_is_refused(staff):
    member(invested=100)
    pay(staff)
    with pytest.raises(IdempotencyConflict):
        pay(staff, amount="6")
    assert Distribution.objects.count() == 1


def test_filters_choose_by_rank_investor_status_joining_dates_and_usernames(staff):
    old, new, ranked, investor = UserFactory(), UserFactory(), UserFactory(), member(invested=60)
    User.objects.filter(pk=old.pk).update(joined_at=dt.datetime(2020, 1, 5, 23, 59, tzinfo=dt.UTC))
    User.objects.filter(pk=new.pk).update(joined_at=dt.datetime(2020, 1, 6, 0, 0, tzinfo=dt.UTC))
    Rank.objects.update_or_create(user=ranked, defaults={"current_rank": RankCode.BUILDER})

    def chosen(recipients):
        return distribution_preview(recipients=recipients, amount="1", account="bonus").recipients

    assert chosen(RecipientFilter(rank=RankCode.BUILDER)) == 1
    assert chosen(RecipientFilter(active_investors=True)) == 1
    assert chosen(RecipientFilter(joined_from=dt.date(2020, 1, 6), joined_to=dt.date(2020, 1, 6))) == 1
    assert chosen(RecipientFilter(joined_to=dt.date(2020, 1, 5))) == 1
    assert chosen(RecipientFilter(usernames=(old.username.upper(), investor.username))) == 2
    # staff never receive: the distributing staff member is not counted among all members
    assert chosen(RecipientFilter()) == 4
    assert chosen(RecipientFilter(rank=RankCode.NONE)) == 3


def test_preview_counts_the_total_and_the_cut_without_paying(staff):
    member(invested=100, earned=298)
    member(invested=100)
    preview = distribution_preview(recipients=RecipientFilter(), amount="5", account="main")
    assert (preview.recipients, preview.total, preview.payable, preview.capped) == (2, D(10), D(7), D(3))
    assert not Distribution.objects.exists() and not Transaction.objects.filter(type="promotion").exists()


def test_members_see_it_in_their_history_as_a_promotion_with_the_reason(staff):
    one = member(invested=100)
    pay(staff, reason="Launch week")
    line = Transaction.objects.select_related("ledger_transaction").get(user=one, type=Transaction.Type.PROMOTION)
    assert history_description(line) == "Promotion: Launch week"
    assert line.get_type_display() == "Promotion"
    assert line.ledger_transaction.idempotency_key.startswith("promotion:")
    summary = earnings_summary(user=one)
    assert (summary.promotion, summary.registration_bonus) == (D(5), D(0))
    with translation.override("zh-hans"):
        assert history_description(line) == "推广奖励：Launch week"


def test_the_audit_row_names_the_staff_member_and_the_totals(staff):
    member(invested=100)
    distribution = pay(staff, reason="Launch week").distribution
    row = AuditLog.objects.get(action=AuditLog.Action.PROMOTION_DISTRIBUTE)
    assert (row.actor_id, row.target, row.reason) == (staff.pk, f"distribution:{distribution.pk}", "Launch week")
    assert row.after["paid_total"] == "5.000000" and row.after["recipients"] == 1


def test_staff_without_the_permission_are_refused_and_nothing_is_written():
    member(invested=100)
    with pytest.raises(NotPermitted, match="Can distribute promotional income"):
        pay(staff_member())
    assert not Distribution.objects.exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.PROMOTION_DISTRIBUTE).exists()


@pytest.mark.parametrize("terms, message", [
    ({"amount": "0"}, "zero"),
    ({"amount": "1e3"}, None),
    ({"amount": "-5"}, None),
    ({"amount": "1.0000001"}, None),
    ({"account": "withdrawal_hold"}, "main or the bonus"),
    ({"reason": "  "}, "reason is required"),
    ({"recipients": RecipientFilter(usernames=("nobody-here",))}, "nobody-here"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(staff, terms, message):
    one = member(invested=100)
    with pytest.raises((InvalidAmount, DistributionRefused), match=message):
        pay(staff, **terms)
    assert not Distribution.objects.exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.PROMOTION_DISTRIBUTE).exists()
    assert member_balance(user=one, code=AccountCode.MAIN) == D(0)


def test_a_filter_that_cannot_hold_is_refused():
    with pytest.raises(DistributionRefused, match="after the last"):
        RecipientFilter(joined_from=dt.date(2030, 2, 1), joined_to=dt.date(2030, 1, 1))
    with pytest.raises(DistributionRefused, match="Unknown rank"):
        RecipientFilter(rank="emperor")


def test_pasted_usernames_split_on_lines_commas_and_spaces():
    assert usernames_parse("alice\nbob, carol  alice\n\n") == ("alice", "bob", "carol")
