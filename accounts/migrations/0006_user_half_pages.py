"""Room on every page for the payout runs' updates of accounts_user (phonix/db_pages.py)."""

from django.db import migrations

from phonix.db_pages import room_for_payout_updates


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_email_confirmation_and_credential_changes")]

    operations = [room_for_payout_updates("accounts_user", previous=80)]
