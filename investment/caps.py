"""The member-level earnings cap, in one place for every payout (daily, generation, weekly).

A member's total earnings of every kind never exceed `cap_multiple × total_invested`, rounded
down to 6 places; a payout that would cross it is cut to what remains. A member with nothing
invested has no room. The multiple is that of the plan in force when the payout is made (3 by
default; staff may set a fraction such as 2.5; see `selectors.cap_multiple`). The SQL form lets
set-based payout runs apply the same rule inside their statements; a test holds the two forms equal.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from phonix.money import ZERO, round_down


def cap_total(*, total_invested: Decimal, multiple: Decimal) -> Decimal:
    """The most a member may earn: multiple × invested, rounded down (never a fraction of a unit above)."""
    with localcontext() as context:
        context.prec = 60  # a 20-digit amount times a 10-digit multiple stays exact
        return round_down(multiple * total_invested)


def cap_room(*, total_invested: Decimal, total_earnings: Decimal, multiple: Decimal) -> Decimal:
    """What the member may still earn, 6 places, never below 0."""
    return max(cap_total(total_invested=total_invested, multiple=multiple) - total_earnings, ZERO)


def cap_cut(*, amount: Decimal, room: Decimal) -> tuple[Decimal, Decimal]:
    """Split a payout into (paid, capped) under the room left."""
    paid = min(amount, max(room, ZERO))
    return paid, amount - paid


def cap_room_sql(alias: str = "u", multiple_param: str = "%(cap_multiple)s") -> str:
    """SQL for the room of the member row `alias` (same as `cap_room`); pass the multiple as the
    named parameter."""
    return (
        f"GREATEST(trunc({multiple_param}::numeric * {alias}.total_invested, 6) - {alias}.total_earnings, 0)"
    )
