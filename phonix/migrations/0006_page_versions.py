"""Page versions: what tells a member's cached pages (phonix/page_cache.py) that they are out of date.

One row per member whose pages have changed, and row 0 for every member's. Statement triggers on
the tables the member pages read note the members a statement touched (the columns given to
phonix_page_versions_track, an array column marked with a leading `*`), or 0 for a table every
member sees, in phonix_pagechange; at commit a deferred trigger turns the transaction's notes into
new versions, in member order. The version rows are so locked only at the very end of a
transaction and in one order, never between its other locks: no new wait, no deadlock. A
transaction that touches more than PAGE_VERSIONS_MANY members bumps row 0 instead of each
member's: a payout batch costs one row, not one per member.

A version is the time of the change in microseconds and never goes back, so that a cache that
outlives a restored database cannot serve an old page under a version seen again.
"""

from django.db import migrations

PAGE_VERSIONS_MANY = 1000

FORWARD = f"""
CREATE TABLE phonix_pageversion (
    member_id bigint PRIMARY KEY,
    version bigint NOT NULL
);
COMMENT ON TABLE phonix_pageversion IS
    'When the cached pages of a member (member_id), or of every member (0), last went out of date';

CREATE FUNCTION phonix_page_versions_bump(member_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    -- In member order, so that two transactions bumping the same members cannot deadlock here.
    INSERT INTO phonix_pageversion AS p (member_id, version)
    SELECT DISTINCT id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    FROM unnest(member_ids) AS id WHERE id IS NOT NULL ORDER BY id
    ON CONFLICT (member_id) DO UPDATE SET version = greatest(p.version + 1, excluded.version)
$$;

-- This transaction's changes until it commits: rows of other transactions are never visible
-- here, since each transaction takes its own rows out before it commits.
CREATE TABLE phonix_pagechange (member_ids bigint[] NOT NULL);

CREATE FUNCTION phonix_page_changes_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[];
BEGIN
    WITH taken AS (DELETE FROM phonix_pagechange RETURNING member_ids)
    SELECT array_agg(DISTINCT id) INTO changed FROM taken, unnest(taken.member_ids) AS id;
    IF cardinality(changed) > {PAGE_VERSIONS_MANY} THEN
        changed := ARRAY[0]::bigint[];
    END IF;
    IF changed IS NOT NULL THEN
        PERFORM phonix_page_versions_bump(changed);
    END IF;
    RETURN NULL;
END
$$;

-- The first of a transaction's notes applies them all; the others find nothing left.
CREATE CONSTRAINT TRIGGER page_changes_apply AFTER INSERT ON phonix_pagechange
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION phonix_page_changes_apply();

CREATE FUNCTION phonix_page_versions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    member_column text;
    sources text[];
    source text;
    selects text[] := '{{}}';
    many boolean;
    touched bigint[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO phonix_pagechange VALUES (ARRAY[0]::bigint[]);
        RETURN NULL;
    END IF;
    sources := CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                          ELSE ARRAY['new_rows', 'old_rows'] END;
    -- NULL when the statement changed no row (an upsert that found its row, say): nothing to note
    EXECUTE format('SELECT count(*) > {PAGE_VERSIONS_MANY} FROM (SELECT 1 FROM %I LIMIT {PAGE_VERSIONS_MANY + 1}) s'
                   ' HAVING count(*) > 0', sources[1]) INTO many;
    IF many IS NULL THEN
        RETURN NULL;
    END IF;
    IF many OR TG_NARGS = 0 THEN
        INSERT INTO phonix_pagechange VALUES (ARRAY[0]::bigint[]);
        RETURN NULL;
    END IF;
    FOREACH source IN ARRAY sources LOOP
        FOREACH member_column IN ARRAY TG_ARGV LOOP
            IF left(member_column, 1) = '*' THEN
                selects := selects || format('SELECT unnest(%I) FROM %I', substr(member_column, 2), source);
            ELSE
                selects := selects || format('SELECT %I FROM %I', member_column, source);
            END IF;
        END LOOP;
    END LOOP;
    EXECUTE 'SELECT array_agg(DISTINCT id) FROM (' || array_to_string(selects, ' UNION ALL ') || ') s(id)'
            ' WHERE id IS NOT NULL'
        INTO touched;
    IF touched IS NOT NULL THEN
        INSERT INTO phonix_pagechange VALUES (touched);
    END IF;
    RETURN NULL;
END
$$;

-- Every change of `target` makes the pages of the members in `member_columns` out of date; with
-- no column, every member's.
CREATE FUNCTION phonix_page_versions_track(target regclass, VARIADIC member_columns text[] DEFAULT '{{}}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    arguments text := coalesce((SELECT string_agg(quote_literal(c), ', ') FROM unnest(member_columns) AS c), '');
BEGIN
    EXECUTE format('CREATE TRIGGER page_versions_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION phonix_page_versions_changed(%s)', target, arguments);
    EXECUTE format('CREATE TRIGGER page_versions_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION phonix_page_versions_changed(%s)', target, arguments);
    EXECUTE format('CREATE TRIGGER page_versions_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION phonix_page_versions_changed(%s)', target, arguments);
    EXECUTE format('CREATE TRIGGER page_versions_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION phonix_page_versions_changed()', target);
END
$$;

CREATE FUNCTION phonix_page_versions_untrack(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['page_versions_insert', 'page_versions_update',
                                'page_versions_delete', 'page_versions_truncate'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', name, target);
    END LOOP;
END
$$;
"""

REVERSE = """
DROP FUNCTION phonix_page_versions_untrack(regclass);
DROP FUNCTION phonix_page_versions_track(regclass, text[]);
DROP FUNCTION phonix_page_versions_changed();
DROP TABLE phonix_pagechange;
DROP FUNCTION phonix_page_changes_apply();
DROP FUNCTION phonix_page_versions_bump(bigint[]);
DROP TABLE phonix_pageversion;
"""


class Migration(migrations.Migration):

    dependencies = [("phonix", "0005_api_idempotency")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
