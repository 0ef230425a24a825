"""The console's figures shaped for Chart.js (read by static/console.js from json_script)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PAYOUT_LABELS = {
    "daily_income": gettext_lazy("Daily income"), "generation_income": gettext_lazy("Generation income"),
    "weekly_bonus": gettext_lazy("Weekly bonus"), "registration_bonus": gettext_lazy("Registration bonus"),
    "distribution": gettext_lazy("Staff distributions"), "mining_reward": gettext_lazy("Mining rewards"),
}
TIER_LABELS = {"tier_1": gettext_lazy("Tier 1"), "tier_2": gettext_lazy("Tier 2"), "tier_3": gettext_lazy("Tier 3")}


def console_charts(figures: dict) -> dict:
    """Amounts as floats: a chart draws them; every figure shown as text keeps its Decimal."""
    payouts = figures["payouts"]
    balances, reserves = figures["balances"], figures["reserves"]
    return {
        "payouts": {
            "labels": [day.isoformat() for day in payouts["days"]],
            "datasets": [{"label": str(label), "data": [float(v) for v in payouts["daily"][kind]]}
                         for kind, label in PAYOUT_LABELS.items()],
        },
        "tiers": {
            "labels": [str(label) for label in TIER_LABELS.values()],
            "datasets": [{"label": _("Active value (USDT)"),
                          "data": [float(figures["subscriptions"]["by_tier"].get(tier, {}).get("value", 0))
                                   for tier in TIER_LABELS]}],
        },
        "reserves": {
            "labels": [_("Owed to members"), _("Held on chain")],
            "datasets": [
                {"label": _("Main"), "data": [float(balances["main"]), 0]},
                {"label": _("Bonus"), "data": [float(balances["bonus"]), 0]},
                {"label": _("Held for withdrawal"), "data": [float(balances["withdrawal_hold"]), 0]},
                {"label": _("Hot wallet"), "data": [0, float(reserves["hot_wallet"] or 0)]},
                {"label": _("Deposit addresses"), "data": [0, float(reserves["deposit_addresses"] or 0)]},
            ],
        },
    }
