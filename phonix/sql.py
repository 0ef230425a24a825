"""The values that raw SQL takes as parameters (what psycopg adapts), for typed parameter dicts."""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

SqlValue = (
    bool | int | float | Decimal | str | bytes | dt.date | dt.datetime | uuid.UUID
    | tuple[object, ...] | list[object] | None
)
SqlParams = dict[str, SqlValue]


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of ints or Decimals: for 100k-element arrays several times faster
    to send than a list the driver adapts element by element."""
    return "{" + ",".join(map(str, values)) + "}"

