"""Bitcoin mining profitability: pure Decimal arithmetic, no database, no I/O.

Symbols follow the calculator notes: h = miner hashrate (H/s), D = difficulty, S = block subsidy,
F = average fees per block, R = S + F, P = BTC price (USD), W = power (W), c = electricity
(USD/kWh), f = pool fee (fraction), u = uptime (fraction). A month is 30 days, a year 365.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

TWO_32 = Decimal(2**32)
SECONDS_PER_DAY = Decimal(86400)
BLOCK_SECONDS = Decimal(600)
BLOCKS_PER_DAY = 144
TERA = Decimal(10**12)
SATOSHI = Decimal("0.00000001")
HALVING_INTERVAL = 210_000
INITIAL_SUBSIDY_SAT = 5_000_000_000
RETARGET_DAYS = 14  # 2016 blocks at 10 minutes
DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365
PROJECTION_MONTHS = 24

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
# 28 significant digits (the default) would do; 40 keeps D × 2³² × ratios exact to well past a satoshi.
PRECISION = Context(prec=40)


def rounded(value: Decimal, quantum: Decimal) -> Decimal:
    """`value` rounded half-up to `quantum`, with as many digits as that takes.

    Accepted extremes (difficulty 1 shrinking 50 % a retarget, 1 ZH/s at 10⁸ USD) give figures
    far beyond the 28 digits of the default context, where quantize() would fail.
    """
    exponent = quantum.as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise ValueError(f"cannot round to {quantum}")
    digits = max(value.adjusted(), 0) + 1 - min(exponent, 0) + 1
    with localcontext(Context(prec=max(28, digits))):
        return value.quantize(quantum, rounding=ROUND_HALF_UP)


def subsidy_btc(height: int) -> Decimal:
    """Block subsidy at a height: 50 BTC halved every 210,000 blocks, in whole satoshi."""
    halvings = height // HALVING_INTERVAL
    if halvings >= 64:
        return ZERO
    return Decimal(INITIAL_SUBSIDY_SAT >> halvings) * SATOSHI


def next_halving_height(height: int) -> int:
    return (height // HALVING_INTERVAL + 1) * HALVING_INTERVAL


def implied_network_hashrate(difficulty: Decimal) -> Decimal:
    """H/s that finds one block every 600 s on average at this difficulty."""
    with localcontext(PRECISION):
        return difficulty * TWO_32 / BLOCK_SECONDS


def btc_per_day_by_difficulty(*, hashrate_hs: Decimal, difficulty: Decimal, reward_btc: Decimal) -> Decimal:
    """Method A: a hashrate h finds a block every D × 2³² / h seconds on average."""
    with localcontext(PRECISION):
        return hashrate_hs * SECONDS_PER_DAY * reward_btc / (difficulty * TWO_32)


def btc_per_day_by_share(*, hashrate_hs: Decimal, network_hashrate_hs: Decimal, reward_btc: Decimal) -> Decimal:
    """Method B: the miner's share of the network times the 144 blocks a day."""
    with localcontext(PRECISION):
        return hashrate_hs / network_hashrate_hs * BLOCKS_PER_DAY * reward_btc


def hashprice_usd_per_th_day(*, difficulty: Decimal, reward_btc: Decimal, price_usd: Decimal) -> Decimal:
    with localcontext(PRECISION):
        return TERA * SECONDS_PER_DAY * reward_btc * price_usd / (difficulty * TWO_32)


@dataclass(frozen=True, slots=True)
class Market:
    price_usd: Decimal
    difficulty: Decimal
    fees_btc: Decimal  # average fees per block
    height: int
    observed_hashrate_hs: Decimal | None = None  # mempool.space / blockchain.info estimate

    @property
    def subsidy_btc(self) -> Decimal:
        return subsidy_btc(self.height)

    @property
    def reward_btc(self) -> Decimal:
        return self.subsidy_btc + self.fees_btc


@dataclass(frozen=True, slots=True)
class Rig:
    """What the member runs and pays: per-unit figures times `quantity`."""

    hashrate_ths: Decimal
    power_w: Decimal
    quantity: int = 1
    electricity_usd_kwh: Decimal = ZERO
    pool_fee_pct: Decimal = ZERO
    uptime_pct: Decimal = HUNDRED
    hardware_cost_usd: Decimal = ZERO  # per unit
    difficulty_growth_pct: Decimal = ZERO  # per retarget (2016 blocks ≈ 14 days)


@dataclass(frozen=True, slots=True)
class Period:
    btc: Decimal
    revenue_usd: Decimal
    energy_kwh: Decimal
    electricity_usd: Decimal
    profit_usd: Decimal

    def times(self, days: int) -> "Period":
        return Period(self.btc * days, self.revenue_usd * days, self.energy_kwh * days,
                      self.electricity_usd * days, self.profit_usd * days)


@dataclass(frozen=True, slots=True)
class Result:
    day: Period
    month: Period
    year: Period
    # Gross expected BTC/day before uptime and pool fee, by both methods.
    btc_day_method_a: Decimal
    btc_day_method_b_implied: Decimal
    btc_day_method_b_observed: Decimal | None
    implied_network_hashrate_hs: Decimal
    observed_gap_pct: Decimal | None  # (B observed − A) ÷ A × 100
    hashprice_th_day: Decimal
    hashprice_ph_day: Decimal
    break_even_usd_kwh: Decimal
    efficiency_j_th: Decimal
    roi_days: Decimal | None  # None: never pays back at today's figures
    total_hashrate_ths: Decimal
    total_power_w: Decimal
    hardware_cost_total_usd: Decimal
    reward_btc: Decimal
    subsidy_btc: Decimal


def profitability(*, rig: Rig, market: Market) -> Result:
    with localcontext(PRECISION):
        quantity = Decimal(rig.quantity)
        total_ths = rig.hashrate_ths * quantity
        total_w = rig.power_w * quantity
        hashrate_hs = total_ths * TERA
        subsidy = market.subsidy_btc
        reward = subsidy + market.fees_btc
        uptime = rig.uptime_pct / HUNDRED
        keep = ONE - rig.pool_fee_pct / HUNDRED

        btc_a = btc_per_day_by_difficulty(hashrate_hs=hashrate_hs, difficulty=market.difficulty,
                                          reward_btc=reward)
        implied = implied_network_hashrate(market.difficulty)
        btc_b = btc_per_day_by_share(hashrate_hs=hashrate_hs, network_hashrate_hs=implied, reward_btc=reward)
        btc_b_observed = gap = None
        if market.observed_hashrate_hs:
            btc_b_observed = btc_per_day_by_share(
                hashrate_hs=hashrate_hs, network_hashrate_hs=market.observed_hashrate_hs, reward_btc=reward,
            )
            gap = (btc_b_observed - btc_a) / btc_a * HUNDRED

        btc = btc_a * uptime * keep
        revenue = btc * market.price_usd
        kwh = total_w * 24 / 1000 * uptime
        electricity = kwh * rig.electricity_usd_kwh
        day = Period(btc, revenue, kwh, electricity, revenue - electricity)

        hashprice = hashprice_usd_per_th_day(difficulty=market.difficulty, reward_btc=reward,
                                             price_usd=market.price_usd)
        cost_total = rig.hardware_cost_usd * quantity
        if day.profit_usd <= 0:
            roi = None
        else:
            roi = cost_total / day.profit_usd
        return Result(
            day=day, month=day.times(DAYS_PER_MONTH), year=day.times(DAYS_PER_YEAR),
            btc_day_method_a=btc_a, btc_day_method_b_implied=btc_b, btc_day_method_b_observed=btc_b_observed,
            implied_network_hashrate_hs=implied, observed_gap_pct=gap,
            hashprice_th_day=hashprice, hashprice_ph_day=hashprice * 1000,
            break_even_usd_kwh=revenue / kwh,
            efficiency_j_th=rig.power_w / rig.hashrate_ths,
            roi_days=roi, total_hashrate_ths=total_ths, total_power_w=total_w,
            hardware_cost_total_usd=cost_total, reward_btc=reward, subsidy_btc=subsidy,
        )


@dataclass(frozen=True, slots=True)
class ProjectionMonth:
    month: int  # 1-based
    btc: Decimal
    revenue_usd: Decimal
    electricity_usd: Decimal
    profit_usd: Decimal
    cumulative_profit_usd: Decimal
    days_running: int


@dataclass(slots=True)
class Projection:
    months: list[ProjectionMonth] = field(default_factory=list)
    halving_day: int | None = None  # first day mined at the halved subsidy, if within the horizon
    halving_height: int = 0
    switched_off_day: int | None = None  # first day the miner would lose money and is stopped
    payback_month: int | None = None  # first month whose cumulative profit covers the hardware
    hardware_cost_usd: Decimal = ZERO

    @property
    def cumulative_profit_usd(self) -> Decimal:
        return self.months[-1].cumulative_profit_usd if self.months else ZERO


def projection(*, rig: Rig, market: Market, months: int = PROJECTION_MONTHS) -> Projection:
    """Month-by-month outlook with difficulty growing at every retarget and subsidies halving.

    Price, fees per block and electricity stay at today's values. Height advances 144 blocks a
    day. A day that would lose money is not mined: the miner is switched off, which is what an
    operator does, so losses do not pile up against the hardware cost.
    """
    with localcontext(PRECISION):
        quantity = Decimal(rig.quantity)
        hashrate_hs = rig.hashrate_ths * quantity * TERA
        uptime = rig.uptime_pct / HUNDRED
        keep = ONE - rig.pool_fee_pct / HUNDRED
        growth = ONE + rig.difficulty_growth_pct / HUNDRED
        electricity_day = rig.power_w * quantity * 24 / 1000 * uptime * rig.electricity_usd_kwh
        cost_total = rig.hardware_cost_usd * quantity
        halving_height = next_halving_height(market.height)

        result = Projection(halving_height=halving_height, hardware_cost_usd=cost_total)
        cumulative = ZERO
        day_key = None
        day_btc = day_revenue = ZERO
        for month in range(1, months + 1):
            btc = revenue = electricity = ZERO
            running = 0
            for day in range((month - 1) * DAYS_PER_MONTH, month * DAYS_PER_MONTH):
                height = market.height + day * BLOCKS_PER_DAY
                era = height // HALVING_INTERVAL
                retarget = day // RETARGET_DAYS
                if result.halving_day is None and height >= halving_height:
                    result.halving_day = day
                # A day's figures change only at a retarget or a halving; compute them once per change.
                if (retarget, era) != day_key:
                    day_key = (retarget, era)
                    difficulty = market.difficulty * growth**retarget
                    reward = subsidy_btc(height) + market.fees_btc
                    day_btc = btc_per_day_by_difficulty(
                        hashrate_hs=hashrate_hs, difficulty=difficulty, reward_btc=reward,
                    ) * uptime * keep
                    day_revenue = day_btc * market.price_usd
                if day_revenue - electricity_day <= 0:
                    if result.switched_off_day is None:
                        result.switched_off_day = day
                    continue
                running += 1
                btc += day_btc
                revenue += day_revenue
                electricity += electricity_day
            profit = revenue - electricity
            cumulative += profit
            result.months.append(ProjectionMonth(month, btc, revenue, electricity, profit, cumulative, running))
            if result.payback_month is None and cost_total > 0 and cumulative >= cost_total:
                result.payback_month = month
        return result
