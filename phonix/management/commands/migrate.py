from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from phonix.db_roles import OWNER_ALIAS


class Command(migrate.Command):
    help = migrate.Command.help + " Connects as the database owner role (DATABASE_OWNER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # Tables and the ledger's functions belong to the owner; the application role owns nothing.
        parser.set_defaults(database=OWNER_ALIAS)

    def handle(self, *args: Any, **options: Any) -> str | None:
        if options["database"] != OWNER_ALIAS:
            return super().handle(*args, **options)
        # A data migration that uses the default manager (not `.using(alias)`) writes as the
        # owner too, to the database being migrated.
        application = connections[DEFAULT_DB_ALIAS]
        connections[DEFAULT_DB_ALIAS] = connections[OWNER_ALIAS]
        try:
            return super().handle(*args, **options)
        finally:
            connections[DEFAULT_DB_ALIAS] = application
