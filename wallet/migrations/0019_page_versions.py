"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("wallet", "0018_promotion_history_type"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("wallet_transaction", "user_id"),
            ("wallet_ledgeraccount", "user_id"),
            ("wallet_deposit", "user_id"),
            ("wallet_depositaddress", "user_id"),
            ("wallet_withdrawal", "user_id"),
            ("wallet_custodypolicy",),
        ),
    ]
