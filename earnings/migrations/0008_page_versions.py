"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('earnings_commission', 'user_id');
SELECT phonix_page_versions_track('earnings_distributionpayout', 'user_id');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('earnings_commission');
SELECT phonix_page_versions_untrack('earnings_distributionpayout');
"""


class Migration(migrations.Migration):

    dependencies = [("earnings", "0007_commission_ledger_transaction"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
