import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from investment.models import PlanVersion, Subscription
from investment.selectors import plan_current
from investment.services import subscription_purchase
from investment.tests.factories import buy
from phonix.exceptions import BonusUnavailable, IdempotencyConflict, InsufficientFunds, InvalidAmount, PlanChanged
from ranks.models import MemberVolume
from wallet.ledger.accounts import platform_accounts_open
from wallet.ledger.history import member_balance
from wallet.models import AccountCode, LedgerAccount, Transaction
from wallet.tests.factories import fund

pytestmark = pytest.mark.django_db


def reload(user):
    user.refresh_from_db()
    return user


@pytest.mark.parametrize(
    ("amount", "tier", "rate"),
    [
        ("50", "tier_1", "6"),
        ("3000", "tier_1", "6"),
        ("3000.01", "tier_2", "8"),
        ("5000", "tier_2", "8"),
        ("5000.01", "tier_3", "10"),
    ],
)
def test_tier_boundaries(amount, tier, rate, invariants):
    member = UserFactory()
    subscription = buy(member, amount)
    stored = Subscription.objects.get(pk=subscription.pk)
    assert (stored.tier, stored.monthly_rate) == (tier, Decimal(rate))
    assert stored.earnings_cap == Decimal(amount) * 3
    assert stored.plan_version_id == plan_current().pk


def test_purchase_moves_money_and_updates_the_member(invariants):
    sponsor = UserFactory()
    member = UserFactory(sponsor=sponsor)
    fund(member, "150")
    subscription = subscription_purchase(user=member, amount="100", use_bonus=False, token=str(uuid.uuid4()))
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("50")
    assert LedgerAccount.objects.get(user=None, code=AccountCode.SUBSCRIPTIONS).balance == Decimal("100")
    member = reload(member)
    assert member.total_invested == Decimal("100")
    assert member.is_active_investor
    history = Transaction.objects.get(user=member, type=Transaction.Type.PURCHASE)
    assert (history.amount, history.subscription_id) == (Decimal("100"), subscription.pk)
    # Leg volume is the ranks app's: the purchase adds to the buyer's and the sponsor's volume.
    assert MemberVolume.objects.get(user=sponsor).group_volume == Decimal("100")


def test_purchase_spends_the_registration_bonus_first_when_asked(invariants):
    member = UserFactory()
    fund(member, "10", AccountCode.BONUS)
    fund(member, "45")
    subscription = subscription_purchase(user=member, amount="55", use_bonus=True, token=str(uuid.uuid4()))
    assert Subscription.objects.get(pk=subscription.pk).bonus_used == Decimal("10")
    assert member_balance(user=member, code=AccountCode.BONUS) == 0
    assert member_balance(user=member, code=AccountCode.MAIN) == 0


def test_a_bonus_already_used_is_refused_and_nothing_is_written(invariants):
    member = UserFactory()
    fund(member, "10", AccountCode.BONUS)
    buy(member, "60", use_bonus=True)
    fund(member, "100")
    with pytest.raises(BonusUnavailable):
        subscription_purchase(user=member, amount="60", use_bonus=True, token=str(uuid.uuid4()))
    assert Subscription.objects.filter(user=member).count() == 1
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("110")  # 60 − 50 + 100


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("49.999999", InvalidAmount),
        ("0", InvalidAmount),
        ("-100", InvalidAmount),
        ("abc", InvalidAmount),
        ("100.0000001", InvalidAmount),
        ("100.01", InsufficientFunds),
    ],
)
def test_bad_purchases_are_refused_and_nothing_is_written(amount, error, invariants):
    member = UserFactory()
    fund(member, "100")
    with pytest.raises(error):
        subscription_purchase(user=member, amount=amount, use_bonus=False, token=str(uuid.uuid4()))
    assert not Subscription.objects.exists()
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("100")
    assert reload(member).total_invested == 0


def test_a_plan_change_between_preview_and_confirm_is_refused(invariants):
    member = UserFactory()
    fund(member, "100")
    seen = plan_current()
    PlanVersion.objects.create(tier_1_rate=Decimal("5"), note="lower tier 1")
    with pytest.raises(PlanChanged):
        subscription_purchase(user=member, amount="100", use_bonus=False, token=str(uuid.uuid4()),
                              plan_version_id=seen.pk)
    assert not Subscription.objects.exists()


def test_new_purchases_record_the_new_plan_version(invariants):
    member = UserFactory()
    new = PlanVersion.objects.create(tier_1_rate=Decimal("5"), note="lower tier 1")
    subscription = buy(member, "100")
    stored = Subscription.objects.get(pk=subscription.pk)
    assert (stored.plan_version_id, stored.monthly_rate) == (new.pk, Decimal("5"))


def test_the_same_form_token_buys_once(invariants):
    member = UserFactory()
    fund(member, "150")
    token = str(uuid.uuid4())
    first = subscription_purchase(user=member, amount="100", use_bonus=False, token=token)
    again = subscription_purchase(user=member, amount="100", use_bonus=False, token=token)
    assert first.pk == again.pk
    assert Subscription.objects.count() == 1
    assert member_balance(user=member, code=AccountCode.MAIN) == Decimal("50")
    with pytest.raises(IdempotencyConflict):
        subscription_purchase(user=member, amount="120", use_bonus=False, token=token)


def test_a_retry_after_the_money_is_spent_returns_the_first_purchase(invariants):
    member = UserFactory()
    fund(member, "100")
    token = str(uuid.uuid4())
    first = subscription_purchase(user=member, amount="100", use_bonus=False, token=token)
    assert subscription_purchase(user=member, amount="100", use_bonus=False, token=token).pk == first.pk


def test_a_purchase_runs_at_most_ten_queries(invariants):
    sponsor = UserFactory()
    member = UserFactory(sponsor=sponsor)
    fund(member, "100")
    plan_current(), platform_accounts_open()  # steady state: both exist long before any purchase
    with CaptureQueriesContext(connection) as queries:
        subscription_purchase(user=member, amount="100", use_bonus=False, token=str(uuid.uuid4()))
    # The test's own transaction turns the service's atomic block into one more savepoint pair.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 8, statements
