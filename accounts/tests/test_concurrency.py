"""Staff moves racing each other and racing registrations never break the tree."""

import pytest

from accounts.models import User
from accounts.selectors import tree_inconsistencies
from accounts.services import SponsorChangeRefused, user_create, user_sponsor_change
from accounts.tests.factories import UserFactory
from wallet.tests.conftest import run_in_threads


@pytest.mark.django_db(transaction=True)
def test_two_crossing_moves_at_once_cannot_make_a_cycle():
    root = UserFactory()
    a, b = UserFactory(sponsor=root), UserFactory(sponsor=root)
    UserFactory(sponsor=a)
    UserFactory(sponsor=b)

    def work(i):
        mover, target = (a, b) if i == 0 else (b, a)
        return user_sponsor_change(user=mover, new_sponsor=target, changed_by=None, reason="race")

    results = run_in_threads(2, work)
    refused = [r for r in results if isinstance(r, SponsorChangeRefused)]
    assert len(refused) == 1, results
    assert tree_inconsistencies() == 0


@pytest.mark.django_db(transaction=True)
def test_registrations_under_a_subtree_while_it_moves_get_the_new_upline():
    root, other = UserFactory(), UserFactory()
    top = UserFactory(sponsor=root)
    leaves = [UserFactory(sponsor=top) for _ in range(3)]

    def work(i):
        if i == 0:
            return user_sponsor_change(user=top, new_sponsor=other, changed_by=None, reason="race")
        return user_create(username=f"late{i}", email=f"late{i}@example.com", password="pw-12345678",
                           sponsor=leaves[i % 3])

    results = run_in_threads(7, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert tree_inconsistencies() == 0
    assert all(other.pk in u.upline_ids for u in User.objects.filter(username__startswith="late"))


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_under_one_sponsor_all_count():
    sponsor = UserFactory()

    def work(i):
        return user_create(username=f"rush{i}", email=f"rush{i}@example.com", password="pw-12345678",
                           sponsor=sponsor)

    results = run_in_threads(8, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert User.objects.get(pk=sponsor.pk).direct_referrals_count == 8
    assert len({u.referral_code for u in results}) == 8
    assert tree_inconsistencies() == 0
