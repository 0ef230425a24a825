"""ledger_apply() and ledger_post_one(): entries and balance caches move only here.

ledger_apply locks the touched accounts in primary-key order, refuses a member balance below
zero with SQLSTATE PX001 (the message names the account code), then updates the caches and
inserts the entries. ledger_post_one inserts one ledger transaction by idempotency key and, when
the key is new, applies its entries: a single posting is one round trip to the database.
"""

from django.db import migrations

LEDGER_APPLY = """
CREATE FUNCTION ledger_apply(
    p_account_ids bigint[], p_deltas numeric[],
    p_entry_transactions bigint[], p_entry_accounts bigint[], p_entry_amounts numeric[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    locked integer;
    short_code text;
BEGIN
    PERFORM 1 FROM wallet_ledgeraccount WHERE id = ANY(p_account_ids) ORDER BY id FOR UPDATE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked <> cardinality(p_account_ids) THEN
        RAISE EXCEPTION 'a posting names a ledger account that does not exist' USING ERRCODE = 'PX002';
    END IF;
    SELECT a.code INTO short_code
    FROM wallet_ledgeraccount a JOIN unnest(p_account_ids, p_deltas) AS d(id, delta) ON d.id = a.id
    WHERE a.user_id IS NOT NULL AND a.balance + d.delta < 0
    LIMIT 1;
    IF short_code IS NOT NULL THEN
        RAISE EXCEPTION '%', short_code USING ERRCODE = 'PX001';
    END IF;
    UPDATE wallet_ledgeraccount a SET balance = a.balance + d.delta
    FROM unnest(p_account_ids, p_deltas) AS d(id, delta) WHERE a.id = d.id;
    INSERT INTO wallet_ledgerentry (transaction_id, account_id, amount)
    SELECT * FROM unnest(p_entry_transactions, p_entry_accounts, p_entry_amounts);
END $$;

CREATE FUNCTION ledger_post_one(
    p_kind text, p_key text, p_hash text, p_memo text, p_created_by bigint,
    p_account_ids bigint[], p_amounts numeric[]
) RETURNS TABLE (transaction_id bigint, created_at timestamptz, content_hash text, is_new boolean)
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
    new_created_at timestamptz;
BEGIN
    -- ON CONFLICT waits for a concurrent insert of the same key to commit or roll back.
    INSERT INTO wallet_ledgertransaction AS t
        (kind, idempotency_key, content_hash, memo, created_by_id, created_at)
    VALUES (p_kind, p_key, p_hash, p_memo, p_created_by, now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING t.id, t.created_at INTO new_id, new_created_at;
    IF new_id IS NULL THEN
        RETURN QUERY SELECT t.id, t.created_at, t.content_hash::text, false
            FROM wallet_ledgertransaction t WHERE t.idempotency_key = p_key;
        RETURN;
    END IF;
    PERFORM ledger_apply(p_account_ids, p_amounts,
                         array_fill(new_id, ARRAY[cardinality(p_account_ids)]), p_account_ids, p_amounts);
    RETURN QUERY SELECT new_id, new_created_at, p_hash, true;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0002_ledger_invariants")]

    operations = [
        # Balances are updated in place all day: free room on each page keeps updates HOT.
        migrations.RunSQL(
            "ALTER TABLE wallet_ledgeraccount SET (fillfactor = 70);",
            "ALTER TABLE wallet_ledgeraccount RESET (fillfactor);",
        ),
        migrations.RunSQL(
            LEDGER_APPLY,
            "DROP FUNCTION ledger_post_one(text, text, text, text, bigint, bigint[], numeric[]);"
            "DROP FUNCTION ledger_apply(bigint[], numeric[], bigint[], bigint[], numeric[]);",
        ),
    ]
