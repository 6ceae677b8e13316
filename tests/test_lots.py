"""Minimum lots per purchase (``[chips] min_lot_accelerators``): a purchase is none or at least its lot, so a
plan holds no one-server "dust" where the problem asks for a lot. Expected plans derived by hand."""

from __future__ import annotations

import pytest
from builders import M, bought, chip, solve, solve_error, write_toml


@pytest.fixture
def dusty(problem):
    # 1,050 tokens/s. t.a: 100 tokens/s, 1 M an accelerator, units of 1. t.b: 800 tokens/s a unit of 8
    # accelerators (100 each), 6 M a unit. Options: 11 t.a = 11 M; 2 t.b = 12 M; 1 t.b + 3 t.a = 9 M (best,
    # with 3 t.a as dust); 1 t.b + 8 t.a = 14 M.
    problem["workloads"][0]["tokens_per_day"] = 86400 * 1050.0
    problem["chips"]["custom"].append(chip(id="t.b", unit_size=8, price_per_accel=0.75 * M))
    return problem


def test_without_a_lot_the_plan_tops_up_with_dust(dusty):
    r = solve(dusty)
    assert r.objective == pytest.approx(9 * M, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.a", "t.air"): 3, (2030, "r1", "t.b", "t.air"): 8}


def test_a_lot_of_8_on_the_small_chip_buys_it_alone(dusty):
    # t.a in lots of 8: 1 t.b + 8 t.a = 14 M, 2 t.b = 12 M, 11 t.a = 11 M -> 11 t.a
    dusty["chips"]["min_lot_accelerators"] = {"t.a": 8}
    r = solve(dusty)
    assert r.objective == pytest.approx(11 * M, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.a", "t.air"): 11}


def test_a_lot_for_every_chip_rounds_the_big_unit_up(dusty):
    # "*" = 16: t.a in 16s (16 M), t.b in 2 units (12 M): 2 t.b
    dusty["chips"]["min_lot_accelerators"] = {"*": 16}
    r = solve(dusty)
    assert r.objective == pytest.approx(12 * M, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.b", "t.air"): 16}
    # a chip's own entry wins over "*": t.a in lots of 1, t.b still in lots of 16 (2 units): 11 t.a = 11 M
    dusty["chips"]["min_lot_accelerators"] = {"*": 16, "t.a": 1}
    r = solve(dusty)
    assert r.objective == pytest.approx(11 * M, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.a", "t.air"): 11}


def test_a_lot_beyond_what_the_site_can_carry_buys_nothing_there(dusty):
    # r1 carries 0.012 MW (12 accelerators of 1 kW); r2 has room but its energy costs 1 M per accelerator-year.
    # Lots of 16 on both chips: nothing fits in r1, so 2 t.b in r2: 12 M + 16 M of energy
    dusty["regions"][0]["power_mw"] = 0.012
    dusty["regions"][0]["block_mw"] = 0.001
    dusty["regions"].append({"id": "r2", "country": "CN", "power_mw": 100, "block_mw": 1,
                             "facility_capex_per_mw": 0, "power_price_per_kwh": 1000000 / 8760})
    dusty["chips"]["min_lot_accelerators"] = {"*": 16}
    r = solve(dusty)
    assert r.objective == pytest.approx(28 * M, rel=1e-9)
    assert bought(r) == {(2030, "r2", "t.b", "t.air"): 16}


def test_invariant_a_larger_lot_never_lowers_the_cost(dusty):
    costs = []
    for lot in (1, 2, 4, 8, 16, 24):
        dusty["chips"]["min_lot_accelerators"] = {"*": lot}
        costs.append(solve(dusty).objective)
    assert costs == sorted(costs), costs


@pytest.mark.parametrize(("lots", "needle"), [
    ({"t.zz": 8}, 'chips.min_lot_accelerators."t.zz"'),
    ({"t.a": 0}, "min_lot_accelerators"),
    ({"t.a": 2.5}, "min_lot_accelerators"),
])
def test_a_bad_lot_is_one_line_with_exit_2(problem, tmp_path, capsys, lots, needle):
    problem["chips"]["min_lot_accelerators"] = lots
    path = write_toml(tmp_path, problem)
    line = solve_error(path, capsys)
    assert path in line and needle in line, line


def test_a_rental_start_is_held_to_the_chip_s_lot():
    # 1,050 tokens/s for 2030 (11 accelerators of 100 tokens/s), no discounting. t.b: servers of 8 at 0.8 M an
    # accelerator, 4-year life, so a one-year plan loses 0.2 M an accelerator (1.6 M a server). t.a: rented
    # at 30 CNY/h (262,800 a year; bought it would cost 10 M). Without a lot: 1 server + 3 rented = 2.3884 M.
    # Rentals of t.a in lots of 8: 1 server + 8 rented = 3.7024 M, 2 servers = 3.2 M, 11 rented = 2.8908 M.
    # In lots of 16: 16 rented = 4.2048 M, so 2 servers = 3.2 M.
    from builders import base_problem
    from test_rentals import offer, rented

    p = base_problem()
    p["workloads"][0]["tokens_per_day"] = 86400 * 1050.0
    p["chips"]["custom"][0]["price_per_accel"] = 10 * M
    p["chips"]["custom"].append(chip(id="t.b", unit_size=8, price_per_accel=0.8 * M, lifetime_years=4))
    p["rentals"] = [offer(30.0)]
    r = solve(p)
    assert r.objective == pytest.approx(1.6 * M + 3 * 30.0 * 8760, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.b", "t.air"): 8} and rented(r) == {(2030, "rented:cloud"): 3}
    p["chips"]["min_lot_accelerators"] = {"t.a": 8}
    r = solve(p)
    assert r.objective == pytest.approx(11 * 30.0 * 8760, rel=1e-9)
    assert bought(r) == {} and rented(r) == {(2030, "rented:cloud"): 11}
    p["chips"]["min_lot_accelerators"] = {"t.a": 16}
    r = solve(p)
    assert r.objective == pytest.approx(3.2 * M, rel=1e-9)
    assert bought(r) == {(2030, "r1", "t.b", "t.air"): 16} and rented(r) == {}
    # an offer with a cap below the lot cannot start at all
    p["rentals"] = [offer(30.0, max_accelerators=12)]
    assert solve(p).objective == pytest.approx(3.2 * M, rel=1e-9)
    p["chips"]["min_lot_accelerators"] = {"t.a": 8}
    assert solve(p).objective == pytest.approx(11 * 30.0 * 8760, rel=1e-9)
