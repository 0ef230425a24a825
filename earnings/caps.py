"""The member-level earnings cap, in one place for every payout (daily, generation, weekly).

A member's total earnings of every kind never exceed `cap_multiple × total_invested`; a payout
that would cross it is cut to what remains. A member with nothing invested has no room. The
multiple is the plan's (3 by default). The SQL form lets set-based payout runs apply the same
rule inside their statements.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Value
from django.db.models.functions import Greatest

from phonix.money import ZERO


def cap_multiple() -> Decimal:
    """The cap multiple of the plan in force (one query)."""
    from investment.selectors import plan_current

    return plan_current().cap_multiple


def cap_room(*, total_invested: Decimal, total_earnings: Decimal, multiple: Decimal) -> Decimal:
    return max(multiple * total_invested - total_earnings, ZERO)


def cap_cut(*, amount: Decimal, room: Decimal) -> tuple[Decimal, Decimal]:
    """Split a payout into (paid, capped) under the room left."""
    paid = min(amount, max(room, ZERO))
    return paid, amount - paid


def cap_room_sql(alias: str = "u", multiple_param: str = "%(cap_multiple)s") -> str:
    """SQL for the room of the member row `alias`; pass the multiple as the named parameter."""
    return f"GREATEST({multiple_param}::numeric * {alias}.total_invested - {alias}.total_earnings, 0)"


def cap_room_expression(multiple: Decimal):
    """The room as an ORM expression on User, for annotate()/filter()."""
    return Greatest(
        ExpressionWrapper(
            Value(multiple) * F("total_invested") - F("total_earnings"),
            output_field=DecimalField(max_digits=20, decimal_places=6),
        ),
        Value(ZERO),
    )
