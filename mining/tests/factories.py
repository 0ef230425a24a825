from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from mining.models import NetworkSnapshot
from mining.services import _bucket

QUANTITIES = ["price", "difficulty", "hashrate", "fees", "height", "adjustment"]


def snapshot(*, at: datetime | None = None, stale: list[str] | None = None, **values) -> NetworkSnapshot:
    """A stored market snapshot as a refresh would leave it (defaults: the recorded fixtures)."""
    at = at or timezone.now()
    fields = {
        "btc_price_usd": Decimal("85956.45"), "btc_change_24h_pct": Decimal("0.8"),
        "difficulty": Decimal("102289354981091.8"), "network_hashrate": Decimal("791872349810000000000"),
        "avg_fees_btc": Decimal("0.02666667"), "height": 873823, "next_difficulty_change_pct": Decimal("1.5"),
        **values,
    }
    return NetworkSnapshot.objects.create(
        bucket=_bucket(at), fetched_at=at, stale=stale or [],
        sources={q: "mempool.space" if q != "price" else "coingecko" for q in QUANTITIES},
        as_of={q: at.isoformat() for q in QUANTITIES}, **fields,
    )


def mining_session(user, *, started_at: datetime, hours: int = 24, completed: bool = False):
    """A session of `user` as the start service writes it, at a chosen time (tests of time rules)."""
    from datetime import timedelta

    from investment.selectors import plan_current
    from mining.models import MiningSession

    return MiningSession.objects.create(
        user=user, plan_version=plan_current(), started_at=started_at, ends_at=started_at + timedelta(hours=hours),
        completed_at=started_at + timedelta(hours=hours) if completed else None,
        outcome=MiningSession.Outcome.INVESTOR if completed else "",
    )


def plan_with(**changes):
    """A new plan version in force with `changes` to its mining settings, as staff would save it."""
    from investment.models import PlanVersion
    from investment.selectors import plan_current

    plan = plan_current()
    plan.pk = None
    plan._state.adding = True
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.save()
    return PlanVersion.objects.get(pk=plan.pk)
