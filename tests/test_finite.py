"""Non-finite and negative numbers never reach the model (issue 11, item 1, in part): NaN once read as "no
cap" or dropped a year's demand, infinities gave "optimal" with no plan, a negative cap exit 3 instead of 2,
and `--time-limit nan` a 100 %-gap plan with exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import base_problem

import tokenplan
from tokenplan.catalog import select
from tokenplan.errors import InputError

NAN, INF = float("nan"), float("inf")
QUICKSTART = str(Path(__file__).resolve().parents[1] / "problems" / "quickstart.toml")


def _set(path, value):
    def change(p):
        node = p
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


@pytest.mark.parametrize("change, key", [
    (_set(["workloads", 0, "tokens_per_day"], NAN), "workloads[w].tokens_per_day"),
    (_set(["workloads", 0, "tokens_per_day"], {"2030": INF}), "workloads[w].tokens_per_day"),
    (_set(["regions", 0, "power_mw"], {"2030": NAN}), "regions[r1].power_mw"),
    (_set(["regions", 0, "power_price_per_kwh"], INF), "regions[r1].power_price_per_kwh"),
    (_set(["problem", "fx"], {"USD": INF}), "problem.fx.USD"),
    (_set(["problem", "discount_rate"], NAN), "problem.discount_rate"),
    (_set(["hbm"], {"supply": {"p1": {"2030": NAN}}}), "hbm.supply.p1"),
    (_set(["budget"], {"capex_per_period": NAN}), "budget.capex_per_period"),
    (_set(["chips", "supply_accelerators"], {"t.a": NAN}), 'chips.supply_accelerators."t.a"'),
    (_set(["chips", "custom", 0, "tdp_w"], NAN), "chips.custom[t.a].tdp_w"),
    (_set(["chips", "custom", 0, "price_per_accel"], INF), "chips.custom[t.a].price_per_accel"),
    (_set(["hbm"], {"supply": {"p1": -5.0}}), "hbm.supply.p1"),
    (_set(["budget"], {"capex_per_period": {"2030": -1.0}}), "budget.capex_per_period"),
    (_set(["chips", "supply_accelerators"], {"t.a": -3}), 'chips.supply_accelerators."t.a"'),
    (_set(["problem", "seed"], 2**31), "problem.seed"),
])
def test_bad_numbers_are_input_errors_naming_the_key(change, key):
    p = base_problem()
    change(p)
    with pytest.raises(InputError) as info:
        tokenplan.load(p)
    assert f"{key} = " in str(info.value)


def test_a_rule_parameter_must_be_finite():
    p = base_problem()
    p["rules"] = {"policy.domestic_share": {"enabled": True, "share": NAN}}
    with pytest.raises(InputError, match=r'rules\."policy.domestic_share"\.share = nan'):
        select(tokenplan.load(p))


def test_zero_is_a_cap():
    p = base_problem()
    p["hbm"] = {"supply": {"p1": 0}}
    assert tokenplan.load(p).hbm.supply["p1"] == 0.0


@pytest.mark.parametrize("args", [["--time-limit", "nan"], ["--time-limit", "inf"], ["--gap", "nan"]])
def test_non_finite_cli_options_are_usage_errors(args):
    proc = subprocess.run([sys.executable, "-m", "tokenplan.cli", "solve", QUICKSTART, *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a finite number" in proc.stderr


@pytest.mark.parametrize("text", ["chips.allow=[2026, 2027", "hbm.supply.p1={2030 = 5", 'problem.name="unclosed'])
def test_set_values_that_start_like_toml_must_be_toml(text):
    from tokenplan import overrides

    with pytest.raises(InputError, match="not a valid TOML value") as info:
        overrides.parse(text)
    assert str(info.value).startswith(f"--set {text.split('=')[0]} = ")


def test_a_bare_word_is_still_a_string():
    from tokenplan import overrides

    assert overrides.parse("problem.name=my run") == (["problem", "name"], "my run")
