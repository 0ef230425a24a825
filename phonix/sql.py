"""The values that raw SQL takes as parameters (what psycopg adapts), for typed parameter dicts."""

import datetime as dt
import uuid
from decimal import Decimal

SqlValue = (
    bool | int | float | Decimal | str | bytes | dt.date | dt.datetime | uuid.UUID
    | tuple[object, ...] | list[object] | None
)
SqlParams = dict[str, SqlValue]
