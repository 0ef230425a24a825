"""Ledger invariants enforced by PostgreSQL itself, so a bug elsewhere cannot break them."""

from django.db import migrations

BALANCED = """
CREATE FUNCTION ledger_transaction_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
BEGIN
    SELECT sum(amount) INTO total FROM wallet_ledgerentry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

-- Deferred to commit: the entries of one transaction may arrive in several statements.
CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON wallet_ledgerentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_must_balance();
"""

APPEND_ONLY = """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON wallet_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON wallet_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
"""

REVERSE = """
DROP TRIGGER ledger_transaction_append_only ON wallet_ledgertransaction;
DROP TRIGGER ledger_entry_append_only ON wallet_ledgerentry;
DROP FUNCTION ledger_append_only();
DROP TRIGGER ledger_entry_balanced ON wallet_ledgerentry;
DROP FUNCTION ledger_transaction_must_balance();
"""

PLATFORM_ACCOUNTS = """
INSERT INTO wallet_ledgeraccount (user_id, code, balance, created_at)
SELECT NULL, code, 0, now()
FROM unnest(ARRAY['custody', 'subscriptions', 'payouts', 'fees', 'adjustments']) AS code
ON CONFLICT (code) WHERE user_id IS NULL DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [
        migrations.RunSQL(BALANCED + APPEND_ONLY, REVERSE),
        migrations.RunSQL(PLATFORM_ACCOUNTS, migrations.RunSQL.noop),
    ]
