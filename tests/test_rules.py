"""The built-in rule plugins (issue 4): export controls, China's subsidies, the power discount, domestic share.

Every problem is tiny and built with ``builders``: one period (2030), 1,000 tokens/s of demand, chips of 100
tokens/s per accelerator (100 TFLOPS fp8 at 1e12 FLOP/token), 1 kW, free cooling, facility and energy unless a
test says otherwise, discount rate 0, lifetime 1 year (no salvage). So 10 accelerators serve the demand and the
optimum is a few lines of arithmetic, written next to each assertion.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import M, assert_light, base_problem, bought, by_chip, chip, solve
from rich.console import Console

import tokenplan
from tokenplan.catalog import Catalog, select
from tokenplan.coefficients import compute
from tokenplan.errors import InputError
from tokenplan.model import build
from tokenplan.plugins.rules.cn_export_controls import ExportControls, tpp
from tokenplan.report import print_result
from tokenplan.solver import SolveOptions, run

RULES = ("cn.export_controls", "cn.national_ai_city", "cn.hub_node", "cn.domestic_power_discount",
         "policy.domestic_share")


def foreign(**changes: Any) -> dict[str, Any]:
    """A US chip below the export-control threshold (TPP = 100 x 8 = 800 < 4,800): allowed in China."""
    return chip(**{"id": "t.f", "origin": "US", **changes})


def problem_with(*chips: dict[str, Any], tags: list[str] | None = None, **region: Any) -> dict[str, Any]:
    p = base_problem()
    p["chips"]["custom"].extend(chips)
    p["regions"][0]["tags"] = tags or []
    p["regions"][0].update(region)
    return p


def rule(p: dict[str, Any], rule_id: str, **params: Any) -> dict[str, Any]:
    p.setdefault("rules", {}).setdefault(rule_id, {}).update(params)
    return p


# -- registration ------------------------------------------------------------------------------------------
def test_rules_are_plugins_with_sourced_defaults():
    catalog = Catalog()
    rules = catalog.rules()
    assert set(RULES) <= set(rules)
    for rule_id in RULES:
        assert catalog.provider[("rule", rule_id)].startswith("rules."), rule_id
        for name, f in rules[rule_id].Params.model_fields.items():
            if name == "enabled" and rule_id != "policy.domestic_share":
                continue
            assert f.description, (rule_id, name)
            assert (f.json_schema_extra or {}).get("source"), (rule_id, name)
    assert rules["policy.domestic_share"].Params().enabled is False
    assert all(rules[r].Params().enabled for r in RULES[:4])


# -- cn.export_controls -----------------------------------------------------------------------------------
def test_export_controls_classify_the_catalog_by_year():
    chips = {c.id: c for c in Catalog().chips()}
    rule_ = ExportControls()

    def status(chip_id: str, year: int, country: str = "CN") -> tuple[str, float]:
        d = rule_.decide(chips[chip_id], country, year)
        return d.status, d.fee

    assert tpp(chips["nvidia.h20"]) == pytest.approx(296 * 8)  # 2,368 < 4,800
    # H20: below the threshold, free until the Apr-2025 licence requirement, then 15% (Aug-2025)
    assert status("nvidia.h20", 2024) == ("allowed", 0.0)
    assert status("nvidia.h20", 2026) == ("licensed", 0.15)
    # H200: TPP 15,832 -> banned until the Dec-2025 licences, then a 25% fee
    assert status("nvidia.h200", 2025)[0] == "banned"
    assert status("nvidia.h200", 2026) == ("licensed", 0.25)
    for banned in ("nvidia.b200", "nvidia.b300", "nvidia.gb200-nvl72", "nvidia.h100", "amd.mi300x", "intel.gaudi3"):
        assert status(banned, 2030)[0] == "banned", banned
    assert "Blackwell" in rule_.decide(chips["nvidia.b200"], "CN", 2030).reason
    assert status("huawei.ascend-910c", 2030)[0] == "domestic"
    assert status("nvidia.b200", 2030, "US")[0] == "domestic"
    # what-if studies: H200 not licensed; H20 not licensed (a licence is required since 2025)
    only_h20 = ExportControls(ExportControls.Params(allow=["nvidia.h20"]))
    assert only_h20.decide(chips["nvidia.h200"], "CN", 2027).status == "banned"
    none = ExportControls(ExportControls.Params(allow=[]))
    assert none.decide(chips["nvidia.h20"], "CN", 2027).status == "banned"
    assert none.decide(chips["nvidia.h20"], "CN", 2024).status == "allowed"
    # Blackwell licensed in a what-if: lift the family ban and allow it
    open_ = ExportControls(ExportControls.Params(deny_families=[], allow=["nvidia.b200"], fee={"nvidia.b200": 0.5}))
    assert (open_.decide(chips["nvidia.b200"], "CN", 2030).status, open_.decide(chips["nvidia.b200"], "CN", 2030).fee
            ) == ("licensed", 0.5)


BIG = foreign(id="t.big", tflops={"fp8": 1000.0}, price_per_accel=2 * M)  # TPP 8,000 >= 4,800; 1,000 tokens/s


def test_banned_chip_never_appears_in_a_cn_region_but_does_elsewhere():
    p = problem_with(BIG)
    # rule off: one t.big (2 M) beats ten t.a (10 M)
    off = solve(rule(problem_with(BIG), "cn.export_controls", enabled=False))
    assert by_chip(off) == {"t.big": 1} and off.objective == pytest.approx(2 * M)
    # rule on: t.big has no variable in the CN region; ten t.a = 10 M
    r = solve(p)
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(10 * M)
    assert not [k for k in r.model.BUY if k[0] == "t.big"]
    assert r.rules["cn.export_controls"]["banned"] == [
        {"chip": "t.big", "reason": "TPP 8,000 >= 4,800, no licence", "regions": ["r1"], "periods": [2030]}]
    assert r.to_dict()["forbidden"] == [{"chip": "t.big", "region": "r1", "period": None,
                                         "reason": "cn.export_controls: TPP 8,000 >= 4,800, no licence"}]
    # a US site next to the CN one: t.big is bought there (2 M), never in r1
    p["regions"].append({**p["regions"][0], "id": "r2", "country": "US"})
    r = solve(p)
    assert bought(r) == {(2030, "r2", "t.big", "t.air"): 1} and r.objective == pytest.approx(2 * M)
    assert {k[2] for k in r.model.BUY if k[0] == "t.big"} == {"r2"}


def test_licensed_chip_capex_includes_its_fee():
    lic = foreign(id="t.lic", tflops={"fp8": 1000.0}, price_per_accel=7 * M)  # TPP 8,000: needs a licence

    def run(**params: Any) -> Any:
        return solve(rule(problem_with(lic), "cn.export_controls",
                          **{"allow": ["t.lic"], "fee": {"t.lic": 0.25}, "licensed_from": {}, **params}))

    # 7 M x 1.25 = 8.75 M for one t.lic < 10 M for ten t.a
    r = run()
    assert by_chip(r) == {"t.lic": 1} and r.objective == pytest.approx(8.75 * M)
    assert r.cost_terms["accelerator_capex"] == pytest.approx(8.75 * M)
    (row,) = r.rules["cn.export_controls"]["licensed_purchases"]
    assert row["fee_paid"] == pytest.approx(1.75 * M) and row["accelerators_bought"] == 1
    # a 50% fee: 7 x 1.5 = 10.5 M > 10 M -> ten t.a
    r = run(fee={"t.lic": 0.5})
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(10 * M)
    # not named in `fee`: default_fee (0.25) -> 8.75 M again
    assert run(fee={}).objective == pytest.approx(8.75 * M)
    # licensed only from 2031: banned in 2030 -> ten t.a
    assert by_chip(run(licensed_from={"t.lic": 2031})) == {"t.a": 10}
    # maintenance is charged on the capex with the fee: 3% of 8.75 M on top
    p = rule(problem_with(lic), "cn.export_controls", allow=["t.lic"], fee={"t.lic": 0.25}, licensed_from={})
    p["problem"]["maintenance_rate"] = 0.03
    assert solve(p).objective == pytest.approx(8.75 * M * 1.03)


# -- cn.national_ai_city ----------------------------------------------------------------------------------
def test_national_ai_city_subsidy_turns_the_site_domestic():
    p = problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city"])
    # rule off: ten t.f at 0.7 M = 7 M
    off = solve(rule(problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city"]), "cn.national_ai_city",
                     enabled=False))
    assert by_chip(off) == {"t.f": 10} and off.objective == pytest.approx(7 * M)
    # rule on: (40% + 10% local) of ten t.a = 5 M of 10 M -> 5 M < 7 M
    r = solve(p)
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(5 * M)
    assert r.kpis["subsidy"] == pytest.approx(5 * M)
    report = r.rules["cn.national_ai_city"]
    assert report["took"] == ["r1"] and report["sites"]["r1"]["foreign_accelerators_bought"] == 0
    assert report["by_site_period"] == [{
        "region": "r1", "period": 2030, "eligible_capex": pytest.approx(10 * M), "project_capex": pytest.approx(10 * M),
        "subsidy": pytest.approx(5 * M), "subsidy_pv": pytest.approx(5 * M), "share_of_project": pytest.approx(0.5),
        "limited_by": "rate", "clawback_pv": 0.0, "net_subsidy_pv": pytest.approx(5 * M)}]
    assert json.loads(r.to_json())["rules"]["cn.national_ai_city"]["subsidy"] == pytest.approx(5 * M)


@pytest.mark.parametrize(("q", "plan", "objective", "took"), [
    # A (subsidy, domestic only): (6 x 1 + 4 x 1.4) x (1 - 0.5) = 5.8 M  <  B (no subsidy): 10 x 0.6 = 6.0 M
    (1.4, {"t.a": 6, "t.d2": 4}, 5.8, ["r1"]),
    # A: (6 x 1 + 4 x 1.6) x 0.5 = 6.2 M  >  B: 6.0 M -> the site gives up the subsidy
    (1.6, {"t.f": 10}, 6.0, []),
])
def test_mixing_a_foreign_chip_costs_the_subsidy(q, plan, objective, took):
    # t.a (domestic, 1 M) is capped at 6 accelerators; the other 4 come from t.d2 (domestic, q M) or t.f (US, 0.6 M).
    # Without the domestic-only condition the best plan would mix: 6 t.a subsidised (3 M) + 4 t.f (2.4 M) = 5.4 M,
    # since a subsidised t.d2 (0.5 q = 0.7 or 0.8 M) is dearer than t.f (0.6 M).
    p = problem_with(chip(id="t.d2", price_per_accel=q * M), foreign(price_per_accel=0.6 * M), tags=["cn-ai-city"])
    p["chips"]["supply_accelerators"] = {"t.a": 6}
    r = solve(p)
    assert by_chip(r) == plan and r.objective == pytest.approx(objective * M)
    assert r.rules["cn.national_ai_city"]["took"] == took
    # the condition switched off: the mix, 5.4 M, with 3 M of subsidy on the six t.a
    r = solve(rule(p, "cn.national_ai_city", domestic_only=False))
    assert by_chip(r) == {"t.a": 6, "t.f": 4} and r.objective == pytest.approx(5.4 * M)
    assert r.kpis["subsidy"] == pytest.approx(3 * M)


def test_a_subsidised_site_is_domestic_in_every_period():
    # 2030 and 2031, 10 accelerators each year (lifetime 1); the domestic t.a exists only from 2031.
    def two_years(*extra_regions: dict[str, Any]) -> dict[str, Any]:
        p = problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city"])
        p["problem"]["periods"] = [2030, 2031]
        p["chips"]["custom"][0]["year_available"] = 2031
        p["regions"].extend(extra_regions)
        return p

    # one site: 2030 must buy t.f there, so it can never take the subsidy: 7 M + 7 M (t.f beats t.a at 10 M)
    r = solve(two_years())
    assert bought(r) == {(2030, "r1", "t.f", "t.air"): 10, (2031, "r1", "t.f", "t.air"): 10}
    assert r.objective == pytest.approx(14 * M)
    # an untagged second site takes the 2030 foreign chips: r1 stays domestic and gets 50% of 10 M in 2031
    # 7 M + 5 M = 12 M
    p = two_years()
    r = solve(two_years({**p["regions"][0], "id": "r2", "tags": []}))
    assert bought(r) == {(2030, "r2", "t.f", "t.air"): 10, (2031, "r1", "t.a", "t.air"): 10}
    assert r.objective == pytest.approx(12 * M)
    assert r.rules["cn.national_ai_city"]["sites"]["r1"]["subsidy"] == pytest.approx(5 * M)


def test_stacking_cap_binds():
    # ten t.a = 10 M; 10 kW at PUE 1 = 0.01 MW -> one 0.02 MW block at 50 M/MW = 1 M (facility life 1 year: no
    # salvage). Project capex 11 M. Stacked rate 0.4 + 0.4 = 0.8 of 10 M = 8 M; cap 0.7 x 11 M = 7.7 M -> 7.7 M.
    p = problem_with(tags=["cn-ai-city"], facility_capex_per_mw=50e6, block_mw=0.02)
    p["problem"]["facility_lifetime_years"] = 1
    rule(p, "cn.national_ai_city", local_topup=0.4, max_stacked=0.7)
    r = solve(p)
    assert r.objective == pytest.approx(11 * M - 7.7 * M)
    (row,) = r.rules["cn.national_ai_city"]["by_site_period"]
    assert row["limited_by"] == "cap" and row["project_capex"] == pytest.approx(11 * M)
    assert row["subsidy"] == pytest.approx(7.7 * M) and row["share_of_project"] == pytest.approx(0.7)
    # a 75% ceiling (8.25 M) no longer binds: the rate gives 8 M -> 3 M
    r = solve(rule(p, "cn.national_ai_city", max_stacked=0.75))
    assert r.objective == pytest.approx(3 * M)
    assert r.rules["cn.national_ai_city"]["by_site_period"][0]["limited_by"] == "rate"


# -- cn.hub_node --------------------------------------------------------------------------------------------
def test_hub_node_subsidy_and_its_parameters():
    p = problem_with(foreign(price_per_accel=0.95 * M), tags=["cn-hub"])
    # off: ten t.f = 9.5 M
    assert by_chip(tokenplan.solve(tokenplan.load(p, ["rules.cn.hub_node.enabled=false"]))) == {"t.f": 10}
    # on: 10% of the project (ten t.a, 10 M) -> 9 M < 9.5 M
    r = solve(p)
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(9 * M)
    # no domestic-only condition: t.f subsidised too, 0.9 x 9.5 M = 8.55 M < 9 M
    r = tokenplan.solve(tokenplan.load(p, ["rules.cn.hub_node.domestic_only=false"]))
    assert by_chip(r) == {"t.f": 10} and r.objective == pytest.approx(8.55 * M)
    # treasury bonds and local top-ups to the 40% ceiling: 10 M x 0.6 = 6 M
    r = tokenplan.solve(tokenplan.load(p, ["rules.cn.hub_node.local_topup=0.3"]))
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(6 * M)
    assert r.rules["cn.hub_node"]["took"] == ["r1"]


# -- cn.domestic_power_discount -----------------------------------------------------------------------------
def test_power_discount_for_domestic_sites():
    # cheap chips, dear power: 1 kW x 8,760 h x 0.5 CNY/kWh = 4,380 CNY per accelerator-year.
    # t.a 10,000 CNY + 4,380 = 14,380; t.f 8,000 + 4,380 = 12,380; with the discount t.a costs 10,000 + 2,190.
    def p() -> dict[str, Any]:
        q = problem_with(foreign(price_per_accel=8000.0), tags=["cn-power-discount"], power_price_per_kwh=0.5)
        q["chips"]["custom"][0]["price_per_accel"] = 10000.0
        return q

    off = solve(rule(p(), "cn.domestic_power_discount", enabled=False))
    assert by_chip(off) == {"t.f": 10} and off.objective == pytest.approx(123_800)
    r = solve(p())
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(121_900)
    report = r.rules["cn.domestic_power_discount"]
    assert report["took"] == ["r1"] and report["discount_pv"] == pytest.approx(21_900)
    assert report["by_site_period"] == [{"region": "r1", "period": 2030, "energy_pv": pytest.approx(43_800),
                                         "discount_pv": pytest.approx(21_900), "took": True}]
    # 30% off: t.a 10,000 + 3,066 = 13,066 > 12,380 -> the site keeps t.f and pays the full bill
    r = tokenplan.solve(tokenplan.load(p(), ["rules.cn.domestic_power_discount.discount=0.3"]))
    assert by_chip(r) == {"t.f": 10} and r.objective == pytest.approx(123_800)
    assert r.rules["cn.domestic_power_discount"]["took"] == []
    # without the domestic-only condition every site gets it: 80,000 + 21,900
    r = solve(rule(p(), "cn.domestic_power_discount", domestic_only=False))
    assert by_chip(r) == {"t.f": 10} and r.objective == pytest.approx(101_900)


# -- policy.domestic_share ----------------------------------------------------------------------------------
def test_domestic_share_of_accelerators_or_capex():
    p = problem_with(foreign(price_per_accel=0.5 * M))
    # off by default: ten t.f = 5 M
    assert solve(p).objective == pytest.approx(5 * M)
    assert "policy.domestic_share" not in solve(p).rules
    # half the accelerators: 5 t.a + 5 t.f = 7.5 M
    r = solve(rule(p, "policy.domestic_share", enabled=True, share=0.5))
    assert by_chip(r) == {"t.a": 5, "t.f": 5} and r.objective == pytest.approx(7.5 * M)
    assert r.rules["policy.domestic_share"]["accelerator_share"] == pytest.approx(0.5)
    # half the capex: x >= 0.5 (x + 0.5 y) with x + y = 10 -> x >= 3.33: 4 t.a + 6 t.f = 7 M (4/7 = 57%)
    r = solve(rule(p, "policy.domestic_share", measure="capex"))
    assert by_chip(r) == {"t.a": 4, "t.f": 6} and r.objective == pytest.approx(7 * M)


def test_domestic_share_per_period_or_over_the_horizon():
    # 10 accelerators in 2030, 20 in 2031 (lifetime 1), discount rate 10%: domestic units are 0.5 M dearer, so
    # over the horizon they go where they are discounted.
    p = problem_with(foreign(price_per_accel=0.5 * M))
    p["problem"].update(periods=[2030, 2031], discount_rate=0.1)
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 2000.0}
    rule(p, "policy.domestic_share", enabled=True, share=0.5)
    # horizon: 15 of 30 domestic, all in 2031: 2030 ten t.f = 5 M; 2031 (15 + 2.5) / 1.1 = 15.9091 M
    r = solve(p)
    assert bought(r) == {(2030, "r1", "t.f", "t.air"): 10, (2031, "r1", "t.a", "t.air"): 15,
                         (2031, "r1", "t.f", "t.air"): 5}
    assert r.objective == pytest.approx(5 * M + 17.5 * M / 1.1)
    # per period: 5 + 5 in 2030 = 7.5 M; 10 + 10 in 2031 = 15 / 1.1 M
    r = solve(rule(p, "policy.domestic_share", scope="period"))
    assert r.objective == pytest.approx(7.5 * M + 15 * M / 1.1)
    assert [row["accelerator_share"] for row in r.rules["policy.domestic_share"]["by_period"]] == [0.5, 0.5]


# -- switches, overrides, reports ---------------------------------------------------------------------------
@pytest.mark.parametrize("rule_id", RULES)
def test_every_rule_switches_from_the_problem_and_from_overrides(rule_id):
    def active(problem: Any) -> bool:
        return rule_id in {r.id for r in select(problem).rules}

    default_on = rule_id != "policy.domestic_share"
    p = base_problem()
    assert active(tokenplan.load(p)) is default_on
    assert active(tokenplan.load(p, [f"rules.{rule_id}.enabled={str(not default_on).lower()}"])) is not default_on
    p["rules"] = {rule_id: {"enabled": not default_on}}
    assert active(tokenplan.load(p)) is not default_on
    with pytest.raises(InputError, match="unknown parameter"):
        select(tokenplan.load(base_problem(), [f"rules.{rule_id}.no_such_parameter=1"]))


def test_parameters_from_the_problem_and_from_overrides():
    p = problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city"])
    # rate 0.5 + local 0.1 = 60% of 10 M -> 4 M (cap 70% not reached)
    r = tokenplan.solve(tokenplan.load(p, ["rules.cn.national_ai_city.rate=0.5"]))
    assert r.objective == pytest.approx(4 * M)
    assert r.rules["cn.national_ai_city"]["parameters"]["rate"] == 0.5
    # the same from the problem dict, and the quoted TOML key form
    assert solve(rule(problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city"]), "cn.national_ai_city",
                      rate=0.5)).objective == pytest.approx(4 * M)
    r = tokenplan.solve(tokenplan.load(p, ['rules."cn.national_ai_city".local_topup=0.2']))
    assert r.objective == pytest.approx(4 * M)
    # a table-valued parameter by override
    lic = foreign(id="t.lic", tflops={"fp8": 1000.0}, price_per_accel=7 * M)
    q = rule(problem_with(lic), "cn.export_controls", allow=["t.lic"], licensed_from={})
    r = tokenplan.solve(tokenplan.load(q, ['rules.cn.export_controls.fee={"t.lic" = 0.2}']))
    assert r.objective == pytest.approx(7 * 1.2 * M)
    with pytest.raises(InputError, match="rate"):
        select(tokenplan.load(p, ["rules.cn.national_ai_city.rate=1.5"]))


def test_rule_sections_in_the_console_report_and_no_scaling_warning():
    # realistic magnitudes: a 2,000 MW hub site with 8-accelerator servers at 200,000 CNY per accelerator
    p = problem_with(foreign(price_per_accel=180_000.0, unit_size=8, tflops={"fp8": 1e3}),
                     tags=["cn-hub", "cn-power-discount"], power_mw=2000, block_mw=50,
                     facility_capex_per_mw=40e6, power_price_per_kwh=0.4)
    p["chips"]["custom"][0].update(price_per_accel=200_000.0, unit_size=8, tflops={"fp8": 1e3})
    p["workloads"][0]["tokens_per_day"] = 86400 * 2e6
    p["problem"].update(discount_rate=0.08, maintenance_rate=0.03)
    # HiGHS prints its scaling assessment when it loads the MIP (the first incumbents are skipped to see it)
    sol = run(build(compute(select(tokenplan.load(p)))), SolveOptions(time_limit_s=5, duals=False,
                                                                      heuristic_start=False))
    assert sol.log and sol.scaling_warnings() == []
    r = solve(p)
    assert r.status == "optimal" and r.rules["cn.hub_node"]["took"] == ["r1"]
    console = Console(record=True, width=160)
    print_result(r, console)
    text = console.export_text()
    assert "cn.hub_node:" in text and "by site period" in text and "cn.domestic_power_discount" in text


def test_diagnosis_runs_with_the_rules_on():
    # 80,000 accelerators of 1 kW = 80 MW under a 100 MW cap passes the precheck, but whole 60 MW blocks give
    # only 60 MW: the elastic re-solve (grid caps may give) is built with the rules' rows and names the cap
    p = problem_with(foreign(price_per_accel=0.7 * M), tags=["cn-ai-city", "cn-power-discount"], block_mw=60)
    p["workloads"][0]["tokens_per_day"] = 86400 * 8e6
    r = solve(p)
    assert r.status == "infeasible" and r.diagnosis["method"] != "precheck"
    assert any(s["constraint"] == "power_cap" for s in r.diagnosis["shortfalls"])


def test_every_parameter_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    rules = Catalog().rules()
    for rule_id in RULES:
        assert f"`{rule_id}`" in doc, rule_id
        for name in rules[rule_id].Params.model_fields:
            if name != "enabled":
                assert f"`{name}`" in doc, (rule_id, name)


def test_rule_plugins_load_without_pyomo():
    # `tokenplan plugins` and `tokenplan catalog rules` load the rule modules: they must stay light
    assert_light("from tokenplan.catalog import Catalog\nCatalog().rules()", ("pyomo", "highspy", "pandas", "scipy"))


def test_domestic_share_rows_get_shadow_prices_and_a_diagnosis():
    # share 0.5 of ten accelerators, t.f 0.5 M cheaper: the row binds; in the LP (counts relaxed) one more
    # foreign accelerator allowed saves 0.5 M on the swap... per unit of the row's right-hand side (domestic -
    # 0.5 x total >= 0, in accelerators), relaxing it by one lets one domestic unit become foreign: 0.5 M
    p = rule(problem_with(foreign(price_per_accel=0.5 * M)), "policy.domestic_share", enabled=True, share=0.5)
    r = solve(p)
    share = [b for b in r.binding if b["constraint"] == "policy_domestic_share"]
    assert share == [{"constraint": "policy_domestic_share", "where": {"scope": "horizon"},
                      "shadow_price": pytest.approx(0.5 * M), "unit": "CNY per accelerator"}]
    # 100% domestic with only the foreign chip allowed: the rule's own check says so before solving
    p["chips"]["allow"] = ["t.f"]
    p = rule(p, "policy.domestic_share", share=1.0)
    r = solve(p)
    assert r.status == "infeasible" and r.diagnosis["method"] == "precheck"
    assert [c["message"] for c in r.diagnosis["causes"]] == [
        "policy.domestic_share requires 100% domestic accelerators over the horizon in CN, but no allowed chip "
        "is domestic there: t.f (US)"]
    # and the elastic re-solve diagnoses it like an impossible cap, with its amount
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.diagnose import elastic
    from tokenplan.solver import SolveOptions

    d = elastic(compute(select(tokenplan.load(p))), SolveOptions(time_limit_s=20))
    grow = [s for s in d["shortfalls"] if s["constraint"] == "policy_domestic_share"]
    assert grow == [{"constraint": "policy_domestic_share", "where": {"scope": "horizon"},
                     "amount": pytest.approx(10.0), "unit": "accelerators", "share": None}]
