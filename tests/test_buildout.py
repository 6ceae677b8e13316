"""Build-out lead time of facility blocks (``block_lead_years`` per region, issue 13 item 3): a block ordered,
and paid, in period s serves from year y_s + lag. The expected plans are derived by hand below."""

from __future__ import annotations

import pytest
from builders import M, bought, solve, solve_error, write_toml


@pytest.fixture
def two_sites(problem):
    # 2030 and 2031, 1,000 tokens/s each: 10 t.a (1 kW, 1 M, lifetime 1: bought again each year).
    # r1: nothing built, blocks of 0.01 MW (10 accelerators) at 10 M/MW = 0.1 M, free energy; facility life
    #     20 years, so a block built in 2030 is worth 0.1 x (1 - 2/20) = 0.09 M at the end (2032): net 0.01 M.
    # r2: 100 MW already built, energy 0.1 M per kW-year (1 M a year for 10 accelerators).
    problem["problem"]["periods"] = [2030, 2031]
    problem["regions"] = [
        {"id": "r1", "country": "CN", "power_mw": 100, "block_mw": 0.01, "facility_capex_per_mw": 10 * M,
         "power_price_per_kwh": 0.0},
        {"id": "r2", "country": "CN", "power_mw": 100, "existing_mw": 100, "block_mw": 1,
         "facility_capex_per_mw": 0, "power_price_per_kwh": 100000 / 8760}]
    return problem


def _blocks(result, region, year):
    return round(result.model.blocks[region, year].value)


def test_without_a_lead_time_a_block_serves_the_year_it_is_built(two_sites):
    # one block in r1 in 2030, 10 a in r1 each year: 20 M + 0.01 M
    r = solve(two_sites)
    assert r.objective == pytest.approx(20.01 * M, rel=1e-6)
    assert _blocks(r, "r1", 2030) == 1
    assert {k[1] for k in bought(r)} == {"r1"}


def test_a_block_ordered_a_year_ahead_serves_the_next_year(two_sites):
    # lag 1: the r1 block built in 2030 serves 2031 only, so 2030 is served in r2 (10 M + 1 M energy) and 2031
    # in r1 (10 M) with the block ordered in 2030 (net 0.01 M): 21.01 M
    two_sites["regions"][0]["block_lead_years"] = 1
    r = solve(two_sites)
    assert r.objective == pytest.approx(21.01 * M, rel=1e-6)
    assert bought(r) == {(2030, "r2", "t.a", "t.air"): 10, (2031, "r1", "t.a", "t.air"): 10}
    assert _blocks(r, "r1", 2030) == 1 and _blocks(r, "r1", 2031) == 0


def test_a_lead_beyond_the_horizon_leaves_the_site_unused(two_sites):
    # lag 2: no block of r1 serves within 2030-2031; everything in r2: 2 x 11 M
    two_sites["regions"][0]["block_lead_years"] = 2
    r = solve(two_sites)
    assert r.objective == pytest.approx(22 * M, rel=1e-6)
    assert {k[1] for k in bought(r)} == {"r2"}
    assert _blocks(r, "r1", 2030) == 0 and _blocks(r, "r1", 2031) == 0


def test_a_longer_build_out_never_lowers_the_cost(two_sites):
    costs = []
    for lag in (0, 0.5, 1, 1.5, 2, 3):
        two_sites["regions"][0]["block_lead_years"] = lag
        costs.append(solve(two_sites).objective)
    assert costs == sorted(costs), costs
    # half a year of lead on one-year periods: a block serves from the period after it (y_s + 0.5 > y_s)
    assert costs[1] == pytest.approx(21.01 * M, rel=1e-6)


def test_a_bad_lead_is_one_line_with_exit_2(problem, tmp_path, capsys):
    problem["regions"][0]["block_lead_years"] = -1
    path = write_toml(tmp_path, problem)
    line = solve_error(path, capsys)
    assert path in line and "block_lead_years" in line and "-1" in line, line
