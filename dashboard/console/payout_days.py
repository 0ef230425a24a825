"""Payouts per UTC day and type, summarised from the ledger into `phonix.PayoutDay`.

The ledger is append-only, so a period once summarised never changes — provided every posting of
it has committed. A posting's `created_at` is its transaction's start, and no transaction runs
for `SUMMARY_LAG` (task time limits are minutes), so each run summarises from the cursor up to
now − `SUMMARY_LAG`; the console adds the postings after the cursor live. Runs claim the cursor
row with a lock, so two at once never count a period twice. Only the console's 30 days matter:
a first run starts there.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from phonix.models import SummaryCursor

CURSOR_NAME = "payout_days"
SUMMARY_LAG = dt.timedelta(minutes=15)
HISTORY_DAYS = 31

# Every payout leaves the `payouts` platform account; the type is told by its kind and key.
PAYOUT_TYPES = ("daily_income", "generation_income", "weekly_bonus", "registration_bonus", "distribution",
                "mining_reward")
PAYOUTS_BETWEEN_SQL = """
    SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day,
           CASE t.kind WHEN 'daily_income' THEN 'daily_income' WHEN 'commission' THEN 'generation_income'
                       WHEN 'weekly_bonus' THEN 'weekly_bonus'
                       ELSE CASE WHEN t.idempotency_key LIKE 'promotion:%%' THEN 'distribution'
                                 WHEN t.idempotency_key LIKE 'bonus:registration:%%' THEN 'registration_bonus'
                                 ELSE 'mining_reward' END
           END AS type,
           -sum(e.amount) AS total
    FROM wallet_ledgertransaction t
    JOIN wallet_ledgerentry e ON e.transaction_id = t.id
    JOIN wallet_ledgeraccount a ON a.id = e.account_id AND a.user_id IS NULL AND a.code = 'payouts'
    WHERE t.created_at >= {start} AND t.created_at < {end}
      AND t.kind IN ('daily_income', 'commission', 'weekly_bonus', 'bonus')
    GROUP BY 1, 2
"""


@transaction.atomic
def payout_days_summarise(*, now: dt.datetime | None = None) -> dt.datetime:
    """Add the postings from the cursor to now − SUMMARY_LAG to the day totals; return the new cursor."""
    now = now or timezone.now()
    until = now - SUMMARY_LAG
    first = dt.datetime.combine((now - dt.timedelta(days=HISTORY_DAYS)).astimezone(dt.UTC).date(), dt.time.min,
                                tzinfo=dt.UTC)
    cursor_row, _created = SummaryCursor.objects.select_for_update().get_or_create(
        name=CURSOR_NAME, defaults={"through": first})
    if cursor_row.through >= until:
        return cursor_row.through
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO phonix_payoutday (day, type, total)
            {PAYOUTS_BETWEEN_SQL.format(start="%(start)s", end="%(end)s")}
            ON CONFLICT (day, type) DO UPDATE SET total = phonix_payoutday.total + EXCLUDED.total
            """,
            {"start": cursor_row.through, "end": until},
        )
    cursor_row.through = until
    cursor_row.save(update_fields=["through"])
    return until
