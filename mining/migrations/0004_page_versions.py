"""The member pages' cache forgets what these tables change (phonix/page_versions.py)."""

from django.db import migrations

from phonix.page_versions import tracked


class Migration(migrations.Migration):

    dependencies = [("mining", "0003_mining_sessions"), ("phonix", "0006_page_versions")]

    operations = [
        tracked(
            ("mining_miningsession", "user_id"),
            ("mining_miningprofile", "user_id"),
            ("mining_networksnapshot",),
            ("mining_asicminer",),
        ),
    ]
