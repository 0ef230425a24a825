"""The formulas, checked against examples worked by hand (no database)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mining.calculator import (
    Market,
    Rig,
    btc_per_day_by_difficulty,
    btc_per_day_by_share,
    hashprice_usd_per_th_day,
    implied_network_hashrate,
    next_halving_height,
    profitability,
    projection,
    subsidy_btc,
)

# The worked example: 100 TH/s = 10¹⁴ H/s against D = 10¹⁴, so h/D = 1 and
# BTC/day = 86400 × R / 2³². With R = 3.125 (subsidy at height 900,000) + 0.125 (fees) = 3.25:
# 86400 × 3.25 = 280,800; 280,800 / 4,294,967,296 = 0.000065378844738006591796875 exactly.
GROSS_A = D("0.000065378844738006591796875")
MARKET = Market(price_usd=D(100_000), difficulty=D(10**14), fees_btc=D("0.125"), height=900_000)
RIG = Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.05"), pool_fee_pct=D(2),
          uptime_pct=D(95), hardware_cost_usd=D(2000))


def close(a: D, b: D) -> bool:
    """Equal to far below a satoshi or a micro-dollar (the two sides may round at different digits)."""
    return abs(a - b) <= max(abs(a), abs(b), D(1)) * D("1e-24")


@pytest.mark.parametrize(("height", "subsidy"), [
    (0, "50"), (209_999, "50"), (210_000, "25"), (629_999, "12.5"), (630_000, "6.25"),
    (839_999, "6.25"), (840_000, "3.125"), (1_049_999, "3.125"), (1_050_000, "1.5625"),
    (1_260_000, "0.78125"), (64 * 210_000, "0"),
])
def test_subsidy_halves_every_210000_blocks(height, subsidy):
    assert subsidy_btc(height) == D(subsidy)


def test_subsidy_after_many_halvings_is_whole_satoshi():
    # 5,000,000,000 >> 32 = 1 satoshi; one more halving and it is gone.
    assert subsidy_btc(32 * 210_000) == D("0.00000001")
    assert subsidy_btc(33 * 210_000) == 0
    assert next_halving_height(900_000) == 1_050_000
    assert next_halving_height(1_050_000) == 1_260_000


def test_method_a_hand_worked_example():
    assert btc_per_day_by_difficulty(hashrate_hs=D(10**14), difficulty=D(10**14), reward_btc=D("3.25")) == GROSS_A


def test_profitability_hand_worked_example_with_fees_pool_fee_and_uptime():
    result = profitability(rig=RIG, market=MARKET)
    assert result.subsidy_btc == D("3.125")
    assert result.reward_btc == D("3.25")  # fees count in the reward
    assert result.btc_day_method_a == GROSS_A
    # Net BTC = gross × uptime 0.95 × (1 − pool fee 0.02) = gross × 0.931.
    assert result.day.btc == D("0.000060867704451084136962890625")
    # Revenue = × $100,000.
    assert result.day.revenue_usd == D("6.0867704451084136962890625")
    # Energy = 3000 W × 24 h / 1000 × 0.95 = 68.4 kWh; cost at $0.05 = $3.42.
    assert result.day.energy_kwh == D("68.4")
    assert result.day.electricity_usd == D("3.42")
    assert result.day.profit_usd == D("2.6667704451084136962890625")
    assert close(result.month.profit_usd, result.day.profit_usd * 30)
    assert close(result.year.revenue_usd, result.day.revenue_usd * 365)
    # Hashprice = 10¹² × 86400 × 3.25 × 100000 / (10¹⁴ × 2³²) = 280,800,000 / 2³² / 1000.
    assert result.hashprice_th_day == D("0.065378844738006591796875")
    assert result.hashprice_ph_day == D("65.378844738006591796875")
    # Break-even = revenue ÷ kWh = 6.08677… / 68.4.
    assert result.break_even_usd_kwh.quantize(D("0.0000000001")) == D("0.0889878720")
    assert result.efficiency_j_th == D(30)
    # Static ROI = 2000 / 2.66677… = 749.97 days.
    assert result.roi_days.quantize(D("0.01")) == D("749.97")


def test_uptime_scales_both_revenue_and_energy_but_pool_fee_only_revenue():
    full = profitability(rig=Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.05")),
                         market=MARKET)
    half_time = profitability(rig=Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.05"),
                                      uptime_pct=D(50)), market=MARKET)
    fee_10 = profitability(rig=Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.05"),
                                   pool_fee_pct=D(10)), market=MARKET)
    assert full.day.btc == GROSS_A
    assert half_time.day.revenue_usd == full.day.revenue_usd / 2
    assert half_time.day.electricity_usd == full.day.electricity_usd / 2 == D("1.80")
    assert fee_10.day.revenue_usd == full.day.revenue_usd * D("0.9")
    assert fee_10.day.electricity_usd == full.day.electricity_usd
    # Break-even does not depend on uptime: both sides scale with it.
    assert half_time.break_even_usd_kwh == full.break_even_usd_kwh


def test_fees_add_to_the_subsidy():
    no_fees = profitability(rig=RIG, market=Market(D(100_000), D(10**14), D(0), 900_000))
    fees_equal_subsidy = profitability(rig=RIG, market=Market(D(100_000), D(10**14), D("3.125"), 900_000))
    assert fees_equal_subsidy.day.btc == no_fees.day.btc * 2


def test_quantity_multiplies_hashrate_power_and_hardware():
    one = profitability(rig=RIG, market=MARKET)
    ten = profitability(rig=Rig(hashrate_ths=D(100), power_w=D(3000), quantity=10, electricity_usd_kwh=D("0.05"),
                                pool_fee_pct=D(2), uptime_pct=D(95), hardware_cost_usd=D(2000)), market=MARKET)
    assert ten.day.profit_usd == one.day.profit_usd * 10
    assert ten.hardware_cost_total_usd == D(20000)
    assert ten.roi_days == one.roi_days
    assert ten.efficiency_j_th == one.efficiency_j_th


def test_roi_is_never_when_the_miner_loses_money():
    expensive = Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.10"), hardware_cost_usd=D(2000))
    result = profitability(rig=expensive, market=MARKET)
    assert result.day.profit_usd < 0
    assert result.roi_days is None


def test_methods_a_and_b_agree_with_the_hashrate_implied_by_difficulty():
    result = profitability(rig=RIG, market=MARKET)
    assert close(result.implied_network_hashrate_hs, D(10**14) * 2**32 / 600)
    assert abs(result.btc_day_method_b_implied - result.btc_day_method_a) < D("1e-30")
    assert result.observed_gap_pct is None


@given(
    ths=st.decimals(min_value=D("0.001"), max_value=D(100000), places=3),
    difficulty=st.decimals(min_value=D(1), max_value=D("1e17"), places=2),
    reward=st.decimals(min_value=D("0.00000001"), max_value=D(50), places=8),
)
def test_methods_a_and_b_agree_to_rounding_for_any_inputs(ths, difficulty, reward):
    h = ths * 10**12
    a = btc_per_day_by_difficulty(hashrate_hs=h, difficulty=difficulty, reward_btc=reward)
    b = btc_per_day_by_share(hashrate_hs=h, network_hashrate_hs=implied_network_hashrate(difficulty),
                             reward_btc=reward)
    assert abs(a - b) <= a * D("1e-35")


def test_observed_hashrate_above_implied_shows_a_negative_gap():
    # Blocks came faster than 10 minutes: the observed network is 10 % larger than implied.
    implied = implied_network_hashrate(D(10**14))
    market = Market(D(100_000), D(10**14), D("0.125"), 900_000, observed_hashrate_hs=implied * D("1.1"))
    result = profitability(rig=RIG, market=market)
    assert close(result.btc_day_method_b_observed, result.btc_day_method_a / D("1.1"))
    assert result.observed_gap_pct.quantize(D("0.0001")) == D("-9.0909")


def test_hashprice_matches_revenue_per_th_before_fees_and_uptime():
    result = profitability(rig=Rig(hashrate_ths=D(1), power_w=D(1)), market=MARKET)
    assert result.day.revenue_usd == hashprice_usd_per_th_day(difficulty=D(10**14), reward_btc=D("3.25"),
                                                              price_usd=D(100_000))


# Projections. X is one day's net BTC for the rig below with no fees and no pool fee, at 3.125 BTC:
# 100 TH/s, D = 10¹⁴ → 86400 × 3.125 / 2³².
X = D(86400) * D("3.125") / D(2**32)
PLAIN_RIG = Rig(hashrate_ths=D(100), power_w=D(1000), electricity_usd_kwh=D(0))


def test_projection_halves_the_subsidy_on_the_day_height_crosses_1050000():
    # From 1,049,000: day 6 ends at 1,049,864, day 7 starts at 1,050,008 → halved from day 7.
    market = Market(D(100_000), D(10**14), D(0), 1_049_000)
    outlook = projection(rig=PLAIN_RIG, market=market, months=2)
    assert outlook.halving_height == 1_050_000
    assert outlook.halving_day == 7
    assert outlook.months[0].btc == 7 * X + 23 * X / 2
    assert outlook.months[1].btc == 30 * X / 2
    assert outlook.switched_off_day is None


def test_projection_grows_difficulty_at_every_retarget():
    # 10 % per retarget: days 0–13 at D, 14–27 at 1.1 D, 28–29 at 1.21 D.
    rig = Rig(hashrate_ths=D(100), power_w=D(1000), electricity_usd_kwh=D(0), difficulty_growth_pct=D(10))
    outlook = projection(rig=rig, market=Market(D(100_000), D(10**14), D(0), 900_000), months=2)
    expected = 14 * X + 14 * X / D("1.1") + 2 * X / D("1.21")
    assert abs(outlook.months[0].btc - expected) < D("1e-25")
    # Month 2: days 30–41 at 1.21 D, 42–55 at 1.331 D, 56–59 at 1.4641 D.
    expected_2 = 12 * X / D("1.21") + 14 * X / D("1.331") + 4 * X / D("1.4641")
    assert abs(outlook.months[1].btc - expected_2) < D("1e-25")


def test_projection_switches_off_a_miner_once_it_loses_money_every_day():
    # Revenue at D: 100 TH/s → X × $100,000 = $6.2866/day; electricity fixed at $5.00/day.
    # With +10 % per retarget revenue falls below $5 at retarget 3 (6.2866 / 1.331 = 4.72), day 42.
    rig = Rig(hashrate_ths=D(100), power_w=D(2500), electricity_usd_kwh=D("0.0833333333333333333333333333"),
              difficulty_growth_pct=D(10), hardware_cost_usd=D(10_000))
    outlook = projection(rig=rig, market=Market(D(100_000), D(10**14), D(0), 900_000))
    assert outlook.switched_off_day == 42
    assert [m.days_running for m in outlook.months[:3]] == [30, 12, 0]
    assert all(m.profit_usd == 0 and m.btc == 0 for m in outlook.months[2:])
    cumulative = [m.cumulative_profit_usd for m in outlook.months]
    assert cumulative == sorted(cumulative)  # switched off: never loses money
    assert outlook.cumulative_profit_usd == cumulative[1] > 0
    assert outlook.payback_month is None  # $10,000 of hardware is never earned back


def test_projection_of_a_miner_that_never_pays_stays_at_zero():
    rig = Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D(1), hardware_cost_usd=D(100))
    outlook = projection(rig=rig, market=MARKET)
    assert outlook.switched_off_day == 0
    assert len(outlook.months) == 24
    assert outlook.cumulative_profit_usd == 0


def test_projection_payback_month():
    # Profit $2.6668/day → $80.00 a month; $200 of hardware is covered in month 3.
    rig = Rig(hashrate_ths=D(100), power_w=D(3000), electricity_usd_kwh=D("0.05"), pool_fee_pct=D(2),
              uptime_pct=D(95), hardware_cost_usd=D(200))
    outlook = projection(rig=rig, market=MARKET)
    assert outlook.payback_month == 3
    assert outlook.months[0].profit_usd == profitability(rig=rig, market=MARKET).month.profit_usd
