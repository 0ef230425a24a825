"""Ranks endpoint of the JSON API."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory, api_client
from investment.tests.factories import buy
from ranks.models import Rank, RankCode

pytestmark = pytest.mark.django_db


def test_rank_legs_and_progress_to_the_next_rank():
    member = UserFactory()
    big, small = UserFactory(sponsor=member), UserFactory(sponsor=member)
    buy(big, 3000)
    buy(small, 1000)
    rank = api_client(member).get("/api/v1/ranks/").json()
    assert rank["rank_code"] == RankCode.NONE
    assert rank["legs"] == {"main": "3000.000000", "other": "1000.000000", "count": 2}
    assert rank["next_step"]["code"] == "connector" and rank["next_step"]["min_volume"] == "5000.000000"
    assert (rank["main_progress"], rank["other_progress"]) == (60, 20)
    assert (rank["main_missing"], rank["other_missing"]) == ("2000.000000", "4000.000000")
    assert rank["bonuses"] == []


def test_a_ranked_member_sees_the_weekly_bonus():
    member = UserFactory()
    Rank.objects.update_or_create(user=member, defaults={
        "current_rank": RankCode.BUILDER, "weekly_bonus_amount": Decimal(200), "weeks_remaining": 52,
    })
    rank = api_client(member).get("/api/v1/ranks/").json()
    assert (rank["rank_code"], rank["weekly_bonus_amount"], rank["weeks_remaining"]) == ("builder", "200.000000", 52)
    assert rank["next_step"]["code"] == "professional"
