"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("ranks", "0002_weekly_bonus_plan_version"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("ranks_membervolume", "user_id"),
            ("ranks_rank", "user_id"),
            ("ranks_rankachievement", "user_id"),
            ("ranks_weeklybonus", "user_id"),
        ),
    ]
