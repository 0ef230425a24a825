"""Room on every page for the payout runs' updates of wallet_ledgeraccount (phonix/db_pages.py)."""

from django.db import migrations

from phonix.db_pages import room_for_payout_updates


class Migration(migrations.Migration):
    dependencies = [("wallet", "0015_history_references_per_statement")]

    operations = [room_for_payout_updates("wallet_ledgeraccount", previous=70)]
