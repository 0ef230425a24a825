"""A commission row names the ledger transaction that paid it.

A daily run now pays each batch of members in one ledger transaction with one entry per member;
the commission row keeps the per-payout record. Rows paid before name their own transaction,
found by its key (`daily:<subscription>:<date>`, `gen:<subscription>:<level>`). The reference is
checked per statement like the others (phonix/set_references.py).
"""

import django.db.models.deletion
from django.db import migrations, models

from phonix.set_references import Reference, references_sql

BEFORE = [
    Reference("user_id", "accounts_user"),
    Reference("from_user_id", "accounts_user"),
    Reference("source_subscription_id", "investment_subscription"),
    Reference("plan_version_id", "investment_planversion"),
]
AFTER = [*BEFORE, Reference("ledger_transaction_id", "wallet_ledgertransaction", deletable=False)]
FORWARD_BEFORE, REVERSE_BEFORE = references_sql("earnings_commission", BEFORE)
FORWARD_AFTER, REVERSE_AFTER = references_sql("earnings_commission", AFTER)

BACKFILL = """
UPDATE earnings_commission c SET ledger_transaction_id = t.id
FROM wallet_ledgertransaction t
WHERE c.amount > 0 AND t.idempotency_key = CASE
    WHEN c.commission_type = 'daily_bond' THEN 'daily:' || c.source_subscription_id || ':' || c.payout_date
    ELSE 'gen:' || c.source_subscription_id || ':' || c.level END
"""


class Migration(migrations.Migration):
    dependencies = [
        ("earnings", "0006_distributions"),
        ("wallet", "0018_promotion_history_type"),
    ]

    operations = [
        migrations.AddField(
            model_name="commission", name="ledger_transaction",
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="wallet.ledgertransaction"),
        ),
        migrations.RunSQL(REVERSE_BEFORE + FORWARD_AFTER, REVERSE_AFTER + FORWARD_BEFORE),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
