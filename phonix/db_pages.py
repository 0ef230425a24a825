"""Free room on the pages of tables that every payout run updates row by row.

A HOT update (the new row version on the same page, no new index entries) needs room on the
page. With half of each page left free a payout run can update every row on it once; at 80 %
most rows of a full page found none, and each of those updates wrote a new entry into every
index of the table. Autovacuum frees the room again between runs. Existing pages keep their fill
until the table is rewritten (VACUUM FULL or pg_repack during maintenance).
"""

from django.db import migrations

PAYOUT_FILLFACTOR = 50


def room_for_payout_updates(table: str, *, previous: int) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"ALTER TABLE {table} SET (fillfactor = {PAYOUT_FILLFACTOR});",
        f"ALTER TABLE {table} SET (fillfactor = {previous});",
    )
