"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('accounts_user', 'id', '*upline_ids');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('accounts_user');
"""


class Migration(migrations.Migration):

    dependencies = [("accounts", "0006_user_half_pages"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
