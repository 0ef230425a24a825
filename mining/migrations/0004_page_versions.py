"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('mining_miningsession', 'user_id');
SELECT phonix_page_versions_track('mining_miningprofile', 'user_id');
SELECT phonix_page_versions_track('mining_networksnapshot');
SELECT phonix_page_versions_track('mining_asicminer');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('mining_miningsession');
SELECT phonix_page_versions_untrack('mining_miningprofile');
SELECT phonix_page_versions_untrack('mining_networksnapshot');
SELECT phonix_page_versions_untrack('mining_asicminer');
"""


class Migration(migrations.Migration):

    dependencies = [("mining", "0003_mining_sessions"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
