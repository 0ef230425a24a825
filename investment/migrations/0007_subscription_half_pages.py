"""Room on every page for the payout runs' updates of investment_subscription (phonix/db_pages.py)."""

from django.db import migrations

from phonix.db_pages import room_for_payout_updates


class Migration(migrations.Migration):
    dependencies = [("investment", "0006_plan_mining_settings")]

    operations = [room_for_payout_updates("investment_subscription", previous=80)]
