"""The system bill (issue 13 item 4): ``price_basis`` says what a chip's price includes and ``bill`` prices (and
powers) the other parts per accelerator; the bill adds only what the basis does not include. Expected plans are
derived by hand from the base problem of tests/builders.py (1,000 tokens/s; t.a 100 tokens/s, 1 kW, 1 M)."""

from __future__ import annotations

import pytest
from builders import M, by_chip, chip, solve, solve_error, write_toml

from tokenplan.records import Chip

REL = 1e-9


@pytest.fixture
def two(problem):
    # t.a priced per bare accelerator (1 M, 100 tokens/s: 10 M for all); t.b priced per rack system (2.8 M,
    # 250 tokens/s: 4 x 2.8 = 11.2 M for all). Without a bill t.a is cheaper.
    problem["chips"]["custom"][0]["price_basis"] = "accelerator"
    problem["chips"]["custom"].append(chip(id="t.b", tflops={"fp8": 250.0}, price_per_accel=2.8 * M,
                                           price_basis="system"))
    return problem


def _server(price, w=0.0):
    return {"server": {"price_each": price, "w_each": w}}


def test_without_a_bill_the_price_is_taken_as_it_is(two):
    r = solve(two)
    assert r.objective == pytest.approx(10 * M, rel=REL) and by_chip(r) == {"t.a": 10}


def test_the_bill_adds_only_what_the_basis_leaves_out(two):
    # a server share of 0.5 M per accelerator: t.a (basis accelerator) pays it -> 1.5 M x 10 = 15 M; t.b's
    # system price includes its server -> still 11.2 M: t.b wins
    for c in two["chips"]["custom"]:
        c["bill"] = _server(0.5 * M)
    r = solve(two)
    assert r.objective == pytest.approx(11.2 * M, rel=REL)
    assert by_chip(r) == {"t.b": 4}


def test_optics_are_a_count_times_a_price(two):
    # 4 optical modules at 0.05 M each per accelerator are outside every basis: t.a 1.2 M x 10 = 12 M, t.b
    # 3.0 M x 4 = 12 M; one more module on t.a only (5 x 0.05) breaks the tie for t.b: 12.5 M > 12 M
    two["chips"]["custom"][0]["bill"] = {"optics": {"count_per_accel": 5, "price_each": 0.05 * M}}
    two["chips"]["custom"][1]["bill"] = {"optics": {"count_per_accel": 4, "price_each": 0.05 * M}}
    r = solve(two)
    assert r.objective == pytest.approx(12 * M, rel=REL)
    assert by_chip(r) == {"t.b": 4}


def test_the_bill_draws_power(two):
    # grid cap 12 kW: 10 t.a draw 10 kW and fit. A scale-out line of 500 W per accelerator on both: t.a needs
    # 10 x 1.5 = 15 kW (does not fit; 8 a = 12 kW serve only 800 tokens/s), t.b 4 x 1.5 = 6 kW: the plan must
    # take t.b: 4 b (11.2 M), or 1 b + 7 a (250 + 700 < 1,000: no), 2 b + 5 a (500 + 500, 3 + 7.5 = 10.5 kW,
    # 5.6 + 5 = 10.6 M) -> 2 b + 5 a is the cheapest that fits
    two["regions"][0].update(power_mw=0.012, block_mw=0.001)
    assert solve(two).objective == pytest.approx(10 * M, rel=REL)
    for c in two["chips"]["custom"]:
        c["bill"] = {"scale_out": {"w_each": 500.0}}
    r = solve(two)
    assert r.objective == pytest.approx(10.6 * M, rel=REL)
    assert by_chip(r) == {"t.a": 5, "t.b": 2}


def test_bill_figures_per_accelerator():
    c = Chip.model_validate(chip(price_basis="server", bill={
        "server": {"price_each": 9000}, "scale_up": {"price_each": 1}, "scale_out": {"price_each": 2000, "w_each": 30},
        "optics": {"count_per_accel": 2, "price_each": 500, "w_each": 15}, "storage": {"price_each": 700}}))
    assert c.bill_added() == ["scale_out", "optics", "storage"]
    assert c.bill_price_per_accel == 2000 + 2 * 500 + 700
    assert c.bill_w_per_accel == 30 + 2 * 15
    assert c.it_kw_per_accel == pytest.approx((1000 + 60) / 1000)


def test_a_dearer_bill_never_lowers_the_cost(two):
    costs = []
    for price in (0, 0.1, 0.2, 0.4, 0.8):
        two["chips"]["custom"][0]["bill"] = {"storage": {"price_each": price * M}}
        costs.append(solve(two).objective)
    assert costs == sorted(costs)
    assert costs[0] == pytest.approx(10 * M) and costs[-1] == pytest.approx(11.2 * M)


@pytest.mark.parametrize(("bill", "basis", "expect"), [
    ({"network": {"price_each": 1}}, "accelerator", "unknown bill part 'network'"),
    ({"server": {"price_each": -1}}, "accelerator", "price_each"),
    ({"server": {"price_each": 1, "typo": 1}}, "accelerator", "typo"),
    ({"server": {"price_each": 1}}, None, "a bill needs price_basis"),
    ({}, "rack", "price_basis"),
])
def test_bad_bills_are_one_line_with_exit_2(problem, tmp_path, capsys, bill, basis, expect):
    c = problem["chips"]["custom"][0]
    c["bill"] = bill
    if basis is not None:
        c["price_basis"] = basis
    path = write_toml(tmp_path, problem)
    line = solve_error(path, capsys)
    assert path in line and "chips.custom" in line and expect in line, line
