"""Every daily payout updates each active subscription (total_earned, daily_paid_through);
free room on each page keeps those updates HOT."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("investment", "0003_subscription_daily_paid_through")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE investment_subscription SET (fillfactor = 80);",
            "ALTER TABLE investment_subscription RESET (fillfactor);",
        ),
    ]
