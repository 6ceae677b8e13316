"""One test (or a few) per constraint family: a tiny problem where the family binds, and the optimal
objective and plan worked out by hand (see the comments)."""

from __future__ import annotations

import pytest
from builders import M, bought, by_chip, chip, cooling, solve

REL = 1e-9


def test_demand_picks_the_cheapest_capacity_with_integer_units(problem):
    # t.a: 100 tok/s for 1 M; t.b: 250 tok/s for 2 M (0.8 M per 100 tok/s: cheaper capacity).
    # Demand 1,100 tok/s: 5 b = 10 M (1,250 tok/s); 4 b + 1 a = 9 M (exactly 1,100); 11 a = 11 M.
    problem["chips"]["custom"].append(chip(id="t.b", tflops={"fp8": 250.0}, price_per_accel=2 * M))
    problem["workloads"][0]["tokens_per_day"] = 86400 * 1100.0
    r = solve(problem)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(9 * M, rel=REL)
    assert by_chip(r) == {"t.a": 1, "t.b": 4}


def test_demand_scales_with_peak_to_average(problem):
    # 1,000 tok/s average x 1.5 peak = 1,500 tok/s = 15 accelerators of t.a.
    problem["workloads"][0]["peak_to_average"] = 1.5
    r = solve(problem)
    assert r.objective == pytest.approx(15 * M, rel=REL)


def test_unit_size_rounds_purchases_up_to_whole_servers(problem):
    # 10 accelerators needed, sold in servers of 8: 2 servers = 16 accelerators = 16 M.
    problem["chips"]["custom"][0]["unit_size"] = 8
    r = solve(problem)
    assert r.objective == pytest.approx(16 * M, rel=REL)
    assert r.plan["units_bought"].sum() == 2


def test_assignment_does_not_let_one_fleet_serve_two_workloads(problem):
    # w needs 1,000 tok/s = 10 a; w2 (4x the FLOP per token: 25 tok/s per a) needs 250 tok/s = 10 a.
    # An accelerator serves one workload at a time: 20 a = 20 M (10 M if the fleet were counted twice).
    problem["workloads"].append({"id": "w2", "tokens_per_day": 86400 * 250.0, "flops_per_token": 4e12,
                                 "utilisation": 1.0, "precision": "fp8"})
    r = solve(problem)
    assert r.objective == pytest.approx(20 * M, rel=REL)
    assert r.plan["accelerators_serving"].sum() == pytest.approx(20.0)


#: A 4 kW block at 1 M CNY per MW costs 4,000 CNY; with the default 20-year facility life, 0.95 of it is
#: credited back as salvage at the horizon end (2031): 1 - (2031 - 2030) / 20. Net: 200 CNY per block.
BLOCK = 4000 - 4000 * (1 - (2031 - 2030) / 20)


def _power_problem(problem, *, power_mw):
    # facility: 1 M CNY per MW, blocks of 4 kW (0.004 MW).
    # t.c: 200 tok/s, 1.5 kW, 2.5 M.
    problem["regions"][0].update(power_mw=power_mw, block_mw=0.004, facility_capex_per_mw=1 * M)
    problem["chips"]["custom"].append(chip(id="t.c", tflops={"fp8": 200.0}, tdp_w=1500,
                                           price_per_accel=2.5 * M))
    return problem


def test_power_blocks_are_built_in_whole_blocks(problem):
    # Without a binding grid cap: 10 a (10 kW) = 10 M, plus 3 blocks (12 kW).
    r = solve(_power_problem(problem, power_mw=100))
    assert r.objective == pytest.approx(10 * M + 3 * BLOCK, rel=REL)
    assert by_chip(r) == {"t.a": 10}


def test_power_grid_cap_forces_the_power_efficient_chip(problem):
    # Grid cap 8 kW = 2 blocks. x a + y c: 100x + 200y >= 1000 and x + 1.5y <= 8 (kW)
    # => x <= 2; cheapest: x = 2, y = 4 (2 + 10 = 12 M, exactly 8 kW) + 2 blocks.
    r = solve(_power_problem(problem, power_mw=0.008))
    assert r.objective == pytest.approx(12 * M + 2 * BLOCK, rel=REL)
    assert by_chip(r) == {"t.a": 2, "t.c": 4}


def test_existing_power_saves_blocks(problem):
    # 4 kW already there: 10 kW needs 2 more blocks instead of 3.
    p = _power_problem(problem, power_mw=100)
    p["regions"][0]["existing_mw"] = 0.004
    r = solve(p)
    assert r.objective == pytest.approx(10 * M + 2 * BLOCK, rel=REL)


def test_power_counts_the_cooling_pue_and_the_climate_factor(problem):
    # PUE 1.2 x pue_factor 1.25 = 1.5: 10 kW of IT needs 15 kW of facility = 4 blocks of 4 kW.
    p = _power_problem(problem, power_mw=100)
    p["coolings"]["custom"][0]["pue"] = 1.2
    p["regions"][0]["pue_factor"] = 1.25
    r = solve(p)
    assert r.objective == pytest.approx(10 * M + 4 * BLOCK, rel=REL)
    assert r.kpis["facility_mw"] == pytest.approx(0.015)


def test_hbm_supply_in_stacks_caps_a_pool(problem):
    # t.a uses 8 stacks of pool p1; supply 40 stacks -> at most 5 a. t.d (pool p2, 1.5 M) fills the rest:
    # 5 x 1 + 5 x 1.5 = 12.5 M.
    problem["chips"]["custom"].append(chip(id="t.d", hbm_pool="p2", price_per_accel=1.5 * M))
    problem["hbm"] = {"unit": "stacks", "supply": {"p1": 40}}
    r = solve(problem)
    assert r.objective == pytest.approx(12.5 * M, rel=REL)
    assert by_chip(r) == {"t.a": 5, "t.d": 5}


def test_hbm_supply_in_gb(problem):
    # t.a has 80 GB; 560 GB of p1 -> 7 a, 3 d: 7 + 4.5 = 11.5 M.
    problem["chips"]["custom"].append(chip(id="t.d", hbm_pool="p2", price_per_accel=1.5 * M))
    problem["hbm"] = {"unit": "GB", "supply": {"p1": {"2030": 560}}}
    r = solve(problem)
    assert r.objective == pytest.approx(11.5 * M, rel=REL)
    assert by_chip(r) == {"t.a": 7, "t.d": 3}


def test_hbm_year_absent_from_supply_is_unlimited(problem):
    problem["problem"]["periods"] = [2030, 2031]
    problem["chips"]["custom"].append(chip(id="t.d", hbm_pool="p2", price_per_accel=1.5 * M))
    problem["hbm"] = {"supply": {"p1": {"2030": 40}}}
    # 2030: 5 a + 5 d = 12.5 M; 2031 (no cap): 10 a = 10 M (lifetime 1 year: buy again).
    r = solve(problem)
    assert r.objective == pytest.approx(22.5 * M, rel=REL)


def test_chip_supply_cap(problem):
    # t.b would serve everything for 8 M (4 x 2 M) but only 2 can be bought: 2 b + 5 a = 9 M.
    problem["chips"]["custom"].append(chip(id="t.b", tflops={"fp8": 250.0}, price_per_accel=2 * M))
    problem["chips"]["supply_accelerators"] = {"t.b": 2}
    r = solve(problem)
    assert r.objective == pytest.approx(9 * M, rel=REL)
    assert by_chip(r) == {"t.a": 5, "t.b": 2}


def test_chip_availability_years(problem):
    # t.e (half price) is available from 2031 and t.a only until 2030: 2030 buys a, 2031 buys e.
    problem["problem"]["periods"] = [2030, 2031]
    problem["chips"]["custom"][0]["year_last"] = 2030
    problem["chips"]["custom"].append(chip(id="t.e", year_available=2031, price_per_accel=0.5 * M))
    r = solve(problem)
    assert bought(r) == {(2030, "r1", "t.a", "t.air"): 10, (2031, "r1", "t.e", "t.air"): 10}
    assert r.objective == pytest.approx(10 * M + 5 * M, rel=REL)


def test_fleet_lives_for_its_lifetime(problem):
    # Two years of the same demand: with a 2-year life, one purchase serves both (10 M, salvage 0 at
    # the horizon end 2032: 1 - 2/2 = 0); with a 1-year life, buy twice (20 M).
    problem["problem"]["periods"] = [2030, 2031]
    problem["chips"]["custom"][0]["lifetime_years"] = 2
    assert solve(problem).objective == pytest.approx(10 * M, rel=REL)
    problem["chips"]["custom"][0]["lifetime_years"] = 1
    r = solve(problem)
    assert r.objective == pytest.approx(20 * M, rel=REL)
    assert r.plan.groupby("period")["accelerators_active"].sum().to_dict() == {2030: 10, 2031: 10}


def test_cooling_list_restricts_the_cooling(problem):
    # t.f supports only liquid (capex 100,000 CNY per kW IT): 10 kW -> 1 M of cooling capex.
    problem["chips"]["custom"] = [chip(id="t.f", cooling=["t.liquid"])]
    problem["coolings"]["custom"].append(cooling(id="t.liquid", capex_per_kw_it=100_000))
    r = solve(problem)
    assert r.objective == pytest.approx(11 * M, rel=REL)
    assert set(r.plan["cooling"]) == {"t.liquid"}


def test_rack_kw_above_the_coolings_limit_excludes_it(problem):
    # t.a in 30 kW racks: air allows 20 kW, so the liquid option (1 M more) is the only one.
    problem["chips"]["custom"][0].update(cooling=["t.air", "t.liquid"], rack_kw=30)
    problem["coolings"]["custom"][0]["max_rack_kw"] = 20
    problem["coolings"]["custom"].append(cooling(id="t.liquid", capex_per_kw_it=100_000))
    r = solve(problem)
    assert r.objective == pytest.approx(11 * M, rel=REL)
    assert set(r.plan["cooling"]) == {"t.liquid"}


def test_default_rack_kw_is_one_unit_of_it_power(problem):
    # unit of 8 x 1 kW = 8 kW > air's 5 kW limit -> liquid; 16 accelerators (2 units): 16 + 1.6 M.
    problem["chips"]["custom"][0].update(cooling=["t.air", "t.liquid"], unit_size=8)
    problem["coolings"]["custom"][0]["max_rack_kw"] = 5
    problem["coolings"]["custom"].append(cooling(id="t.liquid", capex_per_kw_it=100_000))
    r = solve(problem)
    assert r.objective == pytest.approx(16 * M + 1.6 * M, rel=REL)


def test_pue_cap_excludes_a_cooling(problem):
    # air PUE 1.5 > the region's cap 1.3 -> liquid (PUE 1.1, 1 M of capex for 10 kW).
    problem["chips"]["custom"][0]["cooling"] = ["t.air", "t.liquid"]
    problem["coolings"]["custom"][0]["pue"] = 1.5
    problem["coolings"]["custom"].append(cooling(id="t.liquid", pue=1.1, capex_per_kw_it=100_000))
    problem["regions"][0]["pue_cap"] = 1.3
    r = solve(problem)
    assert set(r.plan["cooling"]) == {"t.liquid"}
    assert r.objective == pytest.approx(11 * M, rel=REL)


def _site_switch(problem, *, fixed):
    # Energy 10 CNY/kWh at load 1: 10 kW IT -> air (PUE 1.5) 15 kW x 8,760 h x 10 = 1.314 M per year;
    # liquid (PUE 1.1) 11 kW -> 0.9636 M per year, plus its site fixed cost.
    problem["chips"]["custom"][0]["cooling"] = ["t.air", "t.liquid"]
    problem["coolings"]["custom"][0]["pue"] = 1.5
    problem["coolings"]["custom"].append(cooling(id="t.liquid", pue=1.1, site_fixed_cost=fixed))
    problem["regions"][0]["power_price_per_kwh"] = 10.0
    return problem


def test_cooling_site_fixed_cost_paid_once_when_worth_it(problem):
    # Fixed cost 0.2 M: liquid saves 0.3504 M of energy -> liquid: 10 + 0.9636 + 0.2 = 11.1636 M.
    r = solve(_site_switch(problem, fixed=0.2 * M))
    assert set(r.plan["cooling"]) == {"t.liquid"}
    assert r.objective == pytest.approx(10 * M + 0.9636 * M + 0.2 * M, rel=REL)


def test_cooling_site_fixed_cost_avoided_when_not_worth_it(problem):
    # Fixed cost 0.5 M > the 0.3504 M saving -> air: 10 + 1.314 = 11.314 M, and no fixed cost.
    r = solve(_site_switch(problem, fixed=0.5 * M))
    assert set(r.plan["cooling"]) == {"t.air"}
    assert r.objective == pytest.approx(10 * M + 1.314 * M, rel=REL)


def test_cooling_big_m_is_the_sites_facility_mw_in_the_period_over_pue():
    from builders import base_problem

    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.model import build

    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["workloads"][0]["tokens_per_day"] = {"2030": 8.64e6, "2031": 8.64e6}
    p["regions"][0].update(power_mw={"2030": 60, "2031": 90}, pue_factor=1.2, block_mw=7, existing_mw=2)
    p["coolings"]["custom"][0]["pue"] = 1.25
    model = build(compute(select(tokenplan.load(p))))
    # 2030: 2 MW existing + 8 whole blocks of 7 MW under the 60 MW cap = 58 MW of facility / (1.25 x 1.2)
    # = 38.67 MW of IT: the most this cooling can carry there then; 2031: 2 + 12 x 7 = 86 MW -> 57.33 MW
    assert model.tp_ctx.cooling_big_m[("t.air", "r1", 2030)] == pytest.approx(58 / 1.5)
    assert model.tp_ctx.cooling_big_m[("t.air", "r1", 2031)] == pytest.approx(86 / 1.5)
    # an elastic model whose grid cap may give: at least what serving all demand could take
    p["workloads"][0]["tokens_per_day"] = {"2030": 8.64e11, "2031": 8.64e11}
    data = compute(select(tokenplan.load(p)))
    loose = build(data, elastic="cap").tp_ctx.cooling_big_m
    assert data.it_mw_upper_bound() > 58 / 1.5
    assert loose[("t.air", "r1", 2030)] == pytest.approx(data.it_mw_upper_bound())


def test_budget_forces_the_cheaper_chip_despite_its_energy(problem):
    # Energy 20 CNY/kWh -> 175,200 CNY per kW-year. a: 1 M + 0.1752 M; h (0.8 M, 3 kW): 0.8 + 0.5256 M.
    # No budget: 10 a = 11.752 M. Budget 8.5 M: x + 0.8 y <= 8.5 with x + y = 10 -> y >= 7.5 -> y = 8,
    # x = 2: 2 x 1.1752 + 8 x 1.3256 = 12.9552 M.
    problem["regions"][0]["power_price_per_kwh"] = 20.0
    problem["chips"]["custom"].append(chip(id="t.h", tdp_w=3000, price_per_accel=0.8 * M))
    assert solve(problem).objective == pytest.approx(11.752 * M, rel=REL)
    problem["budget"] = {"capex_per_period": {"2030": 8.5 * M}}
    r = solve(problem)
    assert r.objective == pytest.approx(12.9552 * M, rel=REL)
    assert by_chip(r) == {"t.a": 2, "t.h": 8}


def test_budget_counts_facility_and_cooling_fixed_capex(problem):
    # 10 a need 10 kW = 3 blocks of 4 kW at 1 M per MW (12,000 CNY); budget 10.01 M cannot pay
    # 10 a + 3 blocks (10.012 M) -> infeasible.
    problem["regions"][0].update(block_mw=0.004, facility_capex_per_mw=1 * M)
    problem["budget"] = {"capex_per_period": 10.01 * M}
    r = solve(problem)
    assert r.status == "infeasible"
    problem["budget"] = {"capex_per_period": 10.012 * M}
    assert solve(problem).status == "optimal"


def test_sparse_sets_have_only_allowed_tuples():
    from builders import base_problem

    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.model import build

    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["regions"].append({"id": "r2", "country": "CN", "power_mw": 10, "facility_capex_per_mw": 0,
                         "power_price_per_kwh": 0, "pue_cap": 1.2})
    p["chips"]["custom"][0]["cooling"] = ["t.air", "t.liquid"]
    p["chips"]["custom"].append(chip(id="t.e", year_available=2031))
    p["coolings"]["custom"][0]["pue"] = 1.5
    p["coolings"]["custom"].append(cooling(id="t.liquid", pue=1.1))
    model = build(compute(select(tokenplan.load(p))))
    buy = set(model.BUY)
    assert ("t.e", "t.air", "r1", 2030) not in buy          # not available yet
    assert ("t.e", "t.air", "r1", 2031) in buy
    assert ("t.e", "t.liquid", "r1", 2031) not in buy       # t.e supports air only
    assert ("t.a", "t.air", "r2", 2030) not in buy          # air's PUE 1.5 > r2's cap 1.2
    assert ("t.a", "t.liquid", "r2", 2030) in buy
    assert len(buy) == 2 * 2 + 1 + 1 + 1  # a: r1 x 2 coolings x 2 years, a@r2 liquid x 2, e@r1 air 2031


def test_idle_accelerators_are_reported_and_warned_about():
    # units of 3: 1,000 tokens/s need 10 accelerators, 4 units = 12 are bought, 2 serve nothing: reported,
    # not warned about (less than one unit: the lumpiness of units)
    import json

    from builders import base_problem, solve

    p = base_problem()
    p["chips"]["custom"][0]["unit_size"] = 3
    r = solve(p)
    assert r.idle.to_dict(orient="records") == [
        {"period": 2030, "region": "r1", "chip": "t.a", "accelerators_active": 12,
         "accelerators_serving": pytest.approx(10.0), "accelerators_idle": pytest.approx(2.0)}]
    assert json.loads(r.to_json())["idle"][0]["accelerators_idle"] == pytest.approx(2.0)
    assert not any("serve no workload" in w for w in r.warnings)
    # life 2, demand in 2030 only: the ten units bought for 2030 are in service and idle in 2031: warned
    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 0.0}
    p["chips"]["custom"][0]["lifetime_years"] = 2
    r = solve(p)
    assert r.idle[["period", "accelerators_idle"]].to_dict(orient="records") == [
        {"period": 2031, "accelerators_idle": pytest.approx(10.0)}]
    assert any(w.startswith("10 accelerators in service serve no workload in the optimal plan, whole units")
               for w in r.warnings)
    # units of 1, one period: nothing idle, no warning
    r = solve(base_problem())
    assert r.idle.empty and not any("serve no workload" in w for w in r.warnings)
