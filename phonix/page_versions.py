"""What the page versions' SQL (migration phonix 0006) and its callers share: the threshold past
which a transaction notes every member's pages, and the migration operation an app tracks its
tables with."""

import re

from django.db import migrations

MANY_MEMBERS = 1_000  # past this, a transaction notes every member's pages instead of each one's

_NAME = re.compile(r"^\*?[a-z_][a-z0-9_]*$")  # a table or column; `*` marks an array of members


def tracked(*tables: tuple[str, ...]) -> migrations.RunSQL:
    """Track each (table, member column, …): the member pages' cache forgets what these tables
    change for the members in the columns named, or for every member where none is.

    The migration using it depends on ("phonix", "0007_page_versions_seen_members"), whose
    function writes the triggers that skip a row of a member noted already."""
    for names in tables:
        if not all(_NAME.match(name) for name in names):
            raise ValueError(f"not a plain table or column name: {names}")
    forward = [f"SELECT phonix_page_versions_track({', '.join(repr(name) for name in names)});" for names in tables]
    reverse = [f"SELECT phonix_page_versions_untrack('{names[0]}');" for names in tables]
    return migrations.RunSQL("\n".join(forward), "\n".join(reverse))
