from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from phonix.forms import PlainDecimalField, PlainIntegerField

from .calculator import Rig
from .models import AsicMiner, Quantity
from .selectors import calculator_market

D = Decimal
# Above these the input is a typo or a test of the form, not a plan: refuse it.
MAX_UNIT_THS = D("100000")  # 100 PH/s in one unit
MAX_TOTAL_THS = D("1000000000")  # 1 ZH/s, beyond the whole network
MAX_UNIT_W = D("1000000")


def _decimal(label, *, low, high, places, required=True, initial=None, help_text="", step=None):
    field = PlainDecimalField(
        label=label, min_value=low, max_value=high, max_digits=30, decimal_places=places,
        required=required, initial=initial, help_text=help_text,
    )
    field.widget.attrs.update({"inputmode": "decimal", "step": step or "any"})
    return field


class ConditionsForm(forms.Form):
    """Electricity, pool fee and uptime: shared by the calculator and the comparison."""

    electricity_usd_kwh = _decimal(_("Electricity price (USD/kWh)"), low=D(0), high=D(10), places=6,
                                   initial=D("0.06"))
    pool_fee_pct = _decimal(_("Pool fee (%)"), low=D(0), high=D(50), places=4, initial=D(2),
                            help_text=_("Between 0 and 50 %."))
    uptime_pct = _decimal(_("Uptime (%)"), low=D("0.1"), high=D(100), places=4, initial=D(98),
                          help_text=_("Share of the day the miner runs; at most 100 %."))

    @classmethod
    def defaults(cls) -> dict[str, str]:
        return {name: "" if field.initial is None else str(field.initial) for name, field in cls.base_fields.items()}


class MarketOverridesForm(ConditionsForm):
    """The member's own price, difficulty and fees, used where given and needed before the first
    market data refresh. `clean()` leaves the market to use in `cleaned_data["market"]`."""

    price_usd = _decimal(_("BTC price (USD)"), low=D("0.01"), high=D(100_000_000), places=6, required=False,
                         help_text=_("Leave empty for the latest price."))
    difficulty = _decimal(_("Difficulty"), low=D(1), high=D("1e20"), places=6, required=False,
                          help_text=_("Leave empty for the latest difficulty."))
    fees_btc = _decimal(_("Fees per block (BTC)"), low=D(0), high=D(100), places=8, required=False,
                        help_text=_("Leave empty for the 24-hour average."))

    def __init__(self, *args, market_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.market_state = market_state

    def market_clean(self, data: dict[str, Any]) -> None:
        market, missing = calculator_market(
            state=self.market_state, price_usd=data.get("price_usd"), difficulty=data.get("difficulty"),
            fees_btc=data.get("fees_btc"),
        )
        messages = {Quantity.PRICE: ("price_usd", _("No BTC price is known yet: enter one.")),
                    Quantity.DIFFICULTY: ("difficulty", _("No difficulty is known yet: enter one.")),
                    Quantity.FEES: ("fees_btc", _("No fee average is known yet: enter one."))}
        for quantity in missing:
            self.add_error(*messages[quantity])
        if market is not None:
            data["market"] = market


class CompareForm(MarketOverridesForm):
    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not self.errors:
            self.market_clean(data)
        return data


class CompareQueryForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), required=False, choices=[("", _("Page")), ("csv", "CSV")])


class CalculatorForm(MarketOverridesForm):
    miner = forms.ModelChoiceField(
        label=_("Miner"), queryset=AsicMiner.objects.order_by("maker", "model"), required=False,
        empty_label=_("Custom hashrate and power"),
    )
    hashrate_ths = _decimal(_("Hashrate per unit (TH/s)"), low=D("0.001"), high=MAX_UNIT_THS, places=3,
                            required=False, initial=D(200))
    power_w = _decimal(_("Power per unit (W)"), low=D(1), high=MAX_UNIT_W, places=2, required=False,
                       initial=D(3500))
    quantity = PlainIntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    hardware_cost_usd = _decimal(_("Hardware cost per unit (USD)"), low=D(0), high=D(10_000_000), places=2,
                                 required=False, initial=D(0))
    difficulty_growth_pct = _decimal(
        _("Difficulty growth per retarget (%)"), low=D(-50), high=D(50), places=4, initial=D(2),
        help_text=_("Every 2016 blocks, about 14 days."),
    )
    field_order = ["miner", "hashrate_ths", "power_w", "quantity", "electricity_usd_kwh", "pool_fee_pct",
                   "uptime_pct", "hardware_cost_usd", "difficulty_growth_pct", "price_usd", "difficulty",
                   "fees_btc"]

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        miner = data.get("miner")
        if miner is None:
            for name in ("hashrate_ths", "power_w"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Choose a miner or enter its hashrate and power."))
            hashrate, power = data.get("hashrate_ths"), data.get("power_w")
        else:
            hashrate, power = miner.hashrate_ths, Decimal(miner.power_w)
        quantity = data.get("quantity")
        if hashrate and quantity and hashrate * quantity > MAX_TOTAL_THS:
            self.add_error("quantity", _("That is more hashrate than the whole Bitcoin network."))
        if self.errors or hashrate is None or power is None or quantity is None:
            return data  # without errors, each of them is set

        self.market_clean(data)
        if "market" not in data:
            return data
        data["rig"] = Rig(
            hashrate_ths=hashrate, power_w=power, quantity=quantity,
            electricity_usd_kwh=data["electricity_usd_kwh"], pool_fee_pct=data["pool_fee_pct"],
            uptime_pct=data["uptime_pct"], hardware_cost_usd=data.get("hardware_cost_usd") or D(0),
            difficulty_growth_pct=data["difficulty_growth_pct"],
        )
        return data
