"""Writes of ranks: leg volumes, rank advancement and weekly rank bonuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.totals import members_earnings_add
from investment.caps import cap_room_sql
from investment.models import PlanVersion
from investment.selectors import plan_current
from phonix.exceptions import FuturePeriod
from phonix.page_cache import pages_changed
from phonix.sql import array_literal, text_array_literal
from wallet.ledger.payouts import ledger_post_payouts, payout_table_create
from wallet.models import LedgerTransaction, Transaction

from .ladder import BONUS_WEEKS, LEVELS, ladder_sql_values
from .models import RankCode
from .weeks import iso_week_label, week_monday

# Advisory lock keys: one rank check and one recompute at a time (a second run waits, then
# finds nothing left to do).
_RANK_CHECK_LOCK = 0x52414E4B01
_RECOMPUTE_LOCK = 0x52414E4B02

PAYOUT_CHUNK = 5_000

# Leg volumes ---------------------------------------------------------------------------------


def leg_volumes_add(*, buyer: User, amount: Decimal) -> None:
    """Add a purchase to the buyer's personal volume and to the group volume of the buyer and
    its whole upline, at any depth — one statement, called inside the purchase transaction.

    Rows are upserted in primary-key order so that concurrent purchases under shared sponsors
    lock them in the same order and cannot deadlock.
    """
    if amount <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ranks_membervolume AS v (user_id, personal_volume, group_volume)
            SELECT m, CASE WHEN m = %(buyer)s THEN %(amount)s::numeric ELSE 0 END, %(amount)s::numeric
            FROM unnest(%(ids)s::bigint[]) AS m ORDER BY m
            ON CONFLICT (user_id) DO UPDATE SET
                personal_volume = v.personal_volume + EXCLUDED.personal_volume,
                group_volume = v.group_volume + EXCLUDED.group_volume
            """,
            {"buyer": buyer.pk, "amount": amount, "ids": [buyer.pk, *buyer.upline_ids]},
        )


def leg_volumes_move(*, member_id: int, old_upline_ids: list[int], new_upline_ids: list[int]) -> None:
    """A member and their downline moved to another sponsor: their group volume leaves the old
    upline and joins the new one (ancestors on both sides keep it). One statement, for the
    sponsor-change service to call inside its transaction.
    """
    leaving = sorted(set(old_upline_ids) - set(new_upline_ids))
    joining = sorted(set(new_upline_ids) - set(old_upline_ids))
    if not leaving and not joining:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH moved AS (
                SELECT group_volume AS volume FROM ranks_membervolume
                WHERE user_id = %(member)s AND group_volume > 0
            ), left_behind AS (
                UPDATE ranks_membervolume v SET group_volume = v.group_volume - moved.volume
                FROM moved WHERE v.user_id = ANY(%(leaving)s::bigint[])
            )
            INSERT INTO ranks_membervolume AS v (user_id, personal_volume, group_volume)
            SELECT j, 0, moved.volume FROM unnest(%(joining)s::bigint[]) AS j, moved ORDER BY j
            ON CONFLICT (user_id) DO UPDATE SET group_volume = v.group_volume + EXCLUDED.group_volume
            """,
            {"member": member_id, "leaving": leaving, "joining": joining},
        )


@dataclass(frozen=True)
class RecomputeResult:
    members: int  # members with any volume
    differences: int  # stored rows that did not match the subscriptions
    sample: list[tuple[int, Decimal, Decimal, Decimal, Decimal]]  # (user, stored p, g, fresh p, g)
    repaired: bool


@transaction.atomic
def leg_volumes_recompute(*, dry_run: bool = False) -> RecomputeResult:
    """Rebuild every member's personal and group volume from the subscriptions and report (and,
    unless dry-run, repair) every stored row that differs.

    The table lock holds purchases back while the rebuild runs, so the subscriptions read and the
    volumes written describe the same moment.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RECOMPUTE_LOCK])
        cursor.execute("LOCK TABLE ranks_membervolume IN SHARE ROW EXCLUSIVE MODE")
        # Bottom-up over the sponsor links: each level adds its group volumes to its sponsors,
        # deepest level first — linear in the members, whatever the depth. (The incremental
        # path walks upline_ids instead, so a rebuild also cross-checks the two.)
        cursor.execute(
            """
            DROP TABLE IF EXISTS pg_temp.fresh_volume;
            CREATE TEMP TABLE fresh_volume ON COMMIT DROP AS
            SELECT u.id AS user_id, u.referred_by_id AS sponsor_id, u.depth,
                   coalesce(p.volume, 0) AS personal_volume, coalesce(p.volume, 0) AS group_volume
            FROM accounts_user u
            LEFT JOIN (SELECT user_id, sum(amount) AS volume FROM investment_subscription GROUP BY user_id) p
                   ON p.user_id = u.id
            """
        )
        cursor.execute("ALTER TABLE fresh_volume ADD PRIMARY KEY (user_id)")
        cursor.execute("CREATE INDEX ON fresh_volume (depth)")
        cursor.execute("ANALYZE fresh_volume")
        cursor.execute("SELECT coalesce(max(depth), 0), coalesce(min(depth), 0) FROM fresh_volume")
        deepest, shallowest = cursor.fetchone()
        for depth in range(deepest, shallowest, -1):
            cursor.execute(
                """
                UPDATE fresh_volume s SET group_volume = s.group_volume + d.total
                FROM (SELECT sponsor_id, sum(group_volume) AS total FROM fresh_volume
                      WHERE depth = %s AND group_volume > 0 GROUP BY sponsor_id) d
                WHERE s.user_id = d.sponsor_id
                """,
                [depth],
            )
        cursor.execute("DELETE FROM fresh_volume WHERE group_volume = 0")
        cursor.execute("SELECT count(*) FROM fresh_volume")
        (members,) = cursor.fetchone()
        cursor.execute(
            """
            DROP TABLE IF EXISTS pg_temp.volume_diff;
            CREATE TEMP TABLE volume_diff ON COMMIT DROP AS
            SELECT coalesce(f.user_id, m.user_id) AS user_id,
                   coalesce(m.personal_volume, 0) AS stored_personal,
                   coalesce(m.group_volume, 0) AS stored_group,
                   coalesce(f.personal_volume, 0) AS personal_volume,
                   coalesce(f.group_volume, 0) AS group_volume
            FROM fresh_volume f FULL JOIN ranks_membervolume m ON m.user_id = f.user_id
            WHERE coalesce(f.personal_volume, 0) <> coalesce(m.personal_volume, 0)
               OR coalesce(f.group_volume, 0) <> coalesce(m.group_volume, 0)
            """
        )
        cursor.execute("SELECT count(*) FROM volume_diff")
        (differences,) = cursor.fetchone()
        cursor.execute("SELECT * FROM volume_diff ORDER BY user_id LIMIT 20")
        sample = cursor.fetchall()
        if differences and not dry_run:
            cursor.execute(
                """
                INSERT INTO ranks_membervolume AS v (user_id, personal_volume, group_volume)
                SELECT user_id, personal_volume, group_volume FROM volume_diff ORDER BY user_id
                ON CONFLICT (user_id) DO UPDATE SET
                    personal_volume = EXCLUDED.personal_volume, group_volume = EXCLUDED.group_volume
                """
            )
    return RecomputeResult(members=members, differences=differences, sample=sample,
                           repaired=bool(differences) and not dry_run)


# Rank check ----------------------------------------------------------------------------------


def _level_sql(column: str) -> str:
    whens = " ".join(f"WHEN '{code}' THEN {level}" for code, level in LEVELS.items())
    return f"(CASE {column} {whens} ELSE 0 END)"


def next_monday(day: dt.date) -> dt.date:
    """The Monday strictly after `day`: a rank reached during a week is paid from the next one."""
    return day + dt.timedelta(days=7 - day.weekday())


@dataclass(frozen=True)
class RankCheckResult:
    checked: int  # members with at least one leg holding volume
    promoted: int
    promotions: dict[str, int] = field(default_factory=dict)  # new rank → members
    overdue_weeks_settled: int = 0


def ranks_check(*, now: dt.datetime | None = None, dry_run: bool = False) -> RankCheckResult:
    """Promote every member whose main leg and other legs both meet a higher rank.

    Set-based: one GROUP BY over the directs' group volumes, then one upsert of the Rank rows
    that also writes the achievement history. Ranks never go down; a promotion sets the new
    rank's weekly bonus for 52 weeks starting the next Monday. Running it again changes nothing
    but `last_rank_check`.

    Bonus weeks still owed up to the current week (a Monday run was missed) are settled first,
    at the rank that earned them, because a promotion replaces the running bonus. Normally the
    Monday run has paid them all and this is a single empty query.
    """
    now = now or timezone.now()
    overdue = 0
    if not dry_run:
        overdue = weekly_bonuses_pay(week=now.astimezone(dt.UTC).date()).weeks_settled
    result = _ranks_promote(now=now, dry_run=dry_run)
    return RankCheckResult(checked=result.checked, promoted=result.promoted, promotions=result.promotions,
                           overdue_weeks_settled=overdue)


@transaction.atomic
def _ranks_promote(*, now: dt.datetime, dry_run: bool) -> RankCheckResult:
    ladder_values, ladder_params = ladder_sql_values()
    start_week = next_monday(now.astimezone(dt.UTC).date())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RANK_CHECK_LOCK])
        cursor.execute(
            f"""
            DROP TABLE IF EXISTS pg_temp.rank_qualified;
            CREATE TEMP TABLE rank_qualified ON COMMIT DROP AS
            WITH legs AS (
                SELECT u.referred_by_id AS user_id, max(v.group_volume) AS main,
                       sum(v.group_volume) - max(v.group_volume) AS other
                FROM ranks_membervolume v JOIN accounts_user u ON u.id = v.user_id
                WHERE u.referred_by_id IS NOT NULL AND v.group_volume > 0
                GROUP BY u.referred_by_id
            )
            SELECT DISTINCT ON (l.user_id)
                   l.user_id, l.main, l.other,
                   coalesce(ld.code, %s) AS code, coalesce(ld.level, 0) AS level,
                   coalesce(ld.weekly_bonus, 0) AS weekly_bonus
            FROM legs l
            LEFT JOIN {ladder_values} AS ld(code, level, min_volume, weekly_bonus)
                   ON l.main >= ld.min_volume AND l.other >= ld.min_volume
            ORDER BY l.user_id, ld.level DESC NULLS LAST
            """,
            [str(RankCode.NONE), *ladder_params],
        )
        cursor.execute(
            f"""
            SELECT q.code, count(*) FROM rank_qualified q
            LEFT JOIN ranks_rank r ON r.user_id = q.user_id
            WHERE q.level > {_level_sql("coalesce(r.current_rank, 'none')")}
            GROUP BY q.code
            """
        )
        promotions = {code: count for code, count in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM rank_qualified")
        (checked,) = cursor.fetchone()
        if not dry_run:
            promoted = f"{_level_sql('EXCLUDED.current_rank')} > {_level_sql('r.current_rank')}"
            cursor.execute(
                f"""
                WITH upserted AS (
                    INSERT INTO ranks_rank AS r (
                        user_id, current_rank, main_leg_volume, other_legs_volume, weekly_bonus_amount,
                        weeks_remaining, bonus_start_week, last_paid_week, last_rank_check,
                        rank_achieved_at)
                    SELECT user_id, code, main, other, weekly_bonus,
                           CASE WHEN level > 0 THEN %(weeks)s ELSE 0 END,
                           CASE WHEN level > 0 THEN %(start)s::date END, NULL, %(now)s,
                           CASE WHEN level > 0 THEN %(now)s::timestamptz END
                    FROM rank_qualified ORDER BY user_id
                    ON CONFLICT (user_id) DO UPDATE SET
                        main_leg_volume = EXCLUDED.main_leg_volume,
                        other_legs_volume = EXCLUDED.other_legs_volume,
                        last_rank_check = EXCLUDED.last_rank_check,
                        current_rank = CASE WHEN {promoted} THEN EXCLUDED.current_rank
                                            ELSE r.current_rank END,
                        weekly_bonus_amount = CASE WHEN {promoted} THEN EXCLUDED.weekly_bonus_amount
                                                   ELSE r.weekly_bonus_amount END,
                        weeks_remaining = CASE WHEN {promoted} THEN EXCLUDED.weeks_remaining
                                               ELSE r.weeks_remaining END,
                        bonus_start_week = CASE WHEN {promoted} THEN EXCLUDED.bonus_start_week
                                                ELSE r.bonus_start_week END,
                        rank_achieved_at = CASE WHEN {promoted} THEN EXCLUDED.rank_achieved_at
                                                ELSE r.rank_achieved_at END
                    RETURNING user_id, current_rank, main_leg_volume, other_legs_volume,
                              weekly_bonus_amount, rank_achieved_at
                )
                INSERT INTO ranks_rankachievement
                    (user_id, rank, main_leg_volume, other_legs_volume, weekly_bonus_amount, achieved_at)
                SELECT user_id, current_rank, main_leg_volume, other_legs_volume, weekly_bonus_amount,
                       rank_achieved_at
                FROM upserted WHERE rank_achieved_at = %(now)s AND current_rank <> 'none'
                ON CONFLICT (user_id, rank) DO NOTHING
                """,
                {"weeks": BONUS_WEEKS, "start": start_week, "now": now},
            )
            _promotions_notify(now)
    return RankCheckResult(checked=checked, promoted=sum(promotions.values()), promotions=promotions)


# Weekly bonuses ------------------------------------------------------------------------------


@dataclass
class WeeklyRunResult:
    week: str
    members: int = 0  # members who had at least one week settled in this run
    weeks_settled: int = 0
    paid: Decimal = Decimal(0)
    capped: Decimal = Decimal(0)
    dry_run: bool = False


def weekly_bonuses_pay(
    *, week: dt.date | None = None, dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> WeeklyRunResult:
    """Settle every ranked member's weekly bonus up to and including the ISO week of `week`.

    Each (member, week) is settled once — the unique constraint on WeeklyBonus is the claim —
    and weeks a missed run skipped are settled too, oldest first, until the 52 weeks are used
    up. Payouts are cut to the member's room under the 3× cap; the cut part is recorded as
    capped and the week still counts. Work is done in chunks of members, one transaction each.
    """
    this_week = week_monday(timezone.now().astimezone(dt.UTC).date())
    target = week_monday(week) if week else this_week
    if target > this_week:
        raise FuturePeriod(_("Weekly bonuses cannot be paid for a week that has not begun."))
    result = WeeklyRunResult(week=iso_week_label(target), dry_run=dry_run)
    plan = plan_current()  # its cap multiple applies, and each settled week records it
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT user_id FROM ranks_rank
            WHERE weeks_remaining > 0 AND bonus_start_week <= %(target)s
              AND (last_paid_week IS NULL OR last_paid_week < %(target)s)
            ORDER BY user_id
            """,
            {"target": target},
        )
        candidates = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(candidates), PAYOUT_CHUNK):
        chunk = candidates[start : start + PAYOUT_CHUNK]
        with transaction.atomic():
            pages_changed()  # a chunk pays many members: their pages are noted as one
            _pay_chunk(user_ids=chunk, target=target, plan=plan, result=result)
            if dry_run:
                transaction.set_rollback(True)
        if progress:
            progress(len(chunk))
    return result


# A week of one member's bonus: member, Monday, ISO label, rank, owed, paid, capped.
_WeekRow = tuple[int, dt.date, str, str, Decimal, Decimal, Decimal]


def _pay_chunk(*, user_ids: list[int], target: dt.date, plan: PlanVersion, result: WeeklyRunResult) -> None:
    with connection.cursor() as cursor:
        # Members first, in id order, like every payout: their totals decide the cap room.
        cursor.execute(
            f"""
            SELECT u.id, {cap_room_sql("u")} FROM accounts_user u
            WHERE u.id = ANY(%(ids)s) ORDER BY u.id FOR UPDATE
            """,
            {"ids": user_ids, "cap_multiple": plan.cap_multiple},
        )
        room = dict(cursor.fetchall())
        # Re-read each rank under its lock: a concurrent run may have settled these weeks already.
        cursor.execute(
            """
            SELECT user_id, current_rank, weekly_bonus_amount, weeks_remaining,
                   GREATEST(bonus_start_week, coalesce(last_paid_week + 7, bonus_start_week))
            FROM ranks_rank
            WHERE user_id = ANY(%s) AND weeks_remaining > 0 AND bonus_start_week <= %s
              AND (last_paid_week IS NULL OR last_paid_week < %s)
            ORDER BY user_id FOR UPDATE
            """,
            [user_ids, target, target],
        )
        ranks = cursor.fetchall()
    rows: list[_WeekRow] = []
    for user_id, rank, amount, weeks_remaining, first in ranks:
        left = room.get(user_id, Decimal(0))
        monday = first
        for _week in range(weeks_remaining):
            if monday > target:
                break
            paid = min(amount, left)
            left -= paid
            rows.append((user_id, monday, iso_week_label(monday), rank, amount, paid, amount - paid))
            monday += dt.timedelta(days=7)
    settled = _unsettled(rows)
    if not settled:
        return
    paying = [row for row in settled if row[5] > 0]
    ledger_ids = _post_bonuses(paying)
    _bonuses_claim(settled, ledger_ids=ledger_ids, plan=plan)
    _bonuses_notify(paying)
    per_member: dict[int, tuple[int, dt.date, Decimal]] = {}
    for user_id, monday, *_rest, paid, _capped in settled:
        count, last, total = per_member.get(user_id, (0, monday, Decimal(0)))
        per_member[user_id] = (count + 1, max(last, monday), total + paid)
    ids = sorted(per_member)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE ranks_rank r SET weeks_remaining = r.weeks_remaining - d.n, last_paid_week = d.last
            FROM unnest(%s::bigint[], %s::int[], %s::date[]) AS d(user_id, n, last)
            WHERE r.user_id = d.user_id
            """,
            [array_literal(ids), array_literal(per_member[i][0] for i in ids),
             array_literal(per_member[i][1] for i in ids)],
        )
    members_earnings_add(paid={i: per_member[i][2] for i in ids if per_member[i][2] > 0})
    result.members += len(per_member)
    result.weeks_settled += len(settled)
    result.paid += sum((row[5] for row in settled), Decimal(0))
    result.capped += sum((row[6] for row in settled), Decimal(0))


def _unsettled(rows: list[_WeekRow]) -> list[_WeekRow]:
    """The weeks among `rows` that have no weekly bonus row yet.

    Under the rank locks every week after a member's last paid one is unsettled, so this only
    matters if the two ever disagree: such a week is then skipped, never paid twice.
    """
    if not rows:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT b.user_id, b.week FROM unnest(%s::bigint[], %s::date[]) AS t(user_id, week)
            JOIN ranks_weeklybonus b ON b.user_id = t.user_id AND b.week = t.week
            """,
            [array_literal(row[0] for row in rows), array_literal(row[1] for row in rows)],
        )
        settled_before = set(cursor.fetchall())
    return [row for row in rows if (row[0], row[1]) not in settled_before]


def _bonuses_claim(rows: list[_WeekRow], *, ledger_ids: dict[dt.date, int], plan: PlanVersion) -> None:
    """One weekly bonus row per (member, week), naming the ledger transaction that paid it.

    Its unique (member, week) is what settles a week once: written in the transaction that paid
    it, a duplicate aborts the whole chunk, payments with it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ranks_weeklybonus (user_id, week, iso_week, rank, amount, paid_amount, capped_amount,
                                           ledger_transaction_id, plan_version_id, created_at)
            SELECT *, %s, now() FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[],
                                            %s::numeric[], %s::numeric[], %s::numeric[], %s::bigint[])
            """,
            [
                plan.pk, array_literal(row[0] for row in rows), array_literal(row[1] for row in rows),
                text_array_literal(row[2] for row in rows), text_array_literal(row[3] for row in rows),
                array_literal(row[4] for row in rows), array_literal(row[5] for row in rows),
                array_literal(row[6] for row in rows),
                text_array_literal(ledger_ids[row[1]] if row[5] > 0 else None for row in rows),
            ],
        )


def _promotions_notify(now: dt.datetime) -> None:
    from phonix.notifications import notify_set

    notify_set(kind="rank_achieved", params={"now": now}, source_sql="""
        SELECT user_id, 'rank:' || user_id || ':' || rank, jsonb_build_object('rank', rank)
        FROM ranks_rankachievement WHERE achieved_at = %(now)s
    """)


def _bonuses_notify(rows: list[_WeekRow]) -> None:
    from phonix.notifications import notify_set

    if not rows:
        return
    notify_set(
        kind="weekly_bonus",
        params={"users": array_literal(r[0] for r in rows), "weeks": text_array_literal(r[2] for r in rows),
                "ranks": text_array_literal(r[3] for r in rows), "amounts": array_literal(r[5] for r in rows)},
        source_sql="""
        SELECT t.user_id, 'weekly:' || t.user_id || ':' || t.week,
               jsonb_build_object('week', t.week, 'rank', t.rank, 'amount', t.amount::numeric(20, 6)::text)
        FROM unnest(%(users)s::bigint[], %(weeks)s::text[], %(ranks)s::text[], %(amounts)s::numeric[])
            AS t(user_id, week, rank, amount)
    """)


def _post_bonuses(rows: list[_WeekRow]) -> dict[dt.date, int]:
    """One ledger transaction per week paid (payouts −, one main + entry per member), keyed
    weekly:<week>:members:<first>-<last>; the id of each, by Monday.

    A member owed several weeks (a catch-up) gets each week from that week's transaction. The rows
    go to the ledger as a set, never one by one through Python objects.
    """
    weeks: dict[dt.date, list[_WeekRow]] = {}
    for row in rows:
        weeks.setdefault(row[1], []).append(row)
    ledger_ids: dict[dt.date, int] = {}
    rank_labels = {code: str(label) for code, label in RankCode.choices}
    cap_note = _("%(amount)s not paid: 3× cap reached")
    for monday, paying in sorted(weeks.items()):
        label, user_ids = paying[0][2], [row[0] for row in paying]
        headings = {code: _("Weekly bonus %(week)s (%(rank)s)") % {"week": label, "rank": name}
                    for code, name in rank_labels.items()}
        descriptions = [
            headings[rank] + ("; " + cap_note % {"amount": capped} if capped else "")
            for _user_id, _monday, _label, rank, _amount, _paid, capped in paying
        ]
        payout_table_create()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO pg_temp.wallet_payout (user_id, amount, description)
                SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::text[])
                """,
                [array_literal(user_ids), array_literal(row[5] for row in paying), text_array_literal(descriptions)],
            )
        batch = ledger_post_payouts(
            key=f"weekly:{label}:members:{min(user_ids)}-{max(user_ids)}", kind=LedgerTransaction.Kind.WEEKLY_BONUS,
            history_type=Transaction.Type.WEEKLY_BONUS, memo=f"Weekly bonuses {label}",
        )
        ledger_ids[monday] = cast(int, batch.transaction_id)  # never None: every row of `paying` is in it
    return ledger_ids
