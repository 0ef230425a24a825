"""Commission rows' references are checked per statement, as sets, not by per-row foreign keys.

A daily run inserts a commission row per subscription; four foreign keys made that 400,000
lookups and row locks at commit for 100,000 subscriptions. phonix/set_references.py keeps the
same rule in one check per statement.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from phonix.set_references import Reference, references_sql

FORWARD, REVERSE = references_sql("earnings_commission", [
    Reference("user_id", "accounts_user"),
    Reference("from_user_id", "accounts_user"),
    Reference("source_subscription_id", "investment_subscription"),
    Reference("plan_version_id", "investment_planversion"),
])


class Migration(migrations.Migration):
    dependencies = [
        ("earnings", "0004_commission_no_session_reason"),
        ("investment", "0006_plan_mining_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="commission", name="user",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="commissions", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="commission", name="from_user",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="commission", name="source_subscription",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="commissions", to="investment.subscription"),
        ),
        migrations.AlterField(
            model_name="commission", name="plan_version",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="investment.planversion"),
        ),
        migrations.RunSQL(FORWARD, REVERSE),
    ]
