"""The economics of design section 3: discounting, uneven periods, opex years, salvage, fx — each checked
against arithmetic written out in the test, independent of the code under test. Each also checks
``builders.audit`` (the recomputation of a plan's net present cost that tests/test_invariants.py applies to
random problems) against the same arithmetic."""

from __future__ import annotations

import pytest
from builders import M, audit, base_problem, chip, cooling, solve

from tokenplan.economics import horizon

HOURS = 8760.0


def test_horizon_uneven_periods():
    h = horizon([2026, 2027, 2030], last_period_years=2, rate=0.1)
    assert h.durations == (1, 3, 2)
    assert h.end == 2032
    assert h.df(2026) == 1.0
    assert h.df(2030) == pytest.approx(1.1 ** -4)
    # period 2027 lasts 2027, 2028, 2029
    assert h.period_df(1) == pytest.approx(1.1 ** -1 + 1.1 ** -2 + 1.1 ** -3)
    assert h.active(0, 2, life=4) is False and h.active(0, 2, life=4.5) is True
    assert h.salvage_fraction(2, life=5) == pytest.approx(1 - 2 / 5)
    assert h.salvage_fraction(0, life=5) == 0.0  # fully depreciated
    assert h.salvage_df() == pytest.approx(1.1 ** -6)


def test_discounting_of_a_later_purchase():
    # Demand only in 2032 (periods 2030 and 2032): 10 a bought at y = 2032 -> 10 M x 1.1^-2.
    p = base_problem()
    p["problem"].update(periods=[2030, 2032], discount_rate=0.1)
    p["workloads"][0]["tokens_per_day"] = {"2030": 0, "2032": 86400 * 1000.0}
    r = solve(p)
    assert r.objective == pytest.approx(10 * M / 1.1 ** 2, rel=1e-9)
    assert audit(p, r).npc == pytest.approx(10 * M / 1.1 ** 2, rel=1e-9)
    assert r.kpis["capex"] == pytest.approx(10 * M / 1.1 ** 2, rel=1e-9)


def test_opex_is_charged_every_year_of_every_active_period():
    # Periods 2030 (1 year), 2031 (4 years: 2031-2034), 2035 (last, 2 years); demand only in 2030.
    # Life 5: active in 2030 and 2031 (2031 < 2035) but not 2035 (2035 < 2035 is false).
    # Energy: 10 kW x 8,760 h x load 0.5 x 2 CNY = 87,600 CNY per year; maintenance 3% of 10 M = 0.3 M.
    p = base_problem()
    p["problem"].update(periods=[2030, 2031, 2035], last_period_years=2, discount_rate=0.05,
                        load_factor=0.5, maintenance_rate=0.03)
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 0, "2035": 0}
    p["chips"]["custom"][0]["lifetime_years"] = 5
    p["regions"][0]["power_price_per_kwh"] = 2.0
    r = solve(p)
    annual = 10 * HOURS * 0.5 * 2.0 + 0.03 * 10 * M
    years = range(2030, 2035)  # 2030 and 2031..2034
    opex = sum(annual * 1.05 ** -(y - 2030) for y in years)
    # salvage: horizon end 2037, 1 - (2037 - 2030) / 5 < 0 -> 0
    assert r.kpis["opex"] == pytest.approx(opex, rel=1e-9)
    assert r.kpis["salvage"] == 0.0
    assert r.objective == pytest.approx(10 * M + opex, rel=1e-9)
    assert audit(p, r).opex == pytest.approx(opex, rel=1e-9)
    assert audit(p, r).npc == pytest.approx(10 * M + opex, rel=1e-9)


def test_salvage_credits_the_book_value_left_at_the_horizon_end():
    # One period 2030, last_period_years 2 -> horizon end 2032; life 5: 1 - 2/5 = 0.6 of the capex
    # (accelerators 10 M and cooling 10 kW x 20,000 CNY = 0.2 M) credited at df(2032) = 1.08^-2.
    p = base_problem()
    p["problem"].update(last_period_years=2, discount_rate=0.08)
    p["chips"]["custom"][0]["lifetime_years"] = 5
    p["coolings"]["custom"][0]["capex_per_kw_it"] = 20_000
    r = solve(p)
    salvage = 0.6 * (10 * M + 0.2 * M) * 1.08 ** -2
    assert r.kpis["salvage"] == pytest.approx(salvage, rel=1e-9)
    assert r.objective == pytest.approx(10.2 * M - salvage, rel=1e-9)
    assert audit(p, r).salvage == pytest.approx(salvage, rel=1e-9)


def test_facility_blocks_depreciate_over_the_facility_lifetime():
    # 10 kW on 10 kW blocks: 1 block of 0.01 MW x 50 M per MW = 0.5 M at 2030; horizon end 2031;
    # facility life 4 -> salvage 1 - 1/4 = 0.75 of 0.5 M at df(2031) = 1.1^-1.
    p = base_problem()
    p["problem"].update(discount_rate=0.1, facility_lifetime_years=4)
    p["regions"][0].update(block_mw=0.01, facility_capex_per_mw=50 * M)
    r = solve(p)
    assert r.objective == pytest.approx(10 * M + 0.5 * M - 0.75 * 0.5 * M / 1.1, rel=1e-9)
    assert audit(p, r).npc == pytest.approx(10 * M + 0.5 * M - 0.75 * 0.5 * M / 1.1, rel=1e-9)


def test_fx_converts_chip_prices_into_the_problem_currency():
    p = base_problem()
    p["problem"]["fx"] = {"USD": 7.0}
    p["chips"]["custom"][0].update(price_per_accel=100_000, price_currency="USD")
    r = solve(p)
    assert r.objective == pytest.approx(10 * 700_000, rel=1e-9)
    assert audit(p, r).npc == pytest.approx(10 * 700_000, rel=1e-9)
    assert r.currency == "CNY"


def test_self_contained_problem_objective_matches_the_design_economics():
    """Everything at once: two uneven periods, discounting, energy with PUE and pue_factor, load factor,
    maintenance, cooling capex and opex, a cooling site fixed cost, facility blocks, salvage."""
    i = 0.07
    p = base_problem()
    p["problem"].update(periods=[2026, 2028], last_period_years=3, discount_rate=i, load_factor=0.7,
                        maintenance_rate=0.04, facility_lifetime_years=20, mip_gap=0.0)
    # demand: 2,000 tok/s in 2026, 3,000 tok/s in 2028 (chip: 500 tok/s, units of 2)
    p["workloads"][0]["tokens_per_day"] = {"2026": 86400 * 2000.0, "2028": 86400 * 3000.0}
    p["chips"]["custom"] = [chip(tflops={"fp8": 500.0}, tdp_w=800, host_w_per_accel=200, unit_size=2,
                                 price_per_accel=3 * M, lifetime_years=4, cooling=["t.cp"])]
    p["coolings"]["custom"] = [cooling(id="t.cp", pue=1.2, capex_per_kw_it=15_000, opex_per_kw_it_year=500,
                                       site_fixed_cost=2 * M)]
    p["regions"][0].update(block_mw=0.005, facility_capex_per_mw=40 * M, power_price_per_kwh=0.5,
                           pue_factor=1.1, power_mw=1)
    r = solve(p)
    assert r.status == "optimal"

    def df(y):
        return (1 + i) ** -(y - 2026)

    Y = 2031                        # 2028 + 3
    # 2026: 4 accelerators (2 units); 2028: 6 active needed, the 2026 units are still active
    # (2026 <= 2028 < 2030) -> buy 2 more (1 unit).
    n26, n28 = 4, 2
    it_kw = 1.0                     # (800 + 200) W
    pue = 1.2 * 1.1
    capex = {2026: n26 * 3 * M, 2028: n28 * 3 * M}
    cool = {2026: n26 * it_kw * 15_000, 2028: n28 * it_kw * 15_000}
    # facility: 4 kW x 1.32 = 5.28 kW -> 2 blocks of 5 kW in 2026; 6 kW x 1.32 = 7.92 kW -> still 2.
    block = 0.005 * 40 * M
    fac = {2026: 2 * block, 2028: 0.0}
    fixed = 2 * M                   # paid at y[0]
    npc = sum(df(y) * (capex[y] + cool[y] + fac[y]) for y in (2026, 2028)) + fixed

    def annual(active):            # opex per year with `active` accelerators
        energy = active * it_kw * pue * HOURS * 0.7 * 0.5
        return energy + 0.04 * active * 3 * M + 500 * active * it_kw

    # period 2026 lasts 2026, 2027 (4 active); period 2028 lasts 2028-2030: the 2026 purchase is active
    # in period 2028 (2026 <= 2028 < 2030) for all its years.
    npc += sum(df(y) * annual(4) for y in (2026, 2027))
    npc += sum(df(y) * annual(6) for y in (2028, 2029, 2030))
    salvage = df(Y) * (max(0, 1 - (Y - 2026) / 4) * (capex[2026] + cool[2026])
                       + max(0, 1 - (Y - 2028) / 4) * (capex[2028] + cool[2028])
                       + (1 - (Y - 2026) / 20) * fac[2026])
    npc -= salvage
    assert r.objective == pytest.approx(npc, rel=1e-6)
    a = audit(p, r)
    assert a.npc == pytest.approx(npc, rel=1e-9)
    assert a.salvage == pytest.approx(salvage, rel=1e-9)
    assert a.capex_nominal == pytest.approx({2026: capex[2026] + cool[2026] + fac[2026] + fixed,
                                             2028: capex[2028] + cool[2028]})
    k = r.kpis
    assert k["capex"] + k["opex"] - k["subsidy"] - k["salvage"] == pytest.approx(r.objective, rel=1e-9)
    assert k["accelerators"] == 6
