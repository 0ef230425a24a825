"""The member pages' cache forgets what these tables change (phonix/page_cache.py): the
pages of the members in the columns named, or every member's where none is."""

from django.db import migrations

FORWARD = """
SELECT phonix_page_versions_track('wallet_transaction', 'user_id');
SELECT phonix_page_versions_track('wallet_ledgeraccount', 'user_id');
SELECT phonix_page_versions_track('wallet_deposit', 'user_id');
SELECT phonix_page_versions_track('wallet_depositaddress', 'user_id');
SELECT phonix_page_versions_track('wallet_withdrawal', 'user_id');
SELECT phonix_page_versions_track('wallet_custodypolicy');
"""

REVERSE = """
SELECT phonix_page_versions_untrack('wallet_transaction');
SELECT phonix_page_versions_untrack('wallet_ledgeraccount');
SELECT phonix_page_versions_untrack('wallet_deposit');
SELECT phonix_page_versions_untrack('wallet_depositaddress');
SELECT phonix_page_versions_untrack('wallet_withdrawal');
SELECT phonix_page_versions_untrack('wallet_custodypolicy');
"""


class Migration(migrations.Migration):

    dependencies = [("wallet", "0018_promotion_history_type"), ("phonix", "0006_page_versions")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
