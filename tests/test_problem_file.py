"""Problem files: TOML + pydantic (unknown keys are errors), per-year tables, overrides, error messages."""

from __future__ import annotations

import json

import pytest
from builders import M, base_problem, chip, solve

import tokenplan
from tokenplan import overrides
from tokenplan.errors import ExitCode, InputError
from tokenplan.schema import json_schema

TOML = """
[problem]
name = "file-test"
currency = "CNY"
periods = [2030, 2031]
discount_rate = 0.0
throughput_model = "flops"
load_factor = 1.0
maintenance_rate = 0.0
mip_gap = 0.0

[[workloads]]
id = "chat"
tokens_per_day = { 2030 = 86_400_000, 2031 = 172_800_000 }
flops_per_token = 1e12
utilisation = 1.0
precision = "fp8"

[[regions]]
id = "r1"
country = "CN"
power_mw = 100
facility_capex_per_mw = 0
power_price_per_kwh = 0

[chips]
allow = ["t.*"]

[[chips.custom]]
id = "t.a"
vendor = "Test"
origin = "CN"
year_available = 2020
tflops = { fp8 = 100 }
tdp_w = 1000
unit_size = 1
price_per_accel = 1e6
price_currency = "CNY"
cooling = ["t.air"]
lifetime_years = 1

[coolings]
allow = ["t.*"]

[[coolings.custom]]
id = "t.air"
pue = 1.0
max_rack_kw = 100
capex_per_kw_it = 0
opex_per_kw_it_year = 0
"""


@pytest.fixture
def toml_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(TOML)
    return path


def _error(path, *sets):
    with pytest.raises(InputError) as info:
        tokenplan.load(path, sets)
    assert info.value.exit_code == ExitCode.USAGE_ERROR
    message = str(info.value)
    assert "\n" not in message
    return message


def test_load_toml_and_solve(toml_file):
    problem = tokenplan.load(toml_file)
    assert problem.problem.periods == [2030, 2031]
    assert problem.workloads[0].tokens_per_day == {2030: 86.4e6, 2031: 172.8e6}
    r = tokenplan.solve(problem)
    assert r.objective == pytest.approx(10 * 1e6 + 20 * 1e6)


def test_unknown_key_names_file_and_key(toml_file):
    toml_file.write_text(TOML.replace('precision = "fp8"', 'precision = "fp8"\nflop_per_token = 3'))
    message = _error(toml_file)
    assert str(toml_file) in message
    assert "workloads[chat].flop_per_token" in message
    assert "unknown key" in message


def test_bad_value_names_key_and_value(toml_file):
    message = _error(toml_file, "problem.discount_rate=1.5")
    assert "problem.discount_rate = 1.5" in message
    message = _error(toml_file, "chips.custom.t.a.tdp_w=9000")
    assert 'chips.custom[t.a].tdp_w = 9000' in message


def test_missing_required_key(toml_file):
    toml_file.write_text(TOML.replace('periods = [2030, 2031]\n', ''))
    assert "problem.periods: missing required key" in _error(toml_file)


def test_year_that_is_not_a_period(toml_file):
    message = _error(toml_file, "workloads.chat.tokens_per_day={2030 = 1, 2031 = 1, 2032 = 1}")
    assert "workloads[chat].tokens_per_day.2032" in message and "not a period" in message


def test_per_year_table_must_cover_every_period(toml_file):
    message = _error(toml_file, "workloads.chat.tokens_per_day={2030 = 1}")
    assert "no value for period 2031" in message


def test_duplicate_ids(toml_file):
    toml_file.write_text(TOML + '\n[[regions]]\nid = "r1"\ncountry = "CN"\n')
    assert 'regions[1].id = \'r1\': duplicate id' in _error(toml_file)


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[problem\n")
    assert "not valid TOML" in _error(bad)
    assert "no such file" in _error(tmp_path / "missing.toml")


def test_overrides_are_toml_literals():
    assert overrides.parse("problem.mip_gap=0.01") == (["problem", "mip_gap"], 0.01)
    assert overrides.parse("chips.allow=[\"a.*\", \"b\"]") == (["chips", "allow"], ["a.*", "b"])
    assert overrides.parse('rules."cn.hub_node".rate=0.4') == (["rules", "cn.hub_node", "rate"], 0.4)
    assert overrides.parse("problem.throughput_model=flops") == (["problem", "throughput_model"], "flops")
    assert overrides.parse("x.y={2027 = 5e13}") == (["x", "y"], {"2027": 5e13})
    with pytest.raises(InputError):
        overrides.parse("no-equals-sign")


def test_override_paths_find_ids_with_dots_and_list_elements():
    data = base_problem()
    data["rules"] = {"cn.hub_node": {"rate": 0.1}}
    out = overrides.apply(data, [
        "rules.cn.hub_node.rate=0.4",                 # existing dotted id
        "rules.cn.national_ai_city.rate=0.5",         # new id in an id-keyed table: last segment is the field
        "chips.custom.t.a.price_per_accel=2e6",       # list element by id (with a dot)
        "regions.r1.power_mw.2030=50",                # a scalar expanded into a per-year table
        "workloads.0.peak_to_average=1.2",            # list element by index
    ])
    assert out["rules"] == {"cn.hub_node": {"rate": 0.4}, "cn.national_ai_city": {"rate": 0.5}}
    assert out["chips"]["custom"][0]["price_per_accel"] == 2e6
    assert out["regions"][0]["power_mw"] == {"2030": 50}
    assert out["workloads"][0]["peak_to_average"] == 1.2
    assert data["workloads"][0].get("peak_to_average") is None  # the input is not modified
    with pytest.raises(InputError, match="no element with id 'nope'"):
        overrides.apply(data, ["regions.nope.power_mw=1"])


def test_override_changes_the_solution():
    p = base_problem()
    r = tokenplan.solve(tokenplan.load(p, ["chips.custom.t.a.price_per_accel=2e6"]))
    assert r.objective == pytest.approx(20 * M)


def test_json_schema_describes_the_file():
    schema = json_schema()
    assert schema["title"] == "tokenplan problem file"
    assert {"problem", "workloads", "regions", "chips", "coolings", "hbm", "budget", "plugins", "rules"} \
        <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    json.dumps(schema)


def test_chip_overrides_and_allow_deny():
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=0.5 * M))
    p["chips"]["deny"] = ["t.b"]
    assert solve(p).objective == pytest.approx(10 * M)
    p["chips"]["deny"] = []
    assert solve(p).objective == pytest.approx(5 * M)
    p["chips"]["overrides"] = {"t.b": {"price_per_accel": 3 * M}}
    assert solve(p).objective == pytest.approx(10 * M)


def test_override_of_an_unknown_chip_is_an_error():
    p = base_problem()
    p["chips"]["overrides"] = {"t.zzz": {"price_per_accel": 1}}
    with pytest.raises(InputError, match=r'chips.overrides."t.zzz": unknown chip id'):
        solve(p)


def test_override_with_an_impossible_value_names_the_field():
    p = base_problem()
    p["chips"]["overrides"] = {"t.a": {"tdp_w": -5}}
    with pytest.raises(InputError, match=r'chips.overrides."t.a".tdp_w'):
        solve(p)


def test_inline_chip_may_not_shadow_a_catalog_chip():
    p = base_problem()
    p["chips"]["allow"] = ["*"]
    p["chips"]["custom"].append(chip(id="nvidia.h100"))
    with pytest.raises(InputError, match="already defined by plugin 'chips.nvidia'"):
        solve(p)


def test_missing_fx_rate_is_an_error():
    p = base_problem()
    p["chips"]["custom"][0]["price_currency"] = "USD"
    with pytest.raises(InputError, match="no exchange rate for USD into CNY"):
        solve(p)


def test_unknown_throughput_model_is_a_clear_error():
    p = base_problem()
    p["problem"]["throughput_model"] = "magic"
    with pytest.raises(InputError, match="problem.throughput_model = 'magic': no installed plugin provides"):
        solve(p)


def test_flops_model_needs_its_workload_fields():
    p = base_problem()
    del p["workloads"][0]["utilisation"]
    with pytest.raises(InputError, match=r"workloads\[w\].utilisation: missing; the 'flops' throughput model"):
        solve(p)


def test_region_without_power_cap_is_an_error():
    p = base_problem()
    del p["regions"][0]["power_mw"]
    with pytest.raises(InputError, match=r"regions\[r1\].power_mw: missing required key"):
        solve(p)


def test_existing_power_above_the_grid_cap_is_an_error():
    p = base_problem()
    p["regions"][0].update(existing_mw=200, power_mw=100)
    with pytest.raises(InputError, match="existing_mw 200 exceeds the grid cap"):
        solve(p)


def test_overrides_keep_and_add_provenance():
    import tokenplan
    from tokenplan.catalog import select

    p = base_problem()
    p["chips"]["allow"] = ["nvidia.h200", "t.*"]
    p["problem"]["fx"] = {"USD": 7.0}
    p["chips"]["overrides"] = {"nvidia.h200": {"price_per_accel": 25000, "tdp_w": 750, "estimate": ["tdp_w"],
                                               "sources": {"tdp_w": "vendor quote 2026"}}}
    selection = select(tokenplan.load(p))
    chip = next(c for c in selection.chips if c.id == "nvidia.h200")
    catalog_chip = next(c for c in selection.catalog.chips() if c.id == "nvidia.h200")
    assert chip.sources["tdp_w"] == "vendor quote 2026"
    assert chip.sources["price_per_accel"] == "problem override (<problem>)"
    assert chip.sources["hbm_gb"] == catalog_chip.sources["hbm_gb"]  # the catalog's other sources stay
    assert "tdp_w" in chip.estimate and "price_per_accel" not in chip.estimate
