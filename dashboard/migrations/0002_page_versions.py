"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('dashboard_notification', 'user_id');
SELECT phonix_page_versions_track('dashboard_announcementread', 'user_id');
SELECT phonix_page_versions_track('dashboard_announcement');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('dashboard_notification');
SELECT phonix_page_versions_untrack('dashboard_announcementread');
SELECT phonix_page_versions_untrack('dashboard_announcement');
"""


class Migration(migrations.Migration):

    dependencies = [("dashboard", "0001_initial"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
