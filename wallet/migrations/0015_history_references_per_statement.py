"""History lines' references are checked per statement, as sets, not by per-row foreign keys.

A payout run writes a history line per payout; three foreign keys made that 300,000 lookups and
row locks at commit for 100,000 payouts. phonix/set_references.py keeps the same rule in one
check per statement.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from phonix.set_references import Reference, references_sql

FORWARD, REVERSE = references_sql("wallet_transaction", [
    Reference("user_id", "accounts_user"),
    Reference("subscription_id", "investment_subscription"),
    Reference("ledger_transaction_id", "wallet_ledgertransaction", deletable=False),
])


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0014_ledger_checks_per_statement"),
        ("investment", "0006_plan_mining_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="transaction", name="user",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="transactions", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="transaction", name="subscription",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="investment.subscription"),
        ),
        migrations.AlterField(
            model_name="transaction", name="ledger_transaction",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="history",
                                    to="wallet.ledgertransaction"),
        ),
        migrations.RunSQL(FORWARD, REVERSE),
    ]
