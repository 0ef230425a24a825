"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("earnings", "0007_commission_ledger_transaction"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("earnings_commission", "user_id"),
            ("earnings_distributionpayout", "user_id"),
        ),
    ]
