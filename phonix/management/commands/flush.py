from collections.abc import Iterable
from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from phonix.db_roles import OWNER_ALIAS, app_role


def _execute_as_owner(sql_list: Iterable[str]) -> None:
    # A raw connection of its own: a test that uses only `default` (transactional tests end
    # with a flush) has the shared owner connection switched off.
    owner = connections[OWNER_ALIAS]
    raw = owner.get_new_connection(owner.get_connection_params())
    try:
        for statement in sql_list:
            raw.execute(statement)
        raw.commit()
    finally:
        raw.close()


class Command(flush.Command):
    help = flush.Command.help + " Truncates as the database owner role (DATABASE_OWNER_URL)."

    def handle(self, **options: Any) -> None:
        ops = connections[options["database"]].ops
        if options["database"] != DEFAULT_DB_ALIAS or app_role() is None:
            return super().handle(**options)
        # The application role may not TRUNCATE the ledger; everything else stays as Django does it.
        ops.execute_sql_flush = _execute_as_owner  # type: ignore[method-assign]  # this connection's, for one flush
        try:
            return super().handle(**options)
        finally:
            del ops.execute_sql_flush
