"""Page versions: what tells a member's cached pages (phonix/page_cache.py) that they are out of date.

One row per member whose pages have changed, and row 0 for every member's. A row trigger on each
table the member pages read notes the members a row belongs to (the columns given to
phonix_page_versions_track; an array column marked with a leading `*`), or 0 for a table every
member sees, in settings local to the transaction; at commit a deferred trigger turns the notes
into new versions, in member order. The version rows are so locked only at the very end of a
transaction and in one order, never between its other locks: no new wait, no deadlock.

A transaction that changes more than PAGE_VERSIONS_MANY rows notes 0 instead and stops noting:
the triggers' WHEN then skips every further row at the cost of reading a setting, so a payout
batch over 100,000 members pays for a thousand notes, not a hundred thousand.

A version is the time of the change in microseconds and never goes back, so that a cache that
outlives a restored database cannot serve an old page under a version seen again.
"""

from django.db import migrations

from phonix.page_versions import MANY_MEMBERS as PAGE_VERSIONS_MANY

FORWARD = f"""
CREATE TABLE phonix_pageversion (
    member_id bigint PRIMARY KEY,
    version bigint NOT NULL
);
COMMENT ON TABLE phonix_pageversion IS
    'When the cached pages of a member (member_id), or of every member (0), last went out of date';

-- One row per transaction with changes noted and not yet applied: it schedules the deferred
-- trigger that applies them at commit. Rows of other transactions are never visible here, since
-- each transaction takes its own row out before it commits.
CREATE TABLE phonix_pagechange (noted_at timestamptz NOT NULL DEFAULT clock_timestamp());

CREATE FUNCTION phonix_page_versions_bump(member_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    -- In member order, so that two transactions bumping the same members cannot deadlock here.
    INSERT INTO phonix_pageversion AS p (member_id, version)
    SELECT DISTINCT id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    FROM unnest(member_ids) AS id WHERE id IS NOT NULL ORDER BY id
    ON CONFLICT (member_id) DO UPDATE SET version = greatest(p.version + 1, excluded.version)
$$;

-- The members whose pages a row change makes out of date; NULL for every member's. Kept in
-- settings local to the transaction (phonix.page_changes_*), which cost no row and no lock:
--   page_changes          'all' once every member's pages are noted: the triggers skip the rest
--   page_changes_members  the members noted, comma-separated
--   page_changes_noted    how many notes the transaction has made (the page cache reads it too)
--   page_changes_pending  'yes' while a phonix_pagechange row waits for the commit
CREATE FUNCTION phonix_page_changes_note(member_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    noted int := coalesce(nullif(current_setting('phonix.page_changes_noted', true), ''), '0')::int + 1;
BEGIN
    IF current_setting('phonix.page_changes', true) = 'all' THEN
        RETURN;
    END IF;
    PERFORM set_config('phonix.page_changes_noted', noted::text, true);
    -- Past a thousand rows, or members enough to fill the setting (deep uplines), every member's.
    IF member_ids IS NULL OR noted > {PAGE_VERSIONS_MANY}
       OR length(current_setting('phonix.page_changes_members', true)) > {PAGE_VERSIONS_MANY * 20} THEN
        PERFORM set_config('phonix.page_changes', 'all', true);
        PERFORM set_config('phonix.page_changes_members', '0', true);
    ELSE
        PERFORM set_config('phonix.page_changes_members', concat_ws(',',
            nullif(current_setting('phonix.page_changes_members', true), ''),
            nullif(array_to_string(member_ids, ','), '')), true);  -- a row of no member adds nothing
    END IF;
    IF current_setting('phonix.page_changes_pending', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('phonix.page_changes_pending', 'yes', true);
        INSERT INTO phonix_pagechange DEFAULT VALUES;
    END IF;
END
$$;

CREATE FUNCTION phonix_page_changes_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[] := (SELECT array_agg(DISTINCT id::bigint) FROM unnest(string_to_array(
        current_setting('phonix.page_changes_members', true), ',')) AS id WHERE id <> '');
BEGIN
    PERFORM set_config('phonix.page_changes_pending', '', true);
    PERFORM set_config('phonix.page_changes_members', '', true);
    PERFORM set_config('phonix.page_changes', '', true);
    DELETE FROM phonix_pagechange;
    IF 0 = ANY(changed) OR cardinality(changed) > {PAGE_VERSIONS_MANY} THEN  -- every member's covers the rest
        changed := ARRAY[0]::bigint[];
    END IF;
    IF changed IS NOT NULL THEN
        PERFORM phonix_page_versions_bump(changed);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER page_changes_apply AFTER INSERT ON phonix_pagechange
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION phonix_page_changes_apply();

-- Every change of `target` makes the pages of the members in `member_columns` out of date; with
-- no column, every member's. Writes the table's own trigger function, the columns named in it.
CREATE FUNCTION phonix_page_versions_track(target regclass, VARIADIC member_columns text[] DEFAULT '{{}}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    function_name text := 'phonix_page_versions_' || (SELECT relname FROM pg_class WHERE oid = target);
    row_members text;
    -- A table every member sees notes member 0; NULL (every member's, the rest of the transaction
    -- skipped) is kept for a batch and TRUNCATE, so that later writes of the same transaction
    -- are still noted and show to a page read inside it.
    old_members text := 'ARRAY[0]::bigint[]';
    new_members text := 'ARRAY[0]::bigint[]';
BEGIN
    IF cardinality(member_columns) > 0 THEN
        row_members := (SELECT string_agg(CASE WHEN left(c, 1) = '*' THEN format('%%s.%I', substr(c, 2))
                                              ELSE format('ARRAY[%%s.%I]', c) END, ' || ')
                        FROM unnest(member_columns) AS c);
        old_members := format(row_members, VARIADIC array_fill('OLD'::text, ARRAY[cardinality(member_columns)]));
        new_members := format(row_members, VARIADIC array_fill('NEW'::text, ARRAY[cardinality(member_columns)]));
    END IF;
    EXECUTE format($f$
        CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            -- Rows of a statement are queued before the first of them is noted: the rest of a
            -- statement over many rows finds every member's pages noted already.
            IF current_setting('phonix.page_changes', true) = 'all' THEN
                RETURN NULL;
            END IF;
            PERFORM phonix_page_changes_note(CASE TG_OP WHEN 'INSERT' THEN %s WHEN 'DELETE' THEN %s
                                                      ELSE %s || %s END);
            RETURN NULL;
        END
        $body$
    $f$, function_name, new_members, old_members, new_members, old_members);
    EXECUTE format('CREATE TRIGGER page_versions AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                   'WHEN (current_setting(%L, true) IS DISTINCT FROM %L) EXECUTE FUNCTION %I()',
                   target, 'phonix.page_changes', 'all', function_name);
    EXECUTE format('CREATE TRIGGER page_versions_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION phonix_page_versions_truncated()', target);
END
$$;

CREATE FUNCTION phonix_page_versions_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM phonix_page_changes_note(NULL);
    RETURN NULL;
END
$$;

CREATE FUNCTION phonix_page_versions_untrack(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER page_versions ON %s', target);
    EXECUTE format('DROP TRIGGER page_versions_truncate ON %s', target);
    EXECUTE format('DROP FUNCTION %I()', 'phonix_page_versions_' || (SELECT relname FROM pg_class WHERE oid = target));
END
$$;
"""

REVERSE = """
DROP FUNCTION phonix_page_versions_untrack(regclass);
DROP FUNCTION phonix_page_versions_truncated();
DROP FUNCTION phonix_page_versions_track(regclass, text[]);
DROP TABLE phonix_pagechange;
DROP FUNCTION phonix_page_changes_apply();
DROP FUNCTION phonix_page_changes_note(bigint[]);
DROP FUNCTION phonix_page_versions_bump(bigint[]);
DROP TABLE phonix_pageversion;
"""


class Migration(migrations.Migration):

    dependencies = [("phonix", "0005_api_idempotency")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
