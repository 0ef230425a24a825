"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('ranks_membervolume', 'user_id');
SELECT phonix_page_versions_track('ranks_rank', 'user_id');
SELECT phonix_page_versions_track('ranks_rankachievement', 'user_id');
SELECT phonix_page_versions_track('ranks_weeklybonus', 'user_id');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('ranks_membervolume');
SELECT phonix_page_versions_untrack('ranks_rank');
SELECT phonix_page_versions_untrack('ranks_rankachievement');
SELECT phonix_page_versions_untrack('ranks_weeklybonus');
"""


class Migration(migrations.Migration):

    dependencies = [("ranks", "0002_weekly_bonus_plan_version"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
