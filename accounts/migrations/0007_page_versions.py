"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("accounts", "0006_user_half_pages"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("accounts_user", "id", "*upline_ids"),
        ),
    ]
