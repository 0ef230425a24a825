"""The two database roles.

The owner role (the `owner` database alias, DATABASE_OWNER_URL) runs migrations and owns every
table and the ledger's SQL functions. The application role (`default`, DATABASE_URL) owns nothing:
it reads and writes ordinary rows, but on the ledger it may only read, open accounts (at zero, a
trigger sees to it) and insert transaction headers; entries and balances move only through
ledger_apply() and ledger_post_one(), which run with the owner's rights (SECURITY DEFINER). So
even a compromised web process cannot rewrite, delete or truncate the ledger.

Without DATABASE_OWNER_URL both aliases are the same role and nothing is granted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql

OWNER_ALIAS = "owner"

LEDGER_FUNCTIONS = (
    "ledger_apply(bigint[], numeric[], bigint[], bigint[], numeric[])",
    "ledger_post_one(text, text, text, text, bigint, bigint[], numeric[])",
)

_GRANTS = """
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
REVOKE ALL ON wallet_ledgeraccount, wallet_ledgertransaction, wallet_ledgerentry FROM {role};
GRANT SELECT, INSERT ON wallet_ledgeraccount, wallet_ledgertransaction TO {role};
GRANT SELECT ON wallet_ledgerentry TO {role};
"""


def app_role() -> str | None:
    """The application role's name, or None when the application connects as the owner."""
    app = settings.DATABASES[DEFAULT_DB_ALIAS].get("USER") or None
    owner = settings.DATABASES[OWNER_ALIAS].get("USER") or None
    return app if app and app != owner else None


def app_role_grant(*, using: str = OWNER_ALIAS) -> str | None:
    """Give the application role what it needs on every table, and no more on the ledger.

    Runs after every migration (tables are new then), idempotently; returns the role granted to.
    """
    role = app_role()
    if role is None:
        return None
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        names = {"schema": sql.Identifier(schema), "role": sql.Identifier(role)}
        statements = [sql.SQL(_GRANTS).format(**names)] + [
            sql.SQL("GRANT EXECUTE ON FUNCTION {function} TO {role}").format(
                function=sql.SQL(function), role=names["role"])
            for function in LEDGER_FUNCTIONS
        ]
        for statement in statements:
            cursor.execute(statement.as_string(connection.connection))
    return role


def grant_after_migrate(sender, *, using: str, **kwargs) -> None:
    # flush sends post_migrate too, without a plan; only a migration can add tables.
    if "plan" in kwargs:
        app_role_grant(using=using)
