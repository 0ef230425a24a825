"""Writes of ranks: leg volumes, rank advancement and weekly rank bonuses."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from accounts.models import User


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
