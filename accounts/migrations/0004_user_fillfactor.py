"""Member rows are updated by every payout (total_earnings) and purchase (total_invested).

With free room on each page those updates stay HOT: the row is rewritten in place and the
indexes, the GIN index on upline_ids above all, are left alone.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_issue_missing_referral_codes")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE accounts_user SET (fillfactor = 80);",
            "ALTER TABLE accounts_user RESET (fillfactor);",
        ),
    ]
