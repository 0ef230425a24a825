"""The referral tree against a hand-built tree of 25 members, and the staff sponsor change."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.codes import referral_code_is_wellformed
from accounts.models import SponsorChange, User
from accounts.selectors import (
    team_members,
    team_stats,
    tree_inconsistencies,
    user_downline,
    user_upline,
)
from accounts.services import SponsorChangeRefused, user_create, user_sponsor_change
from accounts.tests.conftest import TREE_25, ancestors, descendants
from accounts.tests.factories import UserFactory
from phonix.exceptions import NotFound

pytestmark = pytest.mark.django_db


def test_every_member_of_the_hand_built_tree_has_the_right_upline_and_depth(tree25):
    for name, member in tree25.items():
        assert [u.username for u in user_upline(user=member)] == ancestors(name)
        assert member.depth == len(ancestors(name))
        assert member.upline_ids == [tree25[a].pk for a in ancestors(name)]
    assert tree_inconsistencies() == 0


def test_direct_referral_counts_are_maintained(tree25):
    for name, member in tree25.items():
        expected = sum(1 for sponsor in TREE_25.values() if sponsor == name)
        assert member.direct_referrals_count == expected, name


def test_upline_is_one_query_and_stops_at_the_requested_levels(tree25):
    with CaptureQueriesContext(connection) as queries:
        upline = user_upline(user=tree25["x"], levels=3)
    assert len(queries) == 1
    assert [u.username for u in upline] == ["w", "t", "r"]
    assert user_upline(user=tree25["a"]) == []


@pytest.mark.parametrize("name", ["a", "b", "d", "k", "s", "y"])
def test_members_per_level_in_one_query(tree25, name):
    expected = descendants(name)
    with CaptureQueriesContext(connection) as queries:
        stats = team_stats(user=tree25[name])
    assert len(queries) == 1
    assert stats.team_size == len(expected)
    for level in range(1, 21):
        assert stats.per_level[level - 1] == sum(1 for lv in expected.values() if lv == level), level
    assert set(user_downline(user=tree25[name]).values_list("username", flat=True)) == set(expected)


def test_levels_deeper_than_twenty_are_left_out_of_the_per_level_counts():
    top = UserFactory()
    member = top
    for _ in range(23):
        member = UserFactory(sponsor=member)
    stats = team_stats(user=top)
    assert stats.per_level == [1] * 20
    assert stats.team_size == 23
    assert stats.deepest_level == 23
    assert user_downline(user=top, max_level=20).count() == 20


def test_member_list_filters_by_level_activity_and_search(tree25):
    a = tree25["a"]
    User.objects.filter(username__in=["e", "g"]).update(is_active_investor=True)
    assert [u.username for u in team_members(user=a, level=1)] == ["b", "c", "d"]
    assert sorted(u.username for u in team_members(user=a, level=2)) == ["e", "f", "g", "h", "i", "j"]
    assert [u.username for u in team_members(user=a, active=True)] == ["e", "g"]
    assert sorted(u.username for u in team_members(user=a, level=2, active=False)) == ["f", "h", "i", "j"]
    assert [u.username for u in team_members(user=a, search="X")] == ["x"]
    assert list(team_members(user=tree25["y"])) == []


def test_referral_codes_are_unique_and_wellformed(tree25):
    codes = [member.referral_code for member in tree25.values()]
    assert len(set(codes)) == len(codes)
    assert all(referral_code_is_wellformed(code) for code in codes)


@pytest.mark.django_db(transaction=True)
def test_unknown_sponsor_is_refused():
    ghost = User(pk=999_999_999, username="ghost")
    with pytest.raises(NotFound):
        user_create(username="orphan", email="orphan@example.com", password="x", sponsor=ghost)
    assert not User.objects.filter(username="orphan").exists()


def test_nobody_is_their_own_sponsor_in_the_database(tree25):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=tree25["b"].pk).update(referred_by=tree25["b"])


# Staff sponsor change ------------------------------------------------------------------------


def test_moving_a_member_moves_the_whole_downline_and_keeps_everything_derived_right(tree25):
    staff = UserFactory(is_staff=True)
    e, d = tree25["e"], tree25["d"]
    change = user_sponsor_change(user=e, new_sponsor=tree25["h"], changed_by=staff, reason="wrong link")
    assert tree_inconsistencies() == 0
    x = User.objects.get(username="x")
    assert [u.username for u in user_upline(user=x)] == ["w", "t", "r", "o", "k", "e", "h", "d", "a"]
    assert x.depth == 9
    assert User.objects.get(pk=tree25["b"].pk).direct_referrals_count == 1
    assert User.objects.get(pk=tree25["h"].pk).direct_referrals_count == 1
    assert team_stats(user=d).team_size == len(descendants("d")) + 1 + len(descendants("e"))
    assert change.moved_members == 1 + len(descendants("e"))
    assert (change.old_sponsor, change.new_sponsor, change.changed_by) == (tree25["b"], tree25["h"], staff)
    assert e.referred_by == tree25["h"]


def test_a_member_can_be_moved_to_the_top_and_under_a_separate_root(tree25):
    user_sponsor_change(user=tree25["k"], new_sponsor=None, changed_by=None, reason="detach")
    assert User.objects.get(username="k").depth == 0
    assert User.objects.get(username="x").upline_ids[-1] == tree25["k"].pk
    user_sponsor_change(user=tree25["k"], new_sponsor=tree25["y"], changed_by=None, reason="attach")
    assert [u.username for u in user_upline(user=User.objects.get(username="p"))] == ["k", "y"]
    assert tree_inconsistencies() == 0


@pytest.mark.parametrize("target", ["e", "k", "x", "b"])
def test_a_sponsor_change_that_would_make_a_cycle_is_refused(tree25, target):
    before = list(User.objects.order_by("pk").values_list("pk", "upline_ids", "depth", "referred_by"))
    with pytest.raises(SponsorChangeRefused):
        user_sponsor_change(user=tree25["b"], new_sponsor=tree25[target], changed_by=None, reason="test")
    assert list(User.objects.order_by("pk").values_list("pk", "upline_ids", "depth", "referred_by")) == before
    assert not SponsorChange.objects.exists()


def test_a_sponsor_change_needs_a_reason_and_a_real_change(tree25):
    with pytest.raises(SponsorChangeRefused):
        user_sponsor_change(user=tree25["e"], new_sponsor=tree25["c"], changed_by=None, reason="  ")
    with pytest.raises(SponsorChangeRefused):
        user_sponsor_change(user=tree25["e"], new_sponsor=tree25["b"], changed_by=None, reason="same")
    assert tree_inconsistencies() == 0


def test_a_sponsor_change_moves_the_leg_volume_to_the_new_upline(tree25, django_capture_on_commit_callbacks):
    from ranks.selectors import leg_volumes_for
    from ranks.tests.factories import invest

    invest(tree25["x"], "1000")
    b, c, e = tree25["b"].pk, tree25["c"].pk, tree25["e"].pk
    assert leg_volumes_for([b, c]) == {b: Decimal("1000"), c: Decimal("0")}
    with django_capture_on_commit_callbacks(execute=True):
        user_sponsor_change(user=tree25["e"], new_sponsor=tree25["c"], changed_by=None, reason="fix")
    assert leg_volumes_for([b, c, e]) == {b: Decimal("0"), c: Decimal("1000"), e: Decimal("1000")}


def test_a_sponsor_change_moves_leg_volume_inside_its_own_transaction(tree25, django_capture_on_commit_callbacks):
    from ranks.selectors import leg_volumes_for
    from ranks.tests.factories import invest

    invest(tree25["x"], "1000")
    b, c = tree25["b"].pk, tree25["c"].pk
    # The after-commit rebuild is captured but not run: the move alone must be exact.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_sponsor_change(user=tree25["e"], new_sponsor=tree25["c"], changed_by=None, reason="fix")
    assert leg_volumes_for([b, c]) == {b: Decimal("0"), c: Decimal("1000")}
    assert callbacks  # the repair rebuild is still queued


def test_the_upline_can_be_read_as_whole_rows(tree25):
    upline = user_upline(user=tree25["x"], fields=None)
    with CaptureQueriesContext(connection) as queries:
        assert upline[0].upline_ids == tree25["w"].upline_ids and upline[0].email == tree25["w"].email
    assert len(queries) == 0
