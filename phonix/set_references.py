"""Foreign keys checked once per statement, over its rows as a set, for the tables payout runs fill.

PostgreSQL checks a foreign key with a lookup and a row lock per new row, queued to commit: a
daily run of 100,000 payouts paid for 350,000 of them. For the history and commission tables the
same rule is kept by statement-level triggers instead (created in their apps' migrations):

- after an INSERT or UPDATE, every value the statement's rows name exists;
- a DELETE of a named row is refused while rows still name it. The delete first takes a SHARE
  lock on the naming table, so it waits for every transaction writing to it and then sees their
  rows, and a writer that comes after it waits for it and then finds the row gone. Members,
  subscriptions and plan versions are never deleted in practice, so the cost sits there and not
  on the payout runs.

Only the referenced row's `id` is ever named; changing an `id` is not supported (nothing does).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    column: str
    target: str  # the referenced table; its key is `id`
    # False for append-only targets (the ledger's), whose rows a trigger already keeps from being
    # deleted: no guard is needed.
    deletable: bool = True


def references_sql(table: str, references: list[Reference]) -> tuple[str, str]:
    """SQL creating the checks of `table`'s references (and dropping them), for a RunSQL."""
    checks = "\n".join(_check(table, reference) for reference in references)
    forward = f"""
CREATE FUNCTION {table}_references_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
{checks}
    RETURN NULL;
END $$;
CREATE TRIGGER {table}_references_on_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_references_check();
CREATE TRIGGER {table}_references_on_update AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_references_check();
"""
    reverse = f"""
DROP TRIGGER {table}_references_on_update ON {table};
DROP TRIGGER {table}_references_on_insert ON {table};
DROP FUNCTION {table}_references_check();
"""
    for reference in (r for r in references if r.deletable):
        guard = f"{table}_{reference.column}_guard"
        forward += f"""
CREATE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE {table} IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM old_rows o WHERE EXISTS (SELECT 1 FROM {table} r WHERE r.{reference.column} = o.id)) THEN
        RAISE EXCEPTION '% rows are still named by {table}.{reference.column}', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {guard} AFTER DELETE ON {reference.target}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {guard}();
"""
        reverse = f"DROP TRIGGER {guard} ON {reference.target};\nDROP FUNCTION {guard}();\n" + reverse
    return forward, reverse


def _check(table: str, reference: Reference) -> str:
    column, target = reference.column, reference.target
    return f"""
    SELECT r.v::text INTO missing FROM (SELECT DISTINCT {column} AS v FROM new_rows WHERE {column} IS NOT NULL) r
    WHERE NOT EXISTS (SELECT 1 FROM {target} x WHERE x.id = r.v) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '{table}.{column} names {target} % that does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""
