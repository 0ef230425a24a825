"""What each deposit address should hold by Phonix's own records: received minus swept.

Received is every solidified deposit recorded on the address (credited, or below the minimum and
left uncredited); swept is the USDT completed sweeps moved out. No timestamps take part: a deposit
first seen while a sweep was in flight still counts, whatever order the rows were written in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Holding:
    address_id: int
    address: str
    expected_units: int  # received - swept
    tail_units: int  # deposits seen but not solidified yet (may or may not be on chain)
    sweeping_units: int  # an open sweep's transfer may already have moved this much out

    def explains(self, units: int) -> bool:
        """Whether `units` on chain is what the records say, allowing for what is in flight."""
        return self.expected_units - self.sweeping_units <= units <= self.expected_units + self.tail_units


def holdings(*, address_ids: list[int] | None = None) -> list[Holding]:
    """Addresses in play: expected to hold USDT, with deposits in the tail, or with an open sweep.

    With `address_ids`, those addresses whatever they hold.
    """
    scale = 10 ** settings.USDT_DECIMALS
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH received AS (
                SELECT deposit_address_id AS id,
                       sum(amount) FILTER (WHERE status IN ('credited', 'below_minimum')) AS solid,
                       sum(amount) FILTER (WHERE status IN ('seen', 'confirming')) AS tail
                FROM wallet_deposit GROUP BY deposit_address_id
            ), swept AS (
                SELECT deposit_address_id AS id,
                       sum(amount_units) FILTER (WHERE status = 'completed') AS done,
                       sum(amount_units) FILTER (WHERE status = 'sweeping') AS open
                FROM wallet_depositsweep GROUP BY deposit_address_id
            ), book AS (
                SELECT a.id, a.address,
                       (coalesce(r.solid, 0) * %(scale)s)::bigint - coalesce(s.done, 0) AS expected,
                       (coalesce(r.tail, 0) * %(scale)s)::bigint AS tail,
                       coalesce(s.open, 0) AS sweeping
                FROM wallet_depositaddress a
                LEFT JOIN received r ON r.id = a.id
                LEFT JOIN swept s ON s.id = a.id
                WHERE (%(ids)s::bigint[] IS NULL AND (r.id IS NOT NULL OR s.id IS NOT NULL))
                   OR a.id = ANY(%(ids)s::bigint[])
            )
            SELECT id, address, expected, tail, sweeping FROM book
            WHERE %(ids)s::bigint[] IS NOT NULL OR expected <> 0 OR tail <> 0 OR sweeping <> 0
            ORDER BY id
            """,
            {"scale": scale, "ids": address_ids},
        )
        return [Holding(*row) for row in cursor.fetchall()]
