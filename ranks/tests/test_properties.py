"""The incremental leg volumes always equal a rebuild from the subscriptions."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from ranks.models import MemberVolume
from ranks.selectors import member_legs
from ranks.services import leg_volumes_recompute
from ranks.tests.factories import invest

pytestmark = pytest.mark.django_db


@st.composite
def networks(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    # Member i (i ≥ 1) is sponsored by an earlier member; a bias to the newest makes deep chains.
    sponsors = [draw(st.one_of(st.integers(0, i - 1), st.just(i - 1))) for i in range(1, size)]
    cents = st.integers(min_value=1, max_value=50_000_000).map(lambda c: Decimal(c) / 100)
    purchases = draw(st.lists(st.tuples(st.integers(0, size - 1), cents), max_size=40))
    return sponsors, purchases


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(network=networks())
def test_recompute_equals_the_incremental_volumes_after_random_purchases(network):
    sponsors, purchases = network
    members = [UserFactory()]
    for sponsor in sponsors:
        members.append(UserFactory(sponsor=members[sponsor]))
    for index, amount in purchases:
        invest(members[index], amount)

    stored = dict(MemberVolume.objects.filter(user__in=members).values_list("user_id", "group_volume"))
    assert leg_volumes_recompute(dry_run=True).differences == 0

    # And both equal the definition: a member's group volume is what their subtree bought.
    parent = {m.pk: members[s].pk for m, s in zip(members[1:], sponsors, strict=True)}
    expected = {m.pk: Decimal(0) for m in members}
    for index, amount in purchases:
        node = members[index].pk
        while node is not None:
            expected[node] += amount
            node = parent.get(node)
    assert {pk: stored.get(pk, Decimal(0)) for pk in expected} == expected
    root_legs = member_legs(user_id=members[0].pk)
    direct_volumes = [expected[m.pk] for m, s in zip(members[1:], sponsors, strict=True) if s == 0]
    assert root_legs.main == max(direct_volumes, default=Decimal(0))
    assert root_legs.main + root_legs.other == sum(direct_volumes, Decimal(0))
