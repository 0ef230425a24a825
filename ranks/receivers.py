"""ranks' part in what other code runs: leg volumes follow purchases and tree moves, and the team
page shows them. RanksConfig.ready connects these."""

from decimal import Decimal

from django.db import transaction

from accounts import signals as accounts_signals
from accounts.models import User
from investment import signals as investment_signals

from .selectors import leg_volumes_for
from .services import leg_volumes_add, leg_volumes_move
from .tasks import leg_volumes_recompute_task


def _purchase_volume_add(sender: object, *, buyer: User, amount: Decimal, **kwargs: object) -> None:
    leg_volumes_add(buyer=buyer, amount=amount)


def _sponsor_change_volume_move(sender: object, *, member_id: int, old_upline_ids: list[int],
                                new_upline_ids: list[int], **kwargs: object) -> None:
    # The moved subtree's volume leaves the old upline and joins the new one, in this transaction.
    leg_volumes_move(member_id=member_id, old_upline_ids=old_upline_ids, new_upline_ids=new_upline_ids)
    # A purchase in the moved subtree that read its upline before the move committed credited
    # the old upline; the rebuild after commit repairs that (and finds nothing otherwise).
    transaction.on_commit(lambda: leg_volumes_recompute_task.delay(), robust=True)


def _team_leg_volumes(sender: object, *, user_ids: list[int], **kwargs: object) -> dict[int, Decimal]:
    return leg_volumes_for(user_ids)


def connect() -> None:
    investment_signals.subscription_purchased.connect(_purchase_volume_add, dispatch_uid="ranks-purchase-volume")
    accounts_signals.sponsor_changed.connect(_sponsor_change_volume_move, dispatch_uid="ranks-sponsor-change")
    accounts_signals.team_leg_volumes.connect(_team_leg_volumes, dispatch_uid="ranks-team-leg-volumes")
