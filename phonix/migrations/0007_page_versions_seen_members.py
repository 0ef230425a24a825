"""Page versions: a row of a member this transaction has noted already calls no trigger.

A purchase and its fan-out write several rows of each member they touch (a balance, a history
line, volumes, totals, a commission), and each row used to run the page-version trigger only to
note the same member again. Now each tracked table has a trigger per event whose WHEN compares the row's
member with the members noted so far (phonix.page_changes_members), so that PostgreSQL queues no
trigger call for it at all. A row naming one member is looked up in the list of those noted; a
row naming several, or an array of them (accounts_user and its upline), has the list parsed into an
array while it is short.

The tables tracked before this migration are tracked again with their own migrations' columns;
going back tracks them again with 0006's function (kept, renamed, to write each table's trigger
function). The new untrack drops the triggers of either.
"""

import importlib

from django.db import migrations

# The app migrations that tracked their tables with phonix 0006's function.
TRACKING_MIGRATIONS = [
    ("accounts", "0007_page_versions"),
    ("dashboard", "0002_page_versions"),
    ("earnings", "0008_page_versions"),
    ("investment", "0008_page_versions"),
    ("mining", "0004_page_versions"),
    ("ranks", "0003_page_versions"),
    ("wallet", "0019_page_versions"),
]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION phonix_page_versions_untrack(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    trigger_name text;
BEGIN
    FOREACH trigger_name IN ARRAY ARRAY['page_versions', 'page_versions_insert', 'page_versions_update',
                                        'page_versions_delete', 'page_versions_truncate'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', trigger_name, target);
    END LOOP;
    EXECUTE format('DROP FUNCTION IF EXISTS %I()', 'phonix_page_versions_' || (SELECT relname FROM pg_class WHERE oid = target));
END
$$;

-- 0006's function stays as it was, under another name: it writes the table's trigger function
-- and the one trigger that calls it for every row, which this one replaces.
ALTER FUNCTION phonix_page_versions_track(regclass, text[]) RENAME TO phonix_page_versions_track_every_row;

-- Every change of `target` makes the pages of the members in `member_columns` out of date; with
-- no column, every member's (member 0). A row whose members are noted already calls nothing.
CREATE FUNCTION phonix_page_versions_track(target regclass, VARIADIC member_columns text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    function_name text := 'phonix_page_versions_' || (SELECT relname FROM pg_class WHERE oid = target);
    row_members text;
    old_members text;
    new_members text;
    noting text := $w$current_setting('phonix.page_changes', true) IS DISTINCT FROM 'all'$w$;
    -- ",3,17,42,": a member is noted when ",<id>," is found in it
    noted text := $w$(',' || coalesce(current_setting('phonix.page_changes_members', true), '') || ',')$w$;
    noted_ids text := $w$string_to_array(coalesce(current_setting('phonix.page_changes_members', true), ''), ',')::bigint[]$w$;
    old_member text := '0';
    new_member text := '0';
    insert_when text;
    update_when text;
    delete_when text;
BEGIN
    PERFORM phonix_page_versions_untrack(target);
    PERFORM phonix_page_versions_track_every_row(target, VARIADIC member_columns);
    EXECUTE format('DROP TRIGGER page_versions ON %s', target);
    IF cardinality(member_columns) = 0 OR (cardinality(member_columns) = 1 AND left(member_columns[1], 1) <> '*') THEN
        IF cardinality(member_columns) = 1 THEN
            old_member := format('OLD.%I', member_columns[1]);
            new_member := format('NEW.%I', member_columns[1]);
        END IF;
        -- A row of no member (NULL) makes the comparison NULL, and so calls nothing either.
        insert_when := format($w$%s AND strpos(%s, ',' || %s || ',') = 0$w$, noting, noted, new_member);
        delete_when := format($w$%s AND strpos(%s, ',' || %s || ',') = 0$w$, noting, noted, old_member);
        update_when := format($w$%s AND (strpos(%s, ',' || %s || ',') = 0 OR strpos(%s, ',' || %s || ',') = 0)$w$,
                              noting, noted, old_member, noted, new_member);
    ELSE
        row_members := (SELECT string_agg(CASE WHEN left(c, 1) = '*' THEN format('%%s.%I', substr(c, 2))
                                              ELSE format('ARRAY[%%s.%I]', c) END, ' || ')
                        FROM unnest(member_columns) AS c);
        old_members := format(row_members, VARIADIC array_fill('OLD'::text, ARRAY[cardinality(member_columns)]));
        new_members := format(row_members, VARIADIC array_fill('NEW'::text, ARRAY[cardinality(member_columns)]));
        -- Several members a row: called unless all of them are noted. Past a few hundred members
        -- noted, the list is not parsed again for every row: the row is noted.
        insert_when := format($w$%s AND (length(%s) > 2000 OR NOT %s @> (%s))$w$, noting, noted, noted_ids, new_members);
        delete_when := format($w$%s AND (length(%s) > 2000 OR NOT %s @> (%s))$w$, noting, noted, noted_ids, old_members);
        update_when := format($w$%s AND (length(%s) > 2000 OR NOT %s @> (%s || %s))$w$,
                              noting, noted, noted_ids, new_members, old_members);
    END IF;
    EXECUTE format('CREATE TRIGGER page_versions_insert AFTER INSERT ON %s FOR EACH ROW WHEN (%s) '
                   'EXECUTE FUNCTION %I()', target, insert_when, function_name);
    EXECUTE format('CREATE TRIGGER page_versions_update AFTER UPDATE ON %s FOR EACH ROW WHEN (%s) '
                   'EXECUTE FUNCTION %I()', target, update_when, function_name);
    EXECUTE format('CREATE TRIGGER page_versions_delete AFTER DELETE ON %s FOR EACH ROW WHEN (%s) '
                   'EXECUTE FUNCTION %I()', target, delete_when, function_name);
END
$$;
"""

# Back to 0006: every table tracked again with its function, one trigger for every row.
REVERSE_FUNCTIONS = """
DROP FUNCTION phonix_page_versions_track(regclass, text[]);
ALTER FUNCTION phonix_page_versions_track_every_row(regclass, text[]) RENAME TO phonix_page_versions_track;
"""


def tracking_sql(direction: str) -> str:
    """The SQL each app migration runs to track its tables ("sql") or to untrack them
    ("reverse_sql"), to run again here."""
    statements = []
    for app, name in TRACKING_MIGRATIONS:
        module = importlib.import_module(f"{app}.migrations.{name}")
        statements += [getattr(operation, direction) for operation in module.Migration.operations
                       if isinstance(operation, migrations.RunSQL)]
    return "\n".join(statements)


class Migration(migrations.Migration):

    dependencies = [("phonix", "0006_page_versions"), *TRACKING_MIGRATIONS]

    operations = [migrations.RunSQL(FUNCTIONS + tracking_sql("sql"),
                                    tracking_sql("reverse_sql") + REVERSE_FUNCTIONS + tracking_sql("sql"))]
