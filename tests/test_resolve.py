"""Fast re-solves (issue 10, item 3): a change that only core families read patches the resident model, and
the patched matrix is the one a rebuild compiles; anything else is a rebuild that says why."""

from __future__ import annotations

import numpy as np
import pytest
from builders import M, base_problem, chip

import tokenplan
from tokenplan.catalog import select
from tokenplan.coefficients import compute
from tokenplan.matrix import compile_matrix
from tokenplan.model import build
from tokenplan.resolve import Resolver


def _problem() -> dict:
    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 1500.0}
    p["chips"]["custom"].append(chip(id="t.b", origin="US", price_per_accel=0.6 * M, hbm_pool="p2"))
    p["hbm"] = {"supply": {"p2": {"2030": 40.0, "2031": 80.0}}}
    p["budget"] = {"capex_per_period": {"2030": 100 * M, "2031": 100 * M}}
    return p


def _fresh_lp(problem) -> dict:
    return compile_matrix(build(compute(select(problem)))).lp


def test_the_read_map_names_who_reads_each_coefficient():
    model = build(compute(select(tokenplan.load(_problem()))), record=True)
    reads = model.tp_ctx.reads
    assert reads.readers("hbm_supply") == {"family:hbm"}
    assert reads.readers("demand_tps") == {"family:demand"}
    assert reads.readers("budget") == {"family:budget"}
    assert "shared" in reads.readers("costs")  # the cost terms: a price change is a rebuild


@pytest.mark.parametrize("override", [
    "hbm.supply.p2={scale=0.5}",                       # right-hand sides of hbm
    "workloads.w.tokens_per_day={scale=1.7}",           # demand, and its row scale
    "budget.capex_per_period.2031=3e7",                 # budget (the cap binds)
])
def test_a_patch_gives_the_matrix_and_the_plan_of_a_rebuild(override):
    res = Resolver()
    base = res.solve(tokenplan.load(_problem()))
    assert not res.last.patched and base.status == "optimal"
    problem = tokenplan.load(_problem(), [override])
    patched = res.solve(problem)
    assert res.last.patched, res.last.reason
    fresh = _fresh_lp(problem)
    for key in ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_start", "a_index", "a_value"):
        assert np.array_equal(patched.matrix.lp[key], fresh[key]), key  # bit for bit: runs must agree
    direct = tokenplan.solve(problem)
    assert patched.objective == pytest.approx(direct.objective, rel=1e-9)
    assert patched.plan.equals(direct.plan)
    assert patched.kpis == pytest.approx(direct.kpis, rel=1e-9)


@pytest.mark.parametrize("override, how", [
    ("hbm.supply.p2={scale=0.5}", "right-hand sides of hbm set"),        # the row scale stays: bounds alone
    ("budget.capex_per_period.2031=3e7", "right-hand sides of budget set"),
    ("workloads.w.tokens_per_day={scale=1.01}", "right-hand sides of demand set"),
    ("hbm.supply.p2={scale=50}", "rows of hbm remade"),                  # a new row scale: coefficients change
])
def test_a_change_of_right_hand_sides_alone_sets_bounds_and_matches_a_rebuild(override, how):
    res = Resolver()
    res.solve(tokenplan.load(_problem()))
    model = res._resident[1]
    problem = tokenplan.load(_problem(), [override])
    patched = res.solve(problem)
    assert res.last.patched and how in res.last.reason, res.last.reason
    assert patched.model is model  # the resident model, not a new one
    fresh = _fresh_lp(problem)
    for key in ("row_lower", "row_upper", "a_value", "a_index"):
        assert np.array_equal(patched.matrix.lp[key], fresh[key]), key
    assert patched.objective == pytest.approx(tokenplan.solve(problem).objective, rel=1e-9)


@pytest.mark.parametrize("override, reason", [
    ("chips.custom.t.b.price_per_accel=9e5", "the chips changed (t.b)"),   # a chip's record
    ("chips.deny=['t.b']", "allowed or banned: t.b"),                      # a chip banned: other sets
    ("regions.r1.power_price_per_kwh=0.1", "the regions changed (r1)"),
    ("problem.discount_rate=0.05", "read it"),
])
def test_anything_else_is_a_rebuild_that_says_why(override, reason):
    res = Resolver()
    res.solve(tokenplan.load(_problem()))
    problem = tokenplan.load(_problem(), [override])
    result = res.solve(problem)
    assert not res.last.patched and reason in res.last.reason
    assert result.objective == pytest.approx(tokenplan.solve(problem).objective, rel=1e-9)


def test_a_patch_then_a_rebuild_then_a_patch_stay_exact():
    res = Resolver()
    for override in (None, "hbm.supply.p2={scale=0.5}", "problem.discount_rate=0.05", "hbm.supply.p2={scale=2}"):
        problem = tokenplan.load(_problem(), [override] if override else [])
        result = res.solve(problem)
        assert result.objective == pytest.approx(tokenplan.solve(problem).objective, rel=1e-9), override
