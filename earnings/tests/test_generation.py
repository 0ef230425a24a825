import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from earnings.models import Commission
from earnings.services import GenerationCatchUpResult, generation_catch_up, generation_distribute
from earnings.tests.factories import member
from investment.models import PlanVersion, Subscription
from investment.tests.factories import buy
from phonix.models import StuckItem
from phonix.stuck import stuck_item_record
from wallet.ledger.accounts import platform_accounts_open
from wallet.ledger.history import member_balance
from wallet.models import AccountCode, LedgerTransaction, Transaction

pytestmark = pytest.mark.django_db

D = Decimal

# A hand-computed chain above a purchase of 1,000 USDT. Each row is one upline level, nearest
# first: (total direct referrals, invested, already earned, expected amount, expected reason).
# Directs required: L1–2 none, L3–4 2, L5–6 3, L7–8 4, L9–10 5, L11–12 6, L13–14 7, L15–16 8,
# L17–18 9, L19–20 10. Rates: 10, 5, 3, 2, 2, 1×5, 0.5×5, 0.3×5 %.
CHAIN = [
    (1, "100", None, "100", ""),  # L1 10 %, needs 0
    (1, None, None, "0", "inactive"),  # L2 never invested
    (1, "100", None, "0", "directs"),  # L3 needs 2
    (2, "100", None, "20", ""),  # L4 2 %
    (2, "100", None, "0", "directs"),  # L5 needs 3
    (5, "100", None, "10", ""),  # L6 1 %
    (5, "100", "300", "0", "cap"),  # L7 at its 3× cap
    (5, "100", "295", "5", ""),  # L8 cut from 10 to the 5 left
    (5, "100", None, "10", ""),  # L9 needs 5
    (2, "100", None, "0", "directs"),  # L10 needs 5
    (10, "100", None, "5", ""),  # L11 0.5 %
    (5, "100", None, "0", "directs"),  # L12 needs 6
    (10, "100", None, "5", ""),  # L13
    (10, "100", None, "5", ""),  # L14
    (10, "100", None, "5", ""),  # L15
    (10, "100", None, "3", ""),  # L16 0.3 %
    (10, "100", None, "3", ""),  # L17
    (5, "100", None, "0", "directs"),  # L18 needs 9
    (10, "100", None, "3", ""),  # L19
    (10, "100", None, "3", ""),  # L20
    (10, "100", None, None, None),  # L21 is never paid
    (10, "100", None, None, None),  # L22 is never paid
]


def build_chain():
    """Create the chain from the top (level 22) down; return the uplines nearest first and the buyer."""
    uplines, sponsor = [], None
    for directs, invested, earned, _amount, _reason in reversed(CHAIN):
        # The next member down the chain is one of the directs.
        sponsor = member(sponsor=sponsor, invested=invested, earned=earned, extra_directs=directs - 1)
        uplines.append(sponsor)
    buyer = member(sponsor=sponsor)
    return list(reversed(uplines)), buyer


def test_a_22_level_chain_pays_each_level_exactly_what_the_plan_says(invariants):
    uplines, buyer = build_chain()
    before = {u.pk: member_balance(user=u, code=AccountCode.MAIN) for u in uplines}
    earned_before = dict(User.objects.filter(pk__in=before).values_list("pk", "total_earnings"))
    subscription = buy(buyer, "1000")

    result = generation_distribute(subscription_id=subscription.pk)

    assert len(result.outcomes) == 20
    for level, (upline, row) in enumerate(zip(uplines, CHAIN, strict=True), start=1):
        _directs, _invested, _earned, amount, reason = row
        paid = member_balance(user=upline, code=AccountCode.MAIN) - before[upline.pk]
        if amount is None:  # levels 21 and 22
            assert paid == 0
            assert not Commission.objects.filter(user=upline).exists()
            continue
        commission = Commission.objects.get(source_subscription=subscription, level=level)
        assert commission.user_id == upline.pk
        assert (commission.amount, commission.skip_reason) == (D(amount), reason), f"level {level}"
        assert paid == D(amount), f"level {level}"
        assert User.objects.get(pk=upline.pk).total_earnings - earned_before[upline.pk] == D(amount)
    assert Commission.objects.get(source_subscription=subscription, level=8).capped_amount == D("5")
    assert Commission.objects.get(source_subscription=subscription, level=7).capped_amount == D("10")
    assert result.paid_total == sum(D(row[3]) for row in CHAIN[:20])
    assert Transaction.objects.filter(type=Transaction.Type.COMMISSION, subscription=subscription).count() == 13


def test_the_fan_out_runs_once_however_often_it_is_asked(invariants):
    sponsor = member(invested="100")
    subscription = buy(member(sponsor=sponsor), "200")
    first = generation_distribute(subscription_id=subscription.pk)
    second = generation_distribute(subscription_id=subscription.pk)
    assert not first.already_paid and second.already_paid
    generation_catch_up(older_than=dt.timedelta(0))  # pays only the sponsor's own purchase (no upline)
    assert Commission.objects.filter(source_subscription=subscription).count() == 1
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == D("20")
    assert LedgerTransaction.objects.filter(idempotency_key=f"gen:{subscription.pk}:1").count() == 1


def test_the_catch_up_pays_a_purchase_whose_message_was_lost(invariants):
    sponsor = member(invested="100")
    subscription = buy(member(sponsor=sponsor), "200")  # on_commit never fires inside a test transaction
    assert Subscription.objects.get(pk=subscription.pk).generation_paid_at is None
    assert generation_catch_up(older_than=dt.timedelta(0)).paid == 2  # the sponsor's purchase too
    assert Subscription.objects.get(pk=subscription.pk).generation_paid_at is not None
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == D("20")


def test_one_failing_purchase_does_not_hold_back_the_catch_up(invariants):
    sponsor = member(invested="100")
    broken = buy(member(sponsor=sponsor), "200")
    buy(member(sponsor=sponsor), "300")
    # A damaged row: a level-1 commission already exists, so this fan-out's insert fails.
    Commission.objects.create(
        user=sponsor, from_user=broken.user, level=1, amount=0, skip_reason="cap", commission_type="generation",
        source_subscription=broken, plan_version=broken.plan_version, paid_at=timezone.now(),
    )
    result = generation_catch_up(older_than=dt.timedelta(0))
    assert (result.paid, result.stuck) == (2, [broken.pk])  # the sponsor's own purchase and `fine`
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == D("30")
    stuck = StuckItem.objects.get()
    assert (stuck.job, stuck.item_id) == ("generation_catch_up", str(broken.pk))
    assert "IntegrityError" in stuck.reason
    assert Subscription.objects.get(pk=broken.pk).generation_paid_at is None

    again = generation_catch_up(older_than=dt.timedelta(0))  # still broken: tried again, counted again
    assert (again.paid, again.stuck) == (0, [broken.pk])
    assert StuckItem.objects.get().attempts == 2

    Commission.objects.filter(source_subscription=broken).delete()  # staff repair the row
    assert generation_catch_up(older_than=dt.timedelta(0)) == GenerationCatchUpResult(paid=1, stuck=[])
    assert member_balance(user=sponsor, code=AccountCode.MAIN) == D("50")
    assert not StuckItem.objects.exists()


def test_stuck_purchases_are_retried_after_the_others(invariants):
    sponsor = member(invested="100")
    generation_catch_up(older_than=dt.timedelta(0))  # the sponsor's own purchase
    first = buy(member(sponsor=sponsor), "200")
    second = buy(member(sponsor=sponsor), "300")
    stuck_item_record(job="generation_catch_up", item_id=first.pk, error="failed last time")
    assert generation_catch_up(older_than=dt.timedelta(0), limit=1).paid == 1
    assert Subscription.objects.get(pk=second.pk).generation_paid_at is not None
    assert Subscription.objects.get(pk=first.pk).generation_paid_at is None
    assert generation_catch_up(older_than=dt.timedelta(0), limit=1).paid == 1
    assert not StuckItem.objects.exists()


def test_pending_fan_outs_command_fails_with_the_stuck_purchases(invariants):
    sponsor = member(invested="100")
    broken = buy(member(sponsor=sponsor), "200")
    Commission.objects.create(
        user=sponsor, from_user=broken.user, level=1, amount=0, skip_reason="cap", commission_type="generation",
        source_subscription=broken, plan_version=broken.plan_version, paid_at=timezone.now(),
    )
    with pytest.raises(CommandError, match=rf"1 failed and are listed as stuck items: {broken.pk}"):
        call_command("distribute_generation_income", "--pending", stdout=io.StringIO())


def test_a_dry_run_writes_nothing(invariants):
    sponsor = member(invested="100")
    subscription = buy(member(sponsor=sponsor), "200")
    result = generation_distribute(subscription_id=subscription.pk, dry_run=True)
    assert [o.amount for o in result.outcomes] == [D("20")]
    assert not Commission.objects.exists()
    assert Subscription.objects.get(pk=subscription.pk).generation_paid_at is None


def test_directs_can_be_required_to_be_active_investors(invariants):
    PlanVersion.objects.create(directs_must_be_investors=True, note="investor directs only")
    top = member(invested="100", extra_directs=1)  # level 3 needs 2 directs; one is a mere registration
    middle = member(sponsor=top, invested="100")
    sponsor = member(sponsor=middle, invested="100")
    subscription = buy(member(sponsor=sponsor), "1000")
    generation_distribute(subscription_id=subscription.pk)
    assert Commission.objects.get(source_subscription=subscription, level=3).skip_reason == "directs"
    assert Commission.objects.get(source_subscription=subscription, level=1).amount == D("100")


def test_an_investor_direct_counts_only_with_a_confirmed_email(invariants):
    PlanVersion.objects.create(directs_must_be_investors=True, note="investor directs only")
    top = member(invested="100")
    unconfirmed = member(sponsor=top, invested="100")  # an investor, but never confirmed the address
    User.objects.filter(pk=unconfirmed.pk).update(email_confirmed_at=None)
    middle = member(sponsor=top, invested="100")
    sponsor = member(sponsor=middle, invested="100")
    subscription = buy(member(sponsor=sponsor), "1000")
    generation_distribute(subscription_id=subscription.pk)
    assert Commission.objects.get(source_subscription=subscription, level=3).skip_reason == "directs"
    User.objects.filter(pk=unconfirmed.pk).update(email_confirmed_at=timezone.now())
    second = buy(member(sponsor=sponsor), "1000")
    generation_distribute(subscription_id=second.pk)
    level_3 = Commission.objects.get(source_subscription=second, level=3)
    assert (level_3.user_id, level_3.skip_reason, level_3.amount > 0) == (top.pk, "", True)


def test_a_fan_out_with_every_level_qualifying_runs_at_most_fifteen_queries(invariants):
    sponsor = None
    for _level in range(20):
        sponsor = member(sponsor=sponsor, invested="5000", extra_directs=9)
    subscription = buy(member(sponsor=sponsor), "100")
    platform_accounts_open()
    with CaptureQueriesContext(connection) as queries:
        result = generation_distribute(subscription_id=subscription.pk)
    assert all(o.amount > 0 for o in result.outcomes) and len(result.outcomes) == 20
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 13, statements
