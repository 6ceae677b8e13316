"""Named scenarios in problem files (``[scenarios.NAME]``, ``--scenario``) and the scale form of overrides
(issue 10, item 1)."""

from __future__ import annotations

import pytest
from builders import M, base_problem, by_chip, chip, solve, write_toml

import tokenplan
from tokenplan import overrides
from tokenplan.errors import InputError


def _with_scenarios(**scenarios):
    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 2000.0}
    p["hbm"] = {"supply": {"p1": {"2030": 800.0, "2031": 1600.0}}}
    p["scenarios"] = scenarios
    return p


def test_scale_form_multiplies_every_year_of_a_table():
    p = _with_scenarios()
    out = overrides.apply(p, ["hbm.supply.p1={scale=0.5}", "problem.mip_gap={scale=2}"])
    assert out["hbm"]["supply"]["p1"] == {"2030": 400.0, "2031": 800.0}
    assert p["hbm"]["supply"]["p1"] == {"2030": 800.0, "2031": 1600.0}  # the input is not changed


@pytest.mark.parametrize("text, message", [
    ("hbm.supply.p9={scale=0.5}", "nothing to scale"),
    ("hbm.supply.p1={scale=-1}", "finite number >= 0"),
    ("problem.name={scale=2}", "only a number or a table of numbers"),
])
def test_scale_form_errors_name_the_key(text, message):
    with pytest.raises(InputError, match=message) as info:
        overrides.apply(_with_scenarios(), [text])
    assert text.split("=")[0] in str(info.value)


def test_scenario_applies_and_later_scenarios_and_set_win():
    p = _with_scenarios(low={"hbm.supply.p1": {"scale": 0.5}},
                        lower={"hbm": {"supply": {"p1": {"2031": 100.0}}}},
                        rate={"problem.discount_rate": 0.1})
    prob = tokenplan.load(p, scenarios=["low", "lower"])
    assert prob.hbm.supply["p1"] == {2030: 400.0, 2031: 100.0}  # nested tables merge: 2030 kept from "low"
    prob = tokenplan.load(p, ["hbm.supply.p1.2031=50"], scenarios=["lower", "low"])
    assert prob.hbm.supply["p1"] == {2030: 400.0, 2031: 50.0}  # order: lower, then low scales it, then --set
    assert prob.applied == {"scenarios": ["lower", "low"], "overrides": ["hbm.supply.p1.2031=50"]}


def test_a_scenario_changes_the_plan():
    p = _with_scenarios(cheap_b={"chips.custom.t.b.price_per_accel": 0.5 * M})
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=2 * M))
    p.pop("hbm")
    base = solve(p)
    assert set(by_chip(base)) == {"t.a"}
    what_if = tokenplan.solve(tokenplan.load(p, scenarios=["cheap_b"]))
    assert set(by_chip(what_if)) == {"t.b"}
    assert what_if.objective < base.objective
    assert what_if.to_dict()["applied"]["scenarios"] == ["cheap_b"]


def test_unknown_scenario_is_a_one_line_error_with_did_you_mean(tmp_path):
    path = write_toml(tmp_path, _with_scenarios(hbm_crunch={"hbm.supply.p1": {"scale": 0.5}}))
    with pytest.raises(InputError) as info:
        tokenplan.load(path, scenarios=["hbm-crunch"])
    text = str(info.value)
    assert path in text and "--scenario = 'hbm-crunch'" in text and "did you mean 'hbm_crunch'" in text


@pytest.mark.parametrize("scenarios, key", [
    ({"bad": 3}, "scenarios.bad"),
    ({"empty": {}}, "scenarios.empty"),
])
def test_malformed_scenarios_are_errors_even_when_not_applied(scenarios, key):
    with pytest.raises(InputError, match=key):
        tokenplan.load(_with_scenarios(**scenarios))


def test_an_error_inside_a_scenario_names_the_scenario():
    p = _with_scenarios(oops={"hbm.supply.p1": {"scale": "x"}})
    with pytest.raises(InputError, match=r"scenarios\.oops\.hbm\.supply\.p1"):
        tokenplan.load(p, scenarios=["oops"])


def test_cli_solve_with_scenario(tmp_path, capsys):
    from tokenplan.cli import main

    p = _with_scenarios(tight={"hbm.supply.p1": {"scale": 0.001}})
    path = write_toml(tmp_path, p)
    with pytest.raises(SystemExit) as info:
        main(["solve", path, "--scenario", "tight", "-q"])
    assert info.value.code == 3  # 0.8 stacks cannot hold one 8-stack chip: infeasible
    with pytest.raises(SystemExit) as info:
        main(["solve", path, "--scenario", "nope"])
    assert info.value.code == 2
    assert "no such scenario" in capsys.readouterr().err
