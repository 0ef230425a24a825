"""Reads of ranks and leg volumes; every function runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from accounts.models import User
from investment.caps import cap_room_sql
from investment.selectors import cap_multiple

from .ladder import BADGES, LADDER, LEVELS, RankStep, next_step
from .models import MemberVolume, Rank, RankAchievement, RankCode, WeeklyBonus
from .weeks import week_monday

ZERO = Decimal(0)


def leg_volumes_for(user_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each member's volume as a leg of their sponsor: own investment plus whole downline.

    For the team page: pass the directs' ids. Members without volume map to 0.
    """
    user_ids = list(user_ids)
    found = dict(MemberVolume.objects.filter(user_id__in=user_ids).values_list("user_id", "group_volume"))
    return {pk: found.get(pk, ZERO) for pk in user_ids}


@dataclass(frozen=True)
class Legs:
    main: Decimal
    other: Decimal
    count: int  # directs with any volume


def member_legs(*, user_id: int) -> Legs:
    """Live main leg (largest direct's group volume) and other legs (the rest), one query."""
    row = MemberVolume.objects.filter(user__referred_by_id=user_id, group_volume__gt=0).aggregate(
        main=Max("group_volume"), total=Sum("group_volume"), count=Count("user_id")
    )
    main = row["main"] or ZERO
    return Legs(main=main, other=(row["total"] or ZERO) - main, count=row["count"])


def _progress(volume: Decimal, required: Decimal) -> int:
    return 100 if volume >= required else int(volume * 100 / required)


@dataclass(frozen=True)
class LadderRow:
    step: RankStep
    reached: bool
    current: bool


@dataclass(frozen=True)
class RankOverview:
    rank_code: str
    rank_label: StrOrPromise
    badge: str
    level: int
    legs: Legs
    next_step: RankStep | None
    main_progress: int
    other_progress: int
    main_missing: Decimal
    other_missing: Decimal
    weekly_bonus_amount: Decimal
    weeks_remaining: int
    next_payment_week: dt.date | None
    rank_achieved_at: dt.datetime | None
    last_rank_check: dt.datetime | None
    bonuses: list[WeeklyBonus]
    bonus_paid_total: Decimal
    bonus_capped_total: Decimal
    achievements: list[RankAchievement]
    ladder: list[LadderRow]


@dataclass(frozen=True)
class RankProgress:
    record: Rank | None
    rank_code: str
    rank_label: StrOrPromise
    legs: Legs
    next_step: RankStep | None
    main_progress: int
    other_progress: int
    main_missing: Decimal
    other_missing: Decimal


def rank_progress(*, user: User) -> RankProgress:
    """The member's rank and both legs against the next rank's requirement, in two queries."""
    record = Rank.objects.filter(user=user).first()
    code = record.current_rank if record else RankCode.NONE
    legs = member_legs(user_id=user.pk)
    upcoming = next_step(code)
    required = upcoming.min_volume if upcoming else ZERO
    return RankProgress(
        record=record, rank_code=code, rank_label=RankCode(code).label, legs=legs, next_step=upcoming,
        main_progress=_progress(legs.main, required) if upcoming else 100,
        other_progress=_progress(legs.other, required) if upcoming else 100,
        main_missing=max(required - legs.main, ZERO), other_missing=max(required - legs.other, ZERO),
    )


def rank_overview(*, user: User, history_limit: int = 20) -> RankOverview:
    """Everything the /ranks/ page shows, in five queries whatever the size of the team."""
    progress = rank_progress(user=user)
    record, code, legs, upcoming = progress.record, progress.rank_code, progress.legs, progress.next_step
    level = LEVELS.get(code, 0)
    bonuses = list(WeeklyBonus.objects.filter(user=user).order_by("-week")[:history_limit])
    totals = WeeklyBonus.objects.filter(user=user).aggregate(
        paid=Sum("paid_amount"), capped=Sum("capped_amount")
    )
    achievements = list(RankAchievement.objects.filter(user=user).order_by("-achieved_at"))
    next_payment = None
    if record and record.weeks_remaining and record.bonus_start_week:
        next_payment = record.bonus_start_week
        if record.last_paid_week and record.last_paid_week >= next_payment:
            next_payment = record.last_paid_week + dt.timedelta(weeks=1)
    return RankOverview(
        rank_code=code,
        rank_label=progress.rank_label,
        badge=BADGES[code],
        level=level,
        legs=legs,
        next_step=upcoming,
        main_progress=progress.main_progress,
        other_progress=progress.other_progress,
        main_missing=progress.main_missing,
        other_missing=progress.other_missing,
        weekly_bonus_amount=record.weekly_bonus_amount if record else ZERO,
        weeks_remaining=record.weeks_remaining if record else 0,
        next_payment_week=next_payment,
        rank_achieved_at=record.rank_achieved_at if record else None,
        last_rank_check=record.last_rank_check if record else None,
        bonuses=bonuses,
        bonus_paid_total=totals["paid"] or ZERO,
        bonus_capped_total=totals["capped"] or ZERO,
        achievements=achievements,
        ladder=[
            LadderRow(step=step, reached=step.level <= level, current=step.code == code) for step in LADDER
        ],
    )


def rank_distribution() -> list[tuple[str, StrOrPromise, int]]:
    """(code, label, members) for every rank, highest first, for staff."""
    counts = dict(Rank.objects.values_list("current_rank").annotate(n=Count("id")).order_by())
    codes = [RankCode.NONE, *(step.code for step in LADDER)]
    return [(code, RankCode(code).label, counts.get(code, 0)) for code in reversed(codes)]


@dataclass(frozen=True)
class ComingWeek:
    week: dt.date
    members: int
    owed: Decimal  # the ranks' bonus amounts
    payable: Decimal  # what the 3× cap lets through today


def coming_week_bonus_total(*, today: dt.date | None = None) -> ComingWeek:
    """What the next Monday's run will settle for its own week (missed weeks not included)."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    monday = week_monday(today) + dt.timedelta(weeks=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*), coalesce(sum(r.weekly_bonus_amount), 0),
                   coalesce(sum(LEAST(r.weekly_bonus_amount, {cap_room_sql("u")})), 0)
            FROM ranks_rank r JOIN accounts_user u ON u.id = r.user_id
            WHERE r.weeks_remaining > 0 AND r.bonus_start_week <= %(monday)s
              AND (r.last_paid_week IS NULL OR r.last_paid_week < %(monday)s)
            """,
            {"monday": monday, "cap_multiple": cap_multiple()},
        )
        members, owed, payable = cursor.fetchone()
    return ComingWeek(week=monday, members=members, owed=owed, payable=payable)


