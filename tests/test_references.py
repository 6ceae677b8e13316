"""References are checked (issue 11, item 2): every id a problem names must name something, and a misspelt
key or id gets a "did you mean"; exit 2 with one line, before anything is built."""

from __future__ import annotations

import pytest
from builders import base_problem, chip, cooling

import tokenplan
from tokenplan.catalog import select
from tokenplan.errors import InputError, PluginError, did_you_mean

QUICKSTART = "problems/quickstart.toml"


def error(source, overrides=()) -> str:
    with pytest.raises(InputError) as info:
        select(tokenplan.load(source, overrides))
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("override", "expected"), [
    ("problem.discount_rat=0.1", "problem.discount_rat: unknown key (did you mean 'discount_rate'?)"),
    ("chips.alow=['*']", "chips.alow: unknown key (did you mean 'allow'?)"),
    ("workloads.chat.tokens_per_dya=1", "workloads[chat].tokens_per_dya: unknown key (did you mean "
                                        "'tokens_per_day'?)"),
    ("regions.us-ohio.power_mv=1", "regions[us-ohio].power_mv: unknown key (did you mean 'power_mw'?)"),
    ("hbm.supply.globl={2026=1000}", "hbm.supply.globl: no chip draws on this HBM pool (did you mean 'global'?)"),
    ('chips.deny=["nvidia.h2000"]', "chips.deny[0] = 'nvidia.h2000': matches no chip (did you mean 'nvidia.h200'?)"),
    ('chips.allow=["nvdia.*"]', "chips.allow[0] = 'nvdia.*': matches no chip"),
    ('coolings.deny=["rear-door"]', "coolings.deny[0] = 'rear-door': matches no cooling (did you mean "
                                    "'rear_door'?)"),
    ('chips.overrides."nvidia.h2000".tdp_w=700', 'chips.overrides."nvidia.h2000": unknown chip id (did you mean '
                                                 "'nvidia.h200'?)"),
    ('rules."cn.export_control".enabled=true', 'rules."cn.export_control": unknown rule (did you mean '
                                               "'cn.export_controls'?)"),
    ('rules."cn.export_controls".enabld=true', 'rules."cn.export_controls".enabld = True: unknown parameter '
                                               "(did you mean 'enabled'?)"),
    ('chips.supply_accelerators."nvidia.h2000"={2026=5}', 'chips.supply_accelerators."nvidia.h2000": unknown chip '
                                                          "id (did you mean 'nvidia.h200'?)"),
    ('chips.overrides."nvidia.h200".cooling=["ari"]', 'chips.overrides."nvidia.h200".cooling[0] = \'ari\': unknown '
                                                      "cooling id (did you mean 'air'?)"),
])
def test_misspelt_keys_and_ids_are_errors_with_a_suggestion(override, expected):
    assert error(QUICKSTART, [override]).startswith(f"{QUICKSTART}: {expected}")


def test_a_region_that_extends_a_misspelt_pack():
    p = tokenplan.load("problems/cn-2030.toml")
    data = {"problem": {"periods": [2026], "currency": "CNY"}, "workloads": p.model_dump()["workloads"][:1],
            "regions": [{"id": "a", "extends": "cn.beijng"}]}
    data["workloads"][0]["tokens_per_day"] = 1e12
    assert "regions[a].extends = 'cn.beijng': unknown region (did you mean 'cn.beijing'?)" in error(data)


def test_a_misspelt_cooling_in_an_inline_chip_is_an_error_not_a_smaller_plan():
    p = base_problem()
    p["coolings"]["custom"].append(cooling(id="t.liquid"))
    p["chips"]["custom"].append(chip(id="t.b", cooling=["t.air", "t.liqiud"]))
    assert error(p).endswith("chips.custom[t.b].cooling[1] = 't.liqiud': unknown cooling id (did you mean "
                             "'t.liquid'?) (known: air, cold_plate, immersion_1p, immersion_2p, rear_door, t.air, "
                             "t.liquid)")


def test_an_inline_chip_that_is_not_allowed_is_checked_too():
    p = base_problem()
    p["chips"]["custom"].append(chip(id="x.b", cooling=["t.ari"]))
    assert "chips.custom[x.b].cooling[0] = 't.ari': unknown cooling id (did you mean 't.air'?)" in error(p)


def test_a_plugin_chip_with_an_unknown_cooling_is_the_plugin_s_error():
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginHost

    class Vendor:
        @tokenplan.hookimpl
        def tokenplan_chips(self):
            return [chip(id="v.x", cooling=["t.air", "cold-plate"], sources={"*": "test"})]

    catalog = Catalog(PluginHost(plugins=[("vendor", Vendor())], autoload=False))
    p = base_problem()
    p["chips"]["allow"] = ["t.*", "v.*"]
    with pytest.raises(PluginError) as info:
        select(tokenplan.load(p), catalog)
    assert "v.x" in str(info.value) and "cold-plate" in str(info.value)
    assert "did you mean 'cold_plate'?" in str(info.value)


def test_did_you_mean_compares_the_part_after_the_vendor_too():
    assert did_you_mean("h200", ["nvidia.h200", "amd.mi300x"]) == " (did you mean 'nvidia.h200'?)"
    assert did_you_mean("zzz", ["nvidia.h200"]) == ""
    assert did_you_mean(3, ["a"]) == ""


def test_the_cli_prints_the_suggestion_on_one_line_with_exit_2(capsys):
    from test_cli import run_cli

    code, _, err = run_cli(capsys, "solve", QUICKSTART, "--set", "problem.discount_rat=0.1")
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {QUICKSTART}: problem.discount_rat: unknown key (did you mean 'discount_rate'?) (not in the "
        "problem schema; see `tokenplan schema`)"]
