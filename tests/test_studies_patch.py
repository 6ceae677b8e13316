"""Fast re-solves of rule parameters (issue 10, item 3): a rule that declares ``patchable`` parameters takes
their change into the resident model (``Rule.refresh``), and the patched matrix is the one a rebuild
compiles, bit for bit; a structural change, or a parameter a rule does not declare, is a rebuild that says
why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import M, base_problem, chip, write_toml

import tokenplan
from tokenplan.catalog import select
from tokenplan.coefficients import compute
from tokenplan.matrix import compile_matrix
from tokenplan.model import build
from tokenplan.resolve import Resolver

AI_CITY = "cn.national_ai_city"
KEYS = ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_start", "a_index", "a_value")


def _problem() -> dict:
    """Two periods, an AI city r1 (domestic t.a, foreign t.b: its domestic-only choice is a binary) and a
    plain site r2; the subsidy decides between the cheaper foreign chip and the subsidised domestic one."""
    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["problem"]["discount_rate"] = 0.05
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 1500.0}
    p["regions"][0]["tags"] = ["cn-ai-city"]
    p["regions"][0].update(power_mw=0.008, block_mw=0.001)  # at most 8 units
    p["regions"].append({**p["regions"][0], "id": "r2", "tags": [], "power_mw": 100, "block_mw": 1})
    p["chips"]["custom"].append(chip(id="t.b", origin="US", price_per_accel=0.7 * M))
    p["rules"] = {AI_CITY: {"rate": 0.4}}
    return p


def _fresh_lp(problem) -> dict:
    return compile_matrix(build(compute(select(problem)))).lp


def _check_exact(result, problem) -> None:
    fresh = _fresh_lp(problem)
    for key in KEYS:
        assert np.array_equal(result.matrix.lp[key], fresh[key]), key  # bit for bit: runs must agree
    direct = tokenplan.solve(problem)
    assert result.status == direct.status == "optimal"
    assert result.objective == pytest.approx(direct.objective, rel=1e-9)
    assert result.plan.equals(direct.plan)
    assert result.kpis == pytest.approx(direct.kpis, rel=1e-9)
    assert result.rules.keys() == direct.rules.keys()
    if AI_CITY in direct.rules:  # the report reads the new parameters
        assert result.rules[AI_CITY] == direct.rules[AI_CITY]


@pytest.mark.parametrize("override", [
    f"rules.{AI_CITY}.rate=0.1",
    f"rules.{AI_CITY}.rate=0.6",
    f"rules.{AI_CITY}.local_topup=0.3",
    f"rules.{AI_CITY}.max_stacked=0.9",
])
def test_a_subsidy_rate_is_a_patch_with_the_matrix_of_a_rebuild(override):
    res = Resolver()
    base = res.solve(tokenplan.load(_problem()))
    assert not res.last.patched and base.status == "optimal"
    problem = tokenplan.load(_problem(), [override])
    patched = res.solve(problem)
    assert res.last.patched, res.last.reason
    assert f"rules.{override.split('=')[0].removeprefix('rules.')}" in res.last.reason
    _check_exact(patched, problem)


def test_the_rate_decides_the_plan_and_patches_follow_it():
    # r1 holds 8 units of 1 kW: at 40 % + 10 % the domestic t.a (1 M, 0.5 M net) beats t.b (0.7 M) there;
    # at 0 % + 10 % it does not. Each step is a patch and each plan is a direct solve's.
    res = Resolver()
    chips_at_r1 = []
    for rate in (0.4, 0.0, 0.4, 0.15):
        problem = tokenplan.load(_problem(), [f"rules.{AI_CITY}.rate={rate}"])
        result = res.solve(problem)
        assert res.last.patched == (rate != 0.4 or bool(chips_at_r1)), res.last.reason
        _check_exact(result, problem)
        plan = result.plan
        chips_at_r1.append(set(plan[(plan.region == "r1") & (plan.accelerators_bought > 0)].chip))
    assert chips_at_r1[0] == {"t.a"} and chips_at_r1[1] == {"t.b"} and chips_at_r1[2] == {"t.a"}


@pytest.mark.parametrize("base, override, reason", [
    # the cap family appears (max_stacked below rate + local_topup)
    ([], f"rules.{AI_CITY}.max_stacked=0.3", "its refresh cannot take them"),
    # a cash cap appears
    ([], f"rules.{AI_CITY}.max_per_site_year=1e6", "its refresh cannot take them"),
    # nothing left to pay: the subsidy's components vanish
    ([f"rules.{AI_CITY}.rate=0.0"], f"rules.{AI_CITY}.local_topup=0.0", "its refresh cannot take them"),
    # not patchable: the sites change
    ([], f"rules.{AI_CITY}.tag='other'", "the parameters of rule cn.national_ai_city changed (tag)"),
    ([], f"rules.{AI_CITY}.domestic_only=false", "changed (domestic_only)"),
])
def test_a_structural_rule_change_is_a_rebuild_that_says_why(base, override, reason):
    res = Resolver()
    res.solve(tokenplan.load(_problem(), base))
    problem = tokenplan.load(_problem(), [*base, override])
    result = res.solve(problem)
    assert not res.last.patched
    assert reason in res.last.reason, res.last.reason
    assert result.objective == pytest.approx(tokenplan.solve(problem).objective, rel=1e-9)
    # and the next patch starts from the rebuilt model, exactly
    again = tokenplan.load(_problem(), [*base, override, "workloads.w.tokens_per_day={scale=1.2}"])
    result = res.solve(again)
    assert res.last.patched, res.last.reason
    _check_exact(result, again)


def test_a_rule_that_declares_nothing_rebuilds():
    from tokenplan.plugins.rules.cn_export_controls import ExportControls

    assert ExportControls.patchable == frozenset()
    res = Resolver()
    res.solve(tokenplan.load(_problem()))
    problem = tokenplan.load(_problem(), ["rules.cn.export_controls.default_fee=0.3"])
    res.solve(problem)
    assert not res.last.patched
    assert "the parameters of rule cn.export_controls changed (default_fee)" in res.last.reason


# -- a study: the same results whichever worker, pool or model path a scenario takes -------------------------
def _subsidy_study(tmp_path: Path) -> str:
    problem = write_toml(tmp_path, _problem())
    lines = ["[study]", 'name = "subsidy"', f'problem = "{Path(problem).name}"',
             "[[vary]]", 'name = "rate"', f'key = \'rules."{AI_CITY}".rate\'', "values = [0.4, 0.0, 0.3]",
             "[[vary]]", 'name = "demand"', 'key = "workloads.w.tokens_per_day"', "scale = [1.0, 1.5]"]
    path = tmp_path / "study.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _exact(a, b) -> None:
    cols = ["id", "status", "objective", *sorted(c for c in set(a.columns) | set(b.columns)
                                                  if c.startswith("accelerators."))]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True), check_exact=True)


def test_one_worker_two_workers_and_dask_give_exactly_the_same_summary(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = _subsidy_study(tmp_path)
    one = tokenplan.study(path, out=tmp_path / "one", workers=1)
    # on one worker, every scenario after the first is a patch (rates and demand along the grid)
    assert sum(1 for r in one.records if r["rebuild"] is False) == 5, [r["model"] for r in one.records]
    assert any("rules.cn.national_ai_city.rate" in r["model"] for r in one.records)
    two = tokenplan.study(path, out=tmp_path / "two", workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        dask = tokenplan.study(path, out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    cold = tokenplan.study(path, out=tmp_path / "cold", workers=2, persistent=False)
    frame = one.summary
    assert set(frame["status"]) == {"optimal"} and frame["objective"].nunique() == 6
    for other in (two, dask, cold):
        _exact(other.summary, frame)
    # each objective is a direct solve's, exactly
    for row in frame.itertuples():
        direct = tokenplan.solve(tokenplan.load(_problem(), [f"rules.{AI_CITY}.rate={row.rate}",
                                                             f"workloads.w.tokens_per_day={{scale={row.demand[1:]}}}"]))
        assert row.objective == direct.objective
