"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('investment_subscription', 'user_id');
SELECT phonix_page_versions_track('investment_planversion');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('investment_subscription');
SELECT phonix_page_versions_untrack('investment_planversion');
"""


class Migration(migrations.Migration):

    dependencies = [("investment", "0007_subscription_half_pages"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
