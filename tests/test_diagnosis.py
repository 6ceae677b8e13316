"""Diagnoses a planner can act on (issue 11, items 3 and 4): each pre-solve check names its cause with its
numbers and a fix, the console prints one line per cause, and a time-limited elastic diagnosis says that it
is partial."""

from __future__ import annotations

import dataclasses

import pytest
from builders import M, base_problem, chip, cooling, solve, write_toml

import tokenplan
from tokenplan.errors import ExitCode


def causes(problem: dict, **kwargs) -> list[dict]:
    r = solve(problem, **kwargs)
    assert r.status == "infeasible", r.status
    return r.diagnosis["causes"]


def only(problem: dict) -> dict:
    found = causes(problem)
    assert len(found) == 1, found
    return found[0]


def test_no_chip_on_sale_in_a_year_names_the_chips_and_their_years():
    p = base_problem()
    p["problem"]["periods"] = [2024, 2030]
    p["chips"]["custom"] = [chip(year_available=2025), chip(id="t.b", year_available=2026),
                            chip(id="t.old", year_available=2010, year_last=2020)]
    c = only(p)
    assert c["family"] == "availability"
    assert c["message"] == ("workload 'w': no allowed chip is available in 2024: t.a from 2025, t.b from 2026, "
                            "t.old until 2020; 1,000 tokens/s of demand unserved")
    assert c["where"] == {"workload": "w", "period": 2024} and c["amount"] == pytest.approx(1000.0)
    assert "problem.periods" in c["fix"]


def test_a_rack_denser_than_every_cooling_names_the_rack_and_the_limits():
    p = base_problem()
    p["coolings"]["custom"].append(cooling(id="t.plate", max_rack_kw=120))
    p["chips"]["custom"] = [chip(rack_kw=140, cooling=["t.air", "t.plate"])]
    c = only(p)
    assert c["family"] == "rack_density"
    assert c["message"] == ("workload 'w' in 2030: rack density above every cooling's limit: t.a's rack of 140 kW "
                            "exceeds t.air 100 kW, t.plate 120 kW; 1,000 tokens/s of demand unserved")
    assert "coolings.allow" in c["fix"]


def test_a_pue_cap_below_every_cooling_shows_the_pue_with_the_climate_factor():
    p = base_problem()
    p["coolings"]["custom"] = [cooling(pue=1.5)]
    p["regions"][0].update(pue_cap=1.3, pue_factor=1.1)
    c = only(p)
    assert c["family"] == "pue_cap"
    assert c["message"] == ("workload 'w' in 2030: the PUE cap 1.3 of r1 is below every cooling its chips can "
                            "use: t.a (t.air 1.5 x 1.1 = 1.65); 1,000 tokens/s of demand unserved")
    assert "pue_cap" in c["fix"]


def test_a_chip_that_supports_no_allowed_cooling():
    p = base_problem()
    p["coolings"]["custom"].append(cooling(id="t.liquid"))
    p["coolings"]["deny"] = ["t.liquid"]
    p["chips"]["custom"] = [chip(cooling=["t.liquid"])]
    c = only(p)
    assert c["family"] == "cooling"
    assert c["message"] == ("workload 'w' in 2030: no allowed cooling fits its chips: t.a supports t.liquid "
                            "(allowed: t.air); 1,000 tokens/s of demand unserved")


def test_a_rule_that_bans_every_chip_names_the_rule_the_chips_and_its_reasons():
    p = base_problem()
    p["chips"]["custom"] = [chip(id="t.big", origin="US", tflops={"fp8": 2000.0}),
                            chip(id="t.x", origin="US", tflops={"fp8": 3000.0})]
    p["regions"].append(dict(p["regions"][0], id="r2"))
    c = only(p)
    assert c["family"] == "rule:cn.export_controls"
    assert c["message"] == ("workload 'w' in 2030: cn.export_controls bans t.big (TPP 16,000 >= 4,800, no "
                            "licence), t.x (TPP 24,000 >= 4,800, no licence) in r1, r2; 1,000 tokens/s of demand "
                            "unserved")
    assert 'rules."cn.export_controls"' in c["fix"]


def test_mixed_causes_are_one_line_each():
    # one chip not on sale yet, the other banned: both causes, so the planner sees both ways out
    p = base_problem()
    p["chips"]["custom"] = [chip(year_available=2031), chip(id="t.big", origin="US", tflops={"fp8": 2000.0})]
    assert [c["family"] for c in causes(p)] == ["availability", "rule:cn.export_controls"]


def test_a_chip_without_throughput_on_the_workload():
    p = base_problem()
    p["chips"]["custom"] = [chip(tflops={"fp4": 100.0})]  # the workload runs in fp8: an fp4-only chip cannot
    c = only(p)
    assert c["family"] == "throughput"
    assert c["message"] == ("workload 'w' in 2030: no allowed chip has throughput on it (t.a); 1,000 tokens/s of "
                            "demand unserved")


@pytest.mark.parametrize(("change", "family", "amount", "unit"), [
    (lambda p: p["regions"][0].update(power_mw=0.006, block_mw=0.001), "power_cap", 0.004, "MW"),
    (lambda p: p.update(hbm={"unit": "stacks", "supply": {"p1": 40}}), "hbm", 40.0, "HBM stacks"),
    (lambda p: p.update(budget={"capex_per_period": 3 * M}), "budget", 7 * M, "CNY"),
])
def test_capacity_bounds_with_the_best_chip(change, family, amount, unit):
    p = base_problem()
    change(p)
    c = only(p)
    assert (c["family"], c["constraint"], c["unit"]) == (family, family, unit)
    assert c["amount"] == pytest.approx(amount)
    assert c["fix"].startswith("raise ")


def test_delivery_caps_that_cannot_carry_the_demand():
    p = base_problem()
    p["chips"]["supply_accelerators"] = {"t.a": 5}
    c = only(p)
    assert c["family"] == "chip_supply" and c["amount"] == pytest.approx(500.0)
    assert c["message"] == ("workload 'w' in 2030 needs 1,000 tokens/s; every accelerator the supply caps deliver "
                            "up to 2030 serves 500")


def test_hbm_bound_counts_the_supply_of_earlier_periods_and_ignores_pools_without_a_cap():
    # 2029 buys under 40 stacks, 2030 under 40 more: the 80 stacks 2030 needs fit (no pre-solve finding)
    p = base_problem()
    p["problem"]["periods"] = [2029, 2030]
    p["chips"]["custom"] = [chip(lifetime_years=5)]
    p["workloads"][0]["tokens_per_day"] = {2029: 86400 * 500.0, 2030: 86400 * 1000.0}
    p["hbm"] = {"unit": "stacks", "supply": {"p1": {2029: 40, 2030: 40}}}
    r = solve(p)
    assert r.status == "optimal"
    # and a second chip on a pool without a cap makes the HBM bound zero
    p["hbm"]["supply"]["p1"] = {2029: 0, 2030: 0}
    p["chips"]["custom"].append(chip(id="t.free", hbm_pool="p2", price_per_accel=2 * M, lifetime_years=5))
    assert solve(p).status == "optimal"


def test_a_feasible_problem_has_no_precheck_finding():
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.diagnose import precheck

    for path in ("problems/quickstart.toml", "problems/cn-2030.toml", "problems/seed-2027.toml"):
        assert precheck(compute(select(tokenplan.load(path)))) is None, path


def test_the_console_prints_one_line_per_cause_with_a_fix_and_the_warnings(tmp_path, capsys):
    from test_cli import run_cli

    p = base_problem()
    p["problem"]["periods"] = [2024, 2030]
    p["chips"]["custom"] = [chip(year_available=2025), chip(id="t.big", origin="US", tflops={"fp8": 2000.0})]
    code, out, _ = run_cli(capsys, "solve", write_toml(tmp_path, p))
    assert code == ExitCode.INFEASIBLE
    lines = out.splitlines()
    start = lines.index("diagnosis (before solving):")
    assert lines[start + 1:start + 5] == [
        "  - workload 'w': no allowed chip is available in 2024: t.a from 2025; 1,000 tokens/s of demand unserved",
        "    to fix: allow a chip on sale that year (chips.allow), or move the periods (problem.periods)",
        "  - workload 'w' in 2024: cn.export_controls bans t.big: TPP 16,000 >= 4,800, no licence in r1; 1,000 "
        "tokens/s of demand unserved",
        "    to fix: change the rule's parameters (rules.\"cn.export_controls\"), or allow a chip it does not ban"]


def test_a_time_limited_elastic_diagnosis_says_it_is_partial(monkeypatch):
    # Two chips whose caps bind only together, so the elastic re-solves run; the solver is made to report
    # each as stopped at its limit (with its plan): the diagnosis must say partial and how to get the rest.
    import tokenplan.diagnose.relaxed as el

    real = el.run

    def stopped(model, options):
        return dataclasses.replace(real(model, options), status="time_limit")

    monkeypatch.setattr(el, "run", stopped)
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", tdp_w=2000, hbm_stacks=2))
    p["regions"][0].update(power_mw=0.015, block_mw=0.001)
    p["hbm"] = {"supply": {"p1": 40}}
    d = solve(p).diagnosis
    assert d["method"] == "elastic" and d["partial"] is True
    assert "not proved least" in d["partial_note"] and "--time-limit" in d["partial_note"]
    assert d["summary"].endswith(d["partial_note"] + "]")
    monkeypatch.setattr(el, "run", real)
    d = solve(p).diagnosis
    assert d["partial"] is False and "partial" not in d["summary"]


def test_the_iis_is_a_second_opinion_mapped_to_families(tmp_path, capsys):
    # the caps that bind only together: HiGHS's IIS holds the demand row, the HBM row and the grid (cooling) row
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", tdp_w=2000, hbm_stacks=2))
    p["regions"][0].update(power_mw=0.015, block_mw=0.001)
    p["hbm"] = {"supply": {"p1": 40}}
    conflict = solve(p).diagnosis["iis"]
    assert conflict["found"] is True and conflict["method"] == "HiGHS IIS"
    assert {"demand", "hbm", "cooling"} <= set(conflict["families"])
    hbm = next(r for r in conflict["rows"] if r["family"] == "hbm")
    assert hbm == {"family": "hbm", "where": {"pool": "p1", "period": 2030}, "key": "hbm.supply.p1"}
    from test_cli import run_cli

    code, out, _ = run_cli(capsys, "solve", write_toml(tmp_path, p))
    assert code == ExitCode.INFEASIBLE
    assert "second opinion (HiGHS IIS): 5 rows conflict: demand (workload w, period 2030)" in out


def test_the_iis_of_a_model_compiled_here_holds_the_rows_of_the_conflict():
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.diagnose import iis
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions

    p = base_problem()
    p["hbm"] = {"supply": {"p1": 40}}
    model = build(compute(select(tokenplan.load(p))))
    found = iis(model, None, SolveOptions(time_limit_s=10))
    assert found["found"] is True and found["families"] == ["assign", "demand", "hbm"]  # assign links serve to buy


def test_the_shipped_infeasible_example_explains_itself_on_one_screen(capsys):
    from test_cli import run_cli

    code, out, _ = run_cli(capsys, "solve", "problems/examples/infeasible-power.toml")
    assert code == ExitCode.INFEASIBLE
    lines = out.splitlines()
    assert lines[:4] == [
        "status: infeasible  (precheck)",
        "diagnosis (before solving):",
        "  - demand 2028 needs at least 52 MW with the most power-efficient chip allowed; all sites together "
        "have 35 MW",
        "    to fix: raise regions' power_mw for 2028 by at least 17 MW in all, or lower the demand"]
    assert len(lines) <= 24


def test_a_rule_row_without_variables_that_cannot_hold_is_infeasible_and_diagnosed():
    # a rule whose row has no variable left (here: a constant 1 <= 0): once a crash in the model compiler
    # (exit 1); now status infeasible, and the elastic model lets the row give, so the diagnosis names it
    from types import SimpleNamespace

    from tokenplan import Rule, RuleParams, hookimpl
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginHost
    from tokenplan.model import Family, Row

    class Never(Rule):
        id = "test.never"
        Params = RuleParams

        def apply(self, ctx):
            ctx.add_family(Family(name="test_never", index=("period",), sense="<=", unit="units", per="unit",
                                  rows=lambda ctx: {2030: Row(1.0, 0.0)}, doc="1 <= 0", elastic="cap"))

    catalog = Catalog(PluginHost(plugins=[("test-never", SimpleNamespace(tokenplan_rules=hookimpl(lambda: [Never])))]))
    r = tokenplan.solve(tokenplan.load(base_problem()), catalog=catalog)
    assert r.status == "infeasible" and "a row without variables cannot hold" in r.termination
    d = r.diagnosis
    assert d["method"] == "elastic"
    assert [s["constraint"] for s in d["shortfalls"]] == ["test_never"]
    assert d["shortfalls"][0]["amount"] == pytest.approx(1.0)
    assert d["iis"]["found"] is False


def test_a_plugin_check_through_tokenplan_validate_is_a_cause_of_the_diagnosis(tmp_path, capsys):
    # tokenplan_validate's "infeasible: ..." messages: a pre-solve cause (family plugin:NAME), on the
    # console and in the JSON diagnosis; "error: ..." stays bad input (exit 2), the rest warnings
    from types import SimpleNamespace

    from tokenplan import hookimpl
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginHost

    said: list[str] = []
    checker = SimpleNamespace(tokenplan_validate=hookimpl(lambda problem, catalog: list(said)))
    catalog = Catalog(PluginHost(plugins=[("grid-check", checker)]))
    said[:] = ["infeasible: the utility grants r1 no connection before 2031 (queue position 412)", "just so"]
    r = tokenplan.solve(tokenplan.load(base_problem()), catalog=catalog)
    assert r.status == "infeasible" and r.diagnosis["method"] == "precheck"
    (cause,) = r.diagnosis["causes"]
    assert cause["family"] == "plugin:grid-check"
    assert cause["message"] == "grid-check: the utility grants r1 no connection before 2031 (queue position 412)"
    assert "--disable-plugin grid-check" in cause["fix"]
    assert "grid-check: just so" in r.warnings
    said[:] = ["just so"]
    assert tokenplan.solve(tokenplan.load(base_problem()), catalog=catalog).status == "optimal"
