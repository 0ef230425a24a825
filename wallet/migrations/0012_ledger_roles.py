"""The ledger's functions run with their owner's rights, so that the application role (which may
not write entries or balances itself, phonix/db_roles.py) changes the ledger only through them.

A fixed search_path keeps them from resolving names in a schema a caller could write to; the
new trigger makes every ledger account open at zero, so that INSERT cannot set a balance either.
"""

from django.db import migrations

LEDGER_FUNCTIONS = (
    "ledger_apply(bigint[], numeric[], bigint[], bigint[], numeric[])",
    "ledger_post_one(text, text, text, text, bigint, bigint[], numeric[])",
)

DEFINER = "\n".join(
    f"EXECUTE format('ALTER FUNCTION {function} SECURITY DEFINER "
    f"SET search_path = pg_catalog, %I, pg_temp', current_schema());"
    for function in LEDGER_FUNCTIONS
)
INVOKER = "\n".join(f"ALTER FUNCTION {function} SECURITY INVOKER RESET search_path;" for function in LEDGER_FUNCTIONS)
FUNCTIONS = ", ".join(LEDGER_FUNCTIONS)

OPENS_AT_ZERO = """
CREATE FUNCTION ledger_account_opens_at_zero() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance <> 0 THEN
        RAISE EXCEPTION 'a ledger account opens at zero: balances move only by ledger entries'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_account_opens_at_zero BEFORE INSERT ON wallet_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION ledger_account_opens_at_zero();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0011_custody_proof_accepted")]

    operations = [
        migrations.RunSQL(
            f"DO $$ BEGIN {DEFINER} END $$; REVOKE EXECUTE ON FUNCTION {FUNCTIONS} FROM PUBLIC;",
            f"{INVOKER} GRANT EXECUTE ON FUNCTION {FUNCTIONS} TO PUBLIC;",
        ),
        migrations.RunSQL(
            OPENS_AT_ZERO,
            "DROP TRIGGER ledger_account_opens_at_zero ON wallet_ledgeraccount;"
            "DROP FUNCTION ledger_account_opens_at_zero();",
        ),
    ]
