"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("investment", "0007_subscription_half_pages"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("investment_subscription", "user_id"),
            ("investment_planversion",),
        ),
    ]
