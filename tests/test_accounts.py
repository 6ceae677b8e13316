"""The money and use tables (issue 12, item 1): per plan row and per period they add up to the objective,
each figure checked by hand on small problems; site power and HBM against their caps; what each rule did;
in the JSON and in --out as tidy CSV and Parquet tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from builders import M, base_problem, chip, solve, write_toml
from test_rules import foreign, problem_with, rule
from test_subsidies import subsidised_problem

import tokenplan


def reconciles(r) -> None:
    """The present values of the period table (cash out of every period, the salvage, other rule terms) sum
    to the objective."""
    assert r.costs_by_period["cash_out_pv"].sum() == pytest.approx(r.objective, rel=1e-9, abs=1e-6)


def test_costs_by_period_by_hand():
    # two periods (2030, 2031, one year each), 8% a year. 2030: ten t.a (1 M each, life 5, 1 kW, PUE 1) for
    # 1,000 tokens/s; 2031: 2,000 tokens/s, ten more. Power 0.5 CNY/kWh at load 1: 8,760 kWh x 0.5 = 4,380
    # CNY per accelerator-year; no maintenance, facility free.
    p = base_problem()
    p["problem"].update(periods=[2030, 2031], discount_rate=0.08)
    p["workloads"][0]["tokens_per_day"] = {2030: 86400 * 1000.0, 2031: 86400 * 2000.0}
    p["chips"]["custom"][0]["lifetime_years"] = 5
    p["regions"][0]["power_price_per_kwh"] = 0.5
    r = solve(p)
    cbp = r.costs_by_period
    y30, y31, end = (cbp.iloc[i] for i in range(3))
    assert (y30.period, y31.period, end.period) == (2030, 2031, "salvage")
    assert y30.capex_accelerators == pytest.approx(10 * M) and y31.capex_accelerators == pytest.approx(10 * M)
    assert y30.opex == pytest.approx(10 * 4380) and y31.opex == pytest.approx(20 * 4380)
    assert y31.cash_out == pytest.approx(10 * M + 20 * 4380)
    assert y31.cash_out_pv == pytest.approx((10 * M + 20 * 4380) / 1.08)
    # salvage at 2032: the 2030 buys keep 3/5 of their value, the 2031 buys 4/5
    assert end.cash_out == pytest.approx(-(0.6 + 0.8) * 10 * M)
    assert end.cash_out_pv == pytest.approx(-(0.6 + 0.8) * 10 * M / 1.08 ** 2)
    reconciles(r)
    # the plan's money per row: capex of the units bought there, opex per year of the accelerators in service
    plan = r.plan.set_index("period")
    assert plan.loc[2030, "capex_accelerators"] == pytest.approx(10 * M)
    assert plan.loc[2031, "opex_per_year"] == pytest.approx(20 * 4380)
    assert r.plan["capex_accelerators"].sum() == pytest.approx(cbp["capex_accelerators"].sum())


def test_a_subsidy_is_in_the_plan_row_and_the_period_and_everything_reconciles():
    r = solve(subsidised_problem())
    assert r.plan["subsidy"].sum() == pytest.approx(5 * M)  # (40% + 10%) of 10 M, see test_subsidies
    assert r.costs_by_period.iloc[0]["subsidies"] == pytest.approx(5 * M)
    reconciles(r)
    actions = r.rule_actions
    taken = actions[actions.action == "subsidy taken"]
    assert taken[["rule", "region", "period"]].values.tolist() == [["cn.national_ai_city", "r1", 2030]]
    assert taken["amount"].iloc[0] == pytest.approx(5 * M)


def test_a_licence_fee_is_capex_and_a_rule_action():
    lic = foreign(id="t.lic", tflops={"fp8": 1000.0}, price_per_accel=7 * M)  # TPP 8,000: needs a licence
    r = solve(rule(problem_with(lic), "cn.export_controls", allow=["t.lic"], fee={"t.lic": 0.25},
                   licensed_from={}))
    row = r.plan[r.plan.chip == "t.lic"].iloc[0]
    assert row.capex_accelerators == pytest.approx(8.75 * M) and row.licence_fees == pytest.approx(1.75 * M)
    assert r.costs_by_period.iloc[0]["licence_fees"] == pytest.approx(1.75 * M)
    fee = r.rule_actions[r.rule_actions.action == "licence fee"].iloc[0]
    assert (fee.rule, fee.chip, fee.amount) == ("cn.export_controls", "t.lic", pytest.approx(1.75 * M))
    reconciles(r)


def test_bans_are_rule_actions_with_their_reason():
    big = foreign(id="t.big", tflops={"fp8": 1000.0})  # TPP 8,000, no licence
    r = solve(problem_with(big))
    bans = r.rule_actions[r.rule_actions.action == "ban"]
    assert bans[["rule", "chip", "region", "note"]].values.tolist() == [
        ["cn.export_controls", "t.big", "r1", "TPP 8,000 >= 4,800, no licence"]]


def test_a_power_discount_is_a_subsidy_over_the_period():
    q = problem_with(foreign(price_per_accel=8000.0), tags=["cn-power-discount"], power_price_per_kwh=0.5)
    q["chips"]["custom"][0]["price_per_accel"] = 10000.0
    r = solve(q)  # the discount halves the 43,800 CNY bill (test_rules)
    assert r.costs_by_period.iloc[0]["subsidies"] == pytest.approx(21_900)
    assert r.plan["subsidy"].sum() == 0.0  # not a capex subsidy: in the period table, not in the plan rows
    reconciles(r)
    took = r.rule_actions[r.rule_actions.action == "power discount taken"]
    assert took["amount"].tolist() == [pytest.approx(21_900)]


def test_sites_against_the_grid_cap_and_the_built_capacity():
    p = base_problem()
    p["regions"][0].update(power_mw=0.02, block_mw=0.004, existing_mw=0.002,  # 10 kW of IT load needed
                           facility_capex_per_mw=1 * M)  # (free blocks would be built beyond the need)
    r = solve(p)
    (site,) = r.sites.to_dict(orient="records")
    assert site["facility_mw"] == pytest.approx(0.010) and site["grid_cap_mw"] == pytest.approx(0.02)
    assert site["blocks_built"] == 2 and site["built_mw"] == pytest.approx(0.010)  # 2 kW existing + 2 blocks of 4 kW
    assert site["facility_share_of_cap"] == pytest.approx(0.5)
    assert site["facility_share_of_built"] == pytest.approx(1.0)


def test_hbm_use_against_the_supply():
    p = base_problem()
    p["hbm"] = {"unit": "stacks", "supply": {"p1": 100}}
    r = solve(p)
    (row,) = r.hbm.to_dict(orient="records")
    assert row == {"pool": "p1", "period": 2030, "used": 80.0, "supply": 100.0, "unit": "stacks",
                   "share_of_supply": pytest.approx(0.8)}


def test_shipped_problem_reconciles_and_sites_hold_their_caps():
    r = tokenplan.solve(tokenplan.load("problems/quickstart.toml"))
    reconciles(r)
    assert (r.sites["facility_mw"] <= r.sites["grid_cap_mw"] + 1e-9).all()
    assert (r.sites["facility_mw"] <= r.sites["built_mw"] + 1e-6).all()


def test_the_tables_are_in_the_json_and_in_out(tmp_path, capsys):
    from test_cli import run_cli

    path = write_toml(tmp_path, subsidised_problem())
    code, out, _ = run_cli(capsys, "solve", path, "--json", "--out", str(tmp_path / "out"))
    assert code == 0
    doc = json.loads(out)
    assert set(doc["tables"]) == {"costs_by_period", "sites", "hbm", "rules"}
    assert doc["tables"]["costs_by_period"][-1]["period"] == "salvage"
    assert {"capex_accelerators", "subsidy", "opex_per_year"} <= set(doc["plan"][0])
    for name in ("costs_by_period", "sites", "hbm", "rules"):
        csv = pd.read_csv(tmp_path / "out" / f"{name}.csv")
        parquet = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert len(csv) == len(parquet) == len(doc["tables"][name]), name
    assert "tables" not in json.loads((tmp_path / "out" / "kpis.json").read_text())


def test_an_unsolved_result_has_empty_tables_with_their_columns():
    p = base_problem()
    p["chips"]["custom"] = [chip(year_available=2031)]
    r = solve(p)
    assert r.status == "infeasible"
    assert list(r.costs_by_period.columns)[:2] == ["period", "capex_accelerators"] and r.costs_by_period.empty
    assert r.to_dict()["tables"] == {"costs_by_period": [], "sites": [], "hbm": [], "rules": []}
