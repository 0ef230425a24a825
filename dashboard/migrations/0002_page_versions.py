"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("dashboard", "0001_initial"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("dashboard_notification", "user_id"),
            ("dashboard_announcementread", "user_id"),
            ("dashboard_announcement",),
        ),
    ]
