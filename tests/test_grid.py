"""Grid-connection increases with a lead time (a region's ``grid_increase_mw``, ``grid_increase_max_mw``,
``grid_capex_per_mw``, ``grid_lead_years``; issue 13 item 3): an increase ordered, and paid, in period s is
energised from year y_s + lag and raises the grid cap from then on. The expected plans are derived by hand."""

from __future__ import annotations

import pytest
from builders import M, bought, solve, solve_error, write_toml


@pytest.fixture
def two_sites(problem):
    # 2030 and 2031, 1,000 tokens/s each: 10 t.a (1 kW, 1 M, lifetime 1: bought again each year), 0.01 MW.
    # r1: no grid connection (power_mw 0), free blocks and energy; its grid can be raised in steps of 0.01 MW
    #     at 10 M/MW = 0.1 M a step. Facility life 20 years: a step ordered in 2030 is worth
    #     0.1 x (1 - 2/20) = 0.09 M at the end (2032), net 0.01 M; one ordered in 2031 nets 0.005 M.
    # r2: 100 MW already built, energy 0.1 M per kW-year (1 M a year for 10 accelerators).
    problem["problem"]["periods"] = [2030, 2031]
    problem["regions"] = [
        {"id": "r1", "country": "CN", "power_mw": 0, "block_mw": 0.01, "facility_capex_per_mw": 0,
         "power_price_per_kwh": 0.0, "grid_increase_mw": 0.01, "grid_increase_max_mw": 1,
         "grid_capex_per_mw": 10 * M},
        {"id": "r2", "country": "CN", "power_mw": 100, "existing_mw": 100, "block_mw": 1,
         "facility_capex_per_mw": 0, "power_price_per_kwh": 100000 / 8760}]
    return problem


def _grid(result, region, year):
    return round(result.model.grid[region, year].value)


def test_without_a_lead_time_an_increase_serves_the_year_it_is_ordered(two_sites):
    # one step in r1 in 2030 serves both years there: 20 M + 0.01 M
    r = solve(two_sites)
    assert r.objective == pytest.approx(20.01 * M, rel=1e-6)
    assert _grid(r, "r1", 2030) == 1 and _grid(r, "r1", 2031) == 0
    assert {k[1] for k in bought(r)} == {"r1"}
    sites = r.sites.set_index(["period", "region"])
    assert sites.loc[(2030, "r1"), "grid_ordered_mw"] == pytest.approx(0.01)
    assert sites.loc[(2031, "r1"), "grid_raised_mw"] == pytest.approx(0.01)
    assert sites.loc[(2031, "r1"), "grid_cap_mw"] == pytest.approx(0.01)
    periods = r.costs_by_period.set_index("period")
    assert periods.loc[2030, "capex_grid"] == pytest.approx(0.1 * M)
    assert periods["cash_out_pv"].sum() == pytest.approx(r.objective, rel=1e-9)


def test_an_increase_ordered_a_year_ahead_serves_the_next_year(two_sites):
    # lag 1: the step ordered in 2030 serves 2031 only, so 2030 is served in r2 (10 M + 1 M energy) and 2031
    # in r1 (10 M): 21.01 M
    two_sites["regions"][0]["grid_lead_years"] = 1
    r = solve(two_sites)
    assert r.objective == pytest.approx(21.01 * M, rel=1e-6)
    assert bought(r) == {(2030, "r2", "t.a", "t.air"): 10, (2031, "r1", "t.a", "t.air"): 10}
    assert _grid(r, "r1", 2030) == 1 and _grid(r, "r1", 2031) == 0


def test_a_lead_beyond_the_horizon_or_no_grid_option_leaves_the_site_unused(two_sites):
    # lag 2: nothing ordered energises within 2030-2031; everything in r2: 2 x 11 M, nothing ordered
    two_sites["regions"][0]["grid_lead_years"] = 2
    r = solve(two_sites)
    assert r.objective == pytest.approx(22 * M, rel=1e-6)
    assert {k[1] for k in bought(r)} == {"r2"}
    assert _grid(r, "r1", 2030) == 0 and _grid(r, "r1", 2031) == 0
    for key in ("grid_increase_mw", "grid_increase_max_mw", "grid_capex_per_mw", "grid_lead_years"):
        two_sites["regions"][0].pop(key, None)
    r = solve(two_sites)
    assert r.objective == pytest.approx(22 * M, rel=1e-6)
    assert getattr(r.model, "grid", None) is None


def test_the_most_mw_caps_the_increases_in_whole_steps(two_sites):
    # 0.015 MW at most: one step of 0.01 MW (0.01 M net); 2,000 tokens/s need 20 accelerators = 0.02 MW, so
    # r1 carries 10 a year and r2 the other 10 (1 M energy a year): 40 M + 2 M + 0.01 M
    two_sites["workloads"][0]["tokens_per_day"] = 86400 * 2000.0
    two_sites["regions"][0]["grid_increase_max_mw"] = 0.015
    r = solve(two_sites)
    assert r.objective == pytest.approx(42.01 * M, rel=1e-6)
    assert _grid(r, "r1", 2030) + _grid(r, "r1", 2031) == 1
    # 0.02 MW at most: two steps in 2030 (0.02 M net), everything in r1
    two_sites["regions"][0]["grid_increase_max_mw"] = 0.02
    r = solve(two_sites)
    assert r.objective == pytest.approx(40.02 * M, rel=1e-6)
    assert _grid(r, "r1", 2030) == 2


def test_the_budget_pays_for_the_increases(two_sites):
    # 10 M of accelerators every year plus the 0.1 M step: a 10.05 M budget leaves no room for it (22 M), 10.1 M
    # does (20.01 M)
    two_sites["budget"] = {"capex_per_period": 10.05 * M}
    assert solve(two_sites).objective == pytest.approx(22 * M, rel=1e-6)
    two_sites["budget"] = {"capex_per_period": 10.1 * M}
    assert solve(two_sites).objective == pytest.approx(20.01 * M, rel=1e-6)


def test_invariants_a_longer_lead_or_dearer_grid_never_lowers_the_cost_more_headroom_never_raises_it(two_sites):
    costs = []
    for lag in (0, 0.5, 1, 2):
        two_sites["regions"][0]["grid_lead_years"] = lag
        costs.append(solve(two_sites).objective)
    assert costs == sorted(costs), costs
    two_sites["regions"][0]["grid_lead_years"] = 0
    dearer = []
    for price in (0, 10 * M, 500 * M, 5000 * M):
        two_sites["regions"][0]["grid_capex_per_mw"] = price
        dearer.append(solve(two_sites).objective)
    assert dearer == sorted(dearer), dearer
    two_sites["regions"][0]["grid_capex_per_mw"] = 10 * M
    wider = []
    for most in (0, 0.005, 0.01, 1):
        two_sites["regions"][0]["grid_increase_max_mw"] = most
        wider.append(solve(two_sites).objective)
    assert wider == sorted(wider, reverse=True), wider


@pytest.mark.parametrize(("change", "key"), [
    ({"grid_capex_per_mw": 5}, "grid_capex_per_mw"),   # no grid_increase_mw: it would do nothing
    ({"grid_lead_years": 2}, "grid_lead_years"),
    ({"grid_increase_mw": 1, "grid_capex_per_mw": 5}, "grid_increase_max_mw"),  # missing
    ({"grid_increase_mw": -1}, "grid_increase_mw"),
])
def test_a_bad_grid_increase_is_one_line_with_exit_2(problem, tmp_path, capsys, change, key):
    problem["regions"][0].update(change)
    path = write_toml(tmp_path, problem)
    line = solve_error(path, capsys)
    assert path in line and key in line, line


def test_a_site_capex_subsidy_of_the_whole_project_sees_the_grid_increases(two_sites):
    # base "project": the subsidy's groups (by salvage fraction) add up to the site's capex, grid included,
    # and the grid increase sits in the facility's group
    import pyomo.core as pyo

    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.model import build
    from tokenplan.plugins.rules._common import capex_groups

    m = build(compute(select(tokenplan.load(two_sites))))
    ctx = m.tp_ctx
    for v in m.component_data_objects(pyo.Var):
        v.set_value(1, skip_validation=True)
    for year in (2030, 2031):
        groups = capex_groups(ctx, "r1", year, "project")
        assert sum(pyo.value(e) for e in groups.values()) == pytest.approx(pyo.value(ctx.expr.capex["r1", year]))
        assert pyo.value(groups[round(ctx.facility_salvage_fraction(year), 12)]) == pytest.approx(0.1)  # 1 step
