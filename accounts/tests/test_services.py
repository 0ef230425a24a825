from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.codes import ALPHABET, referral_code_is_wellformed, referral_codes_new
from accounts.email_address import email_confirm
from accounts.models import User
from accounts.selectors import tree_inconsistencies
from accounts.services import (
    referral_code_issue,
    registration_bonus_amount,
    user_register,
    withdrawal_address_set,
)
from accounts.tests.factories import SITE, UserFactory, link_token
from wallet.ledger.accounts import member_account, platform_account, platform_accounts_open
from wallet.ledger.bonuses import registration_bonus_post
from wallet.ledger.reconciliation import ledger_reconcile
from wallet.models import AccountCode, LedgerTransaction, Transaction

pytestmark = pytest.mark.django_db
GOOD_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_confirming_the_email_posts_the_bonus_to_the_bonus_account(django_capture_on_commit_callbacks):
    sponsor = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(username="newbie", email="Newbie@Example.COM", password="pw-12345678",
                             sponsor=sponsor, site_url=SITE)
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == 0
    assert [m.to for m in mail.outbox] == [["Newbie@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        email_confirm(token=link_token(mail.outbox[0]))
    mail.outbox.pop(0)
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == Decimal("10")
    assert member_account(user_id=user.pk, code=AccountCode.MAIN).balance == 0
    assert platform_account(AccountCode.PAYOUTS).balance == Decimal("-10")
    line = Transaction.objects.get(user=user)
    assert (line.type, line.amount, line.status) == (Transaction.Type.BONUS, Decimal("10"), "completed")
    ledger = LedgerTransaction.objects.get(idempotency_key=f"bonus:registration:{user.pk}")
    assert ledger.kind == LedgerTransaction.Kind.BONUS
    # Nothing else moves: no earnings, no investment, the sponsor gets nothing.
    user.refresh_from_db()
    assert (user.total_earnings, user.total_invested) == (0, 0)
    assert not Transaction.objects.filter(user=sponsor).exists()
    assert ledger_reconcile().ok
    assert [m.to for m in mail.outbox] == [["Newbie@example.com"]]
    assert "newbie" in mail.outbox[0].body and user.referral_code in mail.outbox[0].body


def test_the_bonus_is_posted_once_however_often_it_is_retried():
    user = user_register(username="once", email="once@example.com", password="pw-12345678", site_url=SITE)
    first = registration_bonus_post(user_id=user.pk, amount=registration_bonus_amount())
    second = registration_bonus_post(user_id=user.pk, amount=registration_bonus_amount())
    assert first.pk == second.pk
    assert member_account(user_id=user.pk, code=AccountCode.BONUS).balance == Decimal("10")
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.BONUS).count() == 1
    assert Transaction.objects.filter(user=user).count() == 1
    assert ledger_reconcile().ok


def test_the_confirmation_email_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_register(username="later", email="later@example.com", password="pw-12345678", site_url=SITE)
    assert mail.outbox == []
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_registration_stays_within_twelve_queries():
    # No test transaction around it, so the count is what a real request runs.
    platform_accounts_open()
    sponsor = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        user_register(username="counted", email="counted@example.com", password="pw-12345678",
                      sponsor=sponsor, site_url=SITE)
    statements = [q["sql"] for q in queries]
    # What runs after COMMIT is the confirmation e-mail, a worker's job in production.
    in_transaction = statements[: statements.index("COMMIT") + 1]
    assert len(in_transaction) <= 12, in_transaction
    assert User.objects.get(username="counted").upline_ids == [sponsor.pk]


def test_plain_user_create_gives_a_code_but_no_money():
    user = UserFactory()
    assert referral_code_is_wellformed(user.referral_code) and len(user.referral_code) == 10
    assert not Transaction.objects.filter(user=user).exists()


def test_members_made_outside_registration_get_a_code_on_demand():
    admin = User.objects.create_superuser("boss", "boss@example.com", "pw-12345678")
    assert admin.referral_code is None
    code = referral_code_issue(user=admin)
    assert referral_code_is_wellformed(code)
    assert User.objects.get(pk=admin.pk).referral_code == code
    assert referral_code_issue(user=admin) == code


def _sequential_code(user_id: int) -> str:
    """How codes used to be made: a fixed permutation of the id (so anyone could walk them)."""
    value, chars = (user_id * 387_420_489 + 91_276_407_713) % 31**8, []
    for _ in range(8):
        value, digit = divmod(value, 31)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def test_new_referral_codes_are_random_not_derived_from_the_id():
    members = [UserFactory() for _ in range(40)]
    codes = [member.referral_code for member in members]
    assert len(set(codes)) == 40 and all(referral_code_is_wellformed(code) for code in codes)
    assert all(set(code) <= set(ALPHABET) and len(code) == 10 for code in codes)
    assert not {_sequential_code(member.pk) for member in members} & set(codes)
    # Consecutive members share no prefix beyond chance (a derived code would drift slowly).
    assert sum(a[:3] == b[:3] for a, b in zip(codes, codes[1:], strict=False)) <= 1
    assert len(set(referral_codes_new(20_000))) == 20_000


def test_a_code_that_clashes_is_drawn_again(monkeypatch):
    taken = UserFactory().referral_code
    draws = iter([taken, "23456789AB"])
    monkeypatch.setattr("accounts.services.referral_code_new", lambda: next(draws))
    assert UserFactory().referral_code == "23456789AB"


def test_a_new_withdrawal_address_starts_the_cooldown():
    user = UserFactory()
    withdrawal_address_set(user=user, address=GOOD_ADDRESS)
    user.refresh_from_db()
    first = user.withdrawal_address_changed_at
    assert user.trc20_wallet_address == GOOD_ADDRESS and first is not None
    withdrawal_address_set(user=user, address=GOOD_ADDRESS)  # the same address again: no new cooldown
    user.refresh_from_db()
    assert user.withdrawal_address_changed_at == first


def test_seed_network_builds_a_consistent_tree(capsys):
    call_command("seed_network", users=600, seed=5)
    out = capsys.readouterr().out
    assert "seeded 600 members" in out
    members = User.objects.filter(username__startswith="net5-")
    assert members.count() == 600
    assert tree_inconsistencies() == 0
    codes = list(members.values_list("referral_code", flat=True))
    assert len(set(codes)) == 600 and all(referral_code_is_wellformed(c) for c in codes)
    root = members.get(username="net5-0")
    assert root.depth == 0 and root.direct_referrals_count >= 40
    assert members.filter(upline_ids__contains=[root.pk]).count() == 599
    assert max(members.values_list("depth", flat=True)) >= 10  # a deep chain somewhere


def test_seed_network_under_a_member_with_bonuses():
    founder = UserFactory()
    call_command("seed_network", users=50, seed=9, under=founder.username, bonuses=True)
    assert tree_inconsistencies() == 0
    assert User.objects.get(pk=founder.pk).direct_referrals_count == 1
    assert User.objects.filter(upline_ids__contains=[founder.pk]).count() == 50
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.BONUS).count() == 50
    assert ledger_reconcile().ok


def test_check_referral_tree_command_finds_drift(capsys):
    from django.core.management.base import CommandError

    top = UserFactory()
    UserFactory(sponsor=top)
    call_command("check_referral_tree")
    assert "2 members, all consistent" in capsys.readouterr().out
    User.objects.filter(pk=top.pk).update(direct_referrals_count=5)
    with pytest.raises(CommandError, match="1 of 2 members inconsistent"):
        call_command("check_referral_tree")


def test_seed_network_refuses_to_reuse_a_prefix():
    from django.core.management.base import CommandError

    call_command("seed_network", users=5, seed=3)
    with pytest.raises(CommandError, match="exists"):
        call_command("seed_network", users=5, seed=3)
    assert User.objects.filter(username__startswith="net3-").count() == 5
