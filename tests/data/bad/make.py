# ruff: noqa: E501  (a table of cases: one per line reads better than wrapped)
"""Write the malformed-input corpus of tests/data/bad/ (issue 11): one file per mistake a user can make.

Each case is a small, otherwise valid problem file with one mistake, and a header the test reads:

    # expect: <text the one-line error must contain: the key, and often the value or the reason>
    # args: <extra command-line arguments, for the mistakes made on the command line>
    # command: <the tokenplan command (default: solve)>

Run ``python tests/data/bad/make.py`` after adding a case; it rewrites every ``*.toml`` here. The files are
committed so that a reader can open any one of them and run it.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/, for builders
from builders import toml_value  # noqa: E402

CHIP = {"id": "t.a", "vendor": "Test", "origin": "CN", "year_available": 2020, "tflops": {"fp8": 100.0},
        "hbm_gb": 80, "hbm_stacks": 8, "hbm_pool": "p1", "tdp_w": 1000, "price_per_accel": 1e6,
        "cooling": ["t.air"], "lifetime_years": 5}
AIR = {"id": "t.air", "pue": 1.2, "max_rack_kw": 100, "capex_per_kw_it": 0, "opex_per_kw_it_year": 0}
BASE: dict[str, Any] = {
    "problem": {"name": "corpus", "currency": "CNY", "periods": [2030, 2031], "discount_rate": 0.08,
                "throughput_model": "flops", "time_limit_s": 10, "mip_gap": 0.01},
    "workloads": [{"id": "w", "tokens_per_day": {"2030": 8.64e7, "2031": 1.728e8}, "flops_per_token": 1e12,
                   "utilisation": 1.0, "precision": "fp8"}],
    "regions": [{"id": "r1", "country": "CN", "power_mw": {"2030": 100, "2031": 100}, "block_mw": 1,
                 "facility_capex_per_mw": 0, "power_price_per_kwh": 0.5}],
    "chips": {"allow": ["t.*"], "custom": [CHIP]},
    "coolings": {"allow": ["t.*"], "custom": [AIR]},
    "hbm": {"unit": "stacks", "supply": {"p1": {"2030": 1000}}},
    "budget": {"capex_per_period": {"2030": 1e9}},
    "scenarios": {"tight": {"hbm.supply.p1": {"scale": 0.5}}},
}


def lit(v: Any) -> str:
    """A TOML literal (nan and infinities included): the test suite's own writer."""
    return toml_value(v)


def key(k: Any) -> str:
    k = str(k)
    return k if k and all(c.isalnum() or c in "-_" for c in k) else json.dumps(k)


def dump(data: dict[str, Any]) -> str:
    lines: list[str] = []

    def table(name: str, content: dict[str, Any]) -> None:
        lines.append(f"\n[{name}]")
        later = []
        for k, v in content.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                later.append((k, v))
            else:
                lines.append(f"{key(k)} = {lit(v)}")
        for k, items in later:
            for item in items:
                lines.append(f"\n[[{name}.{key(k)}]]")
                lines.extend(f"{key(a)} = {lit(b)}" for a, b in item.items())

    for name, content in data.items():  # bare keys first: after a [table] header they would belong to it
        if not isinstance(content, dict) and not (isinstance(content, list) and content
                                                  and all(isinstance(x, dict) for x in content)):
            lines.append(f"{key(name)} = {lit(content)}")
    for name, content in data.items():
        if isinstance(content, list) and content and all(isinstance(x, dict) for x in content):
            for item in content:
                lines.append(f"\n[[{name}]]")
                lines += [f"{key(a)} = {lit(b)}" for a, b in item.items()]
        elif isinstance(content, dict):
            table(name, content)
    return "\n".join(lines).lstrip() + "\n"


def at(path: str, value: Any) -> Callable[[dict], None]:
    """Set a dotted path (``workloads.0.id``: list index by number)."""
    def change(d: dict) -> None:
        parts = path.split(".")
        node: Any = d
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def drop(path: str) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        parts = path.split(".")
        node: Any = d
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[parts[-1]]
    return change


def add_chip(**fields: Any) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d["chips"]["custom"].append({**CHIP, **fields})
    return change


# (file name, expected text, change of BASE or raw TOML text, extra args, command)
Case = tuple[str, str, Any, str, str]
CASES: list[Case] = []


def case(name: str, expect: str, change: Any = None, args: str = "", command: str = "solve") -> None:
    CASES.append((name, expect, change, args, command))


# -- TOML syntax --------------------------------------------------------------------------------------
RAW = dump(BASE)
case("toml-unclosed-array", "not valid TOML", RAW.replace("periods = [2030, 2031]", "periods = [2030, 2031"))
case("toml-duplicate-key", "not valid TOML", RAW.replace('name = "corpus"', 'name = "corpus"\nname = "again"'))
case("toml-unterminated-string", "not valid TOML", RAW.replace('name = "corpus"', 'name = "corpus'))
case("toml-bad-escape", "not valid TOML", RAW.replace('name = "corpus"', 'name = "c\\qorpus"'))
case("toml-missing-value", "not valid TOML", RAW.replace("discount_rate = 0.08", "discount_rate ="))
case("toml-bad-number", "not valid TOML", RAW.replace("discount_rate = 0.08", "discount_rate = 0..08"))
case("toml-table-twice", "not valid TOML", RAW + "\n[problem]\nseed = 1\n")
case("toml-bare-word", "not valid TOML", RAW.replace("discount_rate = 0.08", "discount_rate = eight"))
case("toml-key-with-space", "not valid TOML", RAW.replace("discount_rate = 0.08", "discount rate = 0.08"))
case("toml-nested-too-deep", "nested", RAW + "\n[plugins]\ndisable = " + "[" * 600 + "]" * 600 + "\n")
case("toml-inline-table-newline", "not valid TOML", RAW.replace('{"p1" = {"2030" = 1000}}', '{"p1" = {"2030" =\n1000}}'))

# -- unknown keys (with a suggestion where one is close) ------------------------------------------------
for name, path, expect in [
    ("unknown-top-level", "problm", "problm: unknown key (did you mean 'problem'?)"),
    ("unknown-problem-key", "problem.discount_rat", "problem.discount_rat: unknown key (did you mean 'discount_rate'?)"),
    ("unknown-problem-key-far", "problem.colour", "problem.colour: unknown key"),
    ("unknown-workload-key", "workloads.0.tokens_per_dya", "workloads[w].tokens_per_dya: unknown key (did you mean"),
    ("unknown-region-key", "regions.0.power_mv", "regions[r1].power_mv: unknown key (did you mean 'power_mw'?)"),
    ("unknown-chips-key", "chips.alow", "chips.alow: unknown key (did you mean 'allow'?)"),
    ("unknown-coolings-key", "coolings.denny", "coolings.denny: unknown key (did you mean 'deny'?)"),
    ("unknown-hbm-key", "hbm.suply", "hbm.suply: unknown key (did you mean 'supply'?)"),
    ("unknown-budget-key", "budget.capex", "budget.capex: unknown key (did you mean 'capex_per_period'?)"),
    ("unknown-plugins-key", "plugins.disabled", "plugins.disabled: unknown key (did you mean 'disable'?)"),
    ("unknown-chip-field", "chips.custom.0.tdp", "chips.custom[t.a].tdp: unknown key (did you mean 'tdp_w'?)"),
    ("unknown-cooling-field", "coolings.custom.0.pue_max", "coolings.custom[t.air].pue_max: unknown key"),
]:
    case(name, expect, at(path, 1))
case("unknown-chip-override-field", 'chips.overrides."t.a".price: unknown key (did you mean',
     at("chips.overrides", {"t.a": {"price": 1}}))
case("unknown-throughput-param", "throughput.bogus = 1: unknown parameter of throughput model 'flops'", at("throughput", {"bogus": 1}))
case("unknown-rule-param", 'rules."cn.export_controls".enabld', at("rules", {"cn.export_controls": {"enabld": True}}))
case("unknown-rule", 'rules."cn.export_control": unknown rule (did you mean', at("rules", {"cn.export_control": {}}))

# -- missing required keys -----------------------------------------------------------------------------
for name, path, expect in [
    ("missing-periods", "problem.periods", "problem.periods: missing required key"),
    ("missing-workloads", "workloads", "workloads: missing required key"),
    ("missing-regions", "regions", "regions: missing required key"),
    ("missing-workload-id", "workloads.0.id", "workloads[0].id: missing required key"),
    ("missing-tokens", "workloads.0.tokens_per_day", "tokens_per_day: missing required key"),
    ("missing-region-country", "regions.0.country", "regions[r1].country: missing required key"),
    ("missing-region-power-price", "regions.0.power_price_per_kwh", "regions[r1].power_price_per_kwh: missing"),
    ("missing-chip-vendor", "chips.custom.0.vendor", "chips.custom[t.a].vendor: missing required key"),
    ("missing-chip-origin", "chips.custom.0.origin", "chips.custom[t.a].origin: missing required key"),
    ("missing-chip-cooling", "chips.custom.0.cooling", "chips.custom[t.a].cooling: missing required key"),
    ("missing-cooling-pue", "coolings.custom.0.pue", "coolings.custom[t.air].pue: missing required key"),
    ("missing-flops-per-token", "workloads.0.flops_per_token", "workloads[w].flops_per_token: missing"),
]:
    case(name, expect, drop(path))

# -- wrong types (strict: no "0.08", no "yes") --------------------------------------------------------------
for name, path, value, expect in [
    ("type-rate-as-string", "problem.discount_rate", "0.08", "problem.discount_rate = '0.08': Input should be a valid number"),
    ("type-threads-as-string", "problem.threads", "2", "problem.threads = '2'"),
    ("type-threads-fraction", "problem.threads", 1.5, "problem.threads = 1.5"),
    ("type-seed-as-bool", "problem.seed", True, "problem.seed = True"),
    ("type-bool-as-string", "chips.allow_cloud_only", "yes", "chips.allow_cloud_only = 'yes'"),
    ("type-bool-as-int", "chips.allow_cloud_only", 1, "chips.allow_cloud_only = 1"),
    ("type-periods-scalar", "problem.periods", 2030, "problem.periods = 2030"),
    ("type-period-string", "problem.periods", ["2030", "2031"], "problem.periods"),
    ("type-period-fraction", "problem.periods", [2030.5], "problem.periods"),
    ("type-name-number", "problem.name", 3, "problem.name = 3"),
    ("type-currency-lower", "problem.currency", "cny", "problem.currency = 'cny'"),
    ("type-tokens-string", "workloads.0.tokens_per_day", "lots", "workloads[w].tokens_per_day = 'lots'"),
    ("type-tokens-list", "workloads.0.tokens_per_day", [1, 2], "workloads[w].tokens_per_day"),
    ("type-tokens-year-key", "workloads.0.tokens_per_day", {"twenty": 1.0}, "table keys must be years"),
    ("type-tokens-bool", "workloads.0.tokens_per_day", True, "workloads[w].tokens_per_day = True"),
    ("type-power-string", "regions.0.power_mw", "100", "regions[r1].power_mw = '100'"),
    ("type-price-string", "regions.0.power_price_per_kwh", "0.5", "regions[r1].power_price_per_kwh"),
    ("type-block-string", "regions.0.block_mw", "1", "regions[r1].block_mw = '1'"),
    ("type-country-lower", "regions.0.country", "cn", "regions[r1].country = 'cn'"),
    ("type-allow-string", "chips.allow", "t.*", "chips.allow = 't.*'"),
    ("type-deny-number", "chips.deny", [1], "chips.deny"),
    ("type-chip-tdp-string", "chips.custom.0.tdp_w", "1000", "chips.custom[t.a].tdp_w = '1000'"),
    ("type-chip-cooling-string", "chips.custom.0.cooling", "t.air", "chips.custom[t.a].cooling = 't.air'"),
    ("type-chip-tflops-list", "chips.custom.0.tflops", [100], "chips.custom[t.a].tflops"),
    ("type-chip-year-string", "chips.custom.0.year_available", "2020", "chips.custom[t.a].year_available"),
    ("type-chip-unit-fraction", "chips.custom.0.unit_size", 1.5, "chips.custom[t.a].unit_size = 1.5"),
    ("type-hbm-unit", "hbm.unit", "TB", "hbm.unit = 'TB'"),
    ("type-hbm-supply-string", "hbm.supply.p1", "1000", "hbm.supply.p1 = '1000'"),
    ("type-budget-string", "budget.capex_per_period", "1e9", "budget.capex_per_period = '1e9'"),
    ("type-workloads-table", "workloads", {"id": "w"}, "workloads"),
    ("type-regions-string", "regions", "r1", "regions = 'r1'"),
    ("type-precision-unknown", "workloads.0.precision", "fp7", "unknown precision 'fp7'"),
    ("type-rule-params-string", "rules", {"cn.export_controls": {"enabled": "no"}}, 'rules."cn.export_controls".enabled'),
    ("type-time-limit-string", "problem.time_limit_s", "60", "problem.time_limit_s = '60'"),
    ("type-throughput-model-number", "problem.throughput_model", 1, "problem.throughput_model = 1"),
]:
    case(name, expect, at(path, value))

# -- NaN and infinities -----------------------------------------------------------------------------------
for name, path, value, expect in [
    ("nan-tokens", "workloads.0.tokens_per_day", math.nan, "workloads[w].tokens_per_day"),
    ("nan-tokens-one-year", "workloads.0.tokens_per_day", {"2030": 1e8, "2031": math.nan}, "year 2031"),
    ("inf-tokens", "workloads.0.tokens_per_day", math.inf, "workloads[w].tokens_per_day"),
    ("nan-power", "regions.0.power_mw", math.nan, "regions[r1].power_mw"),
    ("inf-power-price", "regions.0.power_price_per_kwh", math.inf, "regions[r1].power_price_per_kwh"),
    ("nan-power-price", "regions.0.power_price_per_kwh", math.nan, "regions[r1].power_price_per_kwh"),
    ("nan-hbm", "hbm.supply.p1", math.nan, "hbm.supply.p1"),
    ("inf-hbm-year", "hbm.supply.p1", {"2030": math.inf}, "hbm.supply.p1"),
    ("nan-budget", "budget.capex_per_period", math.nan, "budget.capex_per_period"),
    ("nan-chip-supply", "chips.supply_accelerators", {"t.a": math.nan}, 'chips.supply_accelerators."t.a"'),
    ("inf-fx", "problem.fx", {"USD": math.inf}, "problem.fx"),
    ("nan-discount", "problem.discount_rate", math.nan, "problem.discount_rate"),
    ("nan-gap", "problem.mip_gap", math.nan, "problem.mip_gap"),
    ("inf-time-limit", "problem.time_limit_s", math.inf, "problem.time_limit_s"),
    ("nan-chip-price", "chips.custom.0.price_per_accel", math.nan, "chips.custom[t.a].price_per_accel"),
    ("inf-chip-tflops", "chips.custom.0.tflops", {"fp8": math.inf}, "chips.custom[t.a].tflops"),
    ("nan-cooling-pue", "coolings.custom.0.pue", math.nan, "coolings.custom[t.air].pue"),
    ("nan-facility-capex", "regions.0.facility_capex_per_mw", math.nan, "regions[r1].facility_capex_per_mw"),
    ("nan-peak", "workloads.0.peak_to_average", math.nan, "workloads[w].peak_to_average"),
    ("nan-flops", "workloads.0.flops_per_token", math.nan, "workloads[w].flops_per_token"),
]:
    case(name, expect, at(path, value))

# -- out of range -------------------------------------------------------------------------------------------
for name, path, value, expect in [
    ("range-discount-negative", "problem.discount_rate", -0.1, "problem.discount_rate = -0.1"),
    ("range-discount-100pct", "problem.discount_rate", 1.0, "problem.discount_rate = 1.0"),
    ("range-gap-one", "problem.mip_gap", 1.0, "problem.mip_gap = 1.0"),
    ("range-time-limit-zero", "problem.time_limit_s", 0, "problem.time_limit_s = 0"),
    ("range-time-limit-week", "problem.time_limit_s", 1e7, "problem.time_limit_s"),
    ("range-threads-zero", "problem.threads", 0, "problem.threads = 0"),
    ("range-seed-negative", "problem.seed", -1, "problem.seed = -1"),
    ("range-seed-huge", "problem.seed", 2**31, "problem.seed = 2147483648"),
    ("range-periods-decreasing", "problem.periods", [2031, 2030], "periods must increase strictly"),
    ("range-periods-empty", "problem.periods", [], "problem.periods"),
    ("range-period-ancient", "problem.periods", [1800], "period 1800 is not a plausible year"),
    ("range-load-factor", "problem.load_factor", 1.5, "problem.load_factor = 1.5"),
    ("range-last-period", "problem.last_period_years", 0, "problem.last_period_years = 0"),
    ("range-tokens-negative", "workloads.0.tokens_per_day", -1.0, "workloads[w].tokens_per_day"),
    ("range-tokens-huge", "workloads.0.tokens_per_day", 1e300, "tokenplan takes tokens per day up to 1e+20"),
    ("range-peak-below-one", "workloads.0.peak_to_average", 0.5, "workloads[w].peak_to_average = 0.5"),
    ("range-utilisation", "workloads.0.utilisation", 1.5, "workloads[w].utilisation = 1.5"),
    ("range-power-negative", "regions.0.power_mw", -5.0, "regions[r1].power_mw"),
    ("range-power-huge", "regions.0.power_mw", 1e30, "tokenplan takes grid caps (MW) up to 1e+06"),
    ("range-power-price-huge", "regions.0.power_price_per_kwh", 1e9, "power prices (per kWh) up to 100000"),
    ("range-block-zero", "regions.0.block_mw", 0, "regions[r1].block_mw = 0"),
    ("range-block-tiny", "regions.0.block_mw", 1e-9, "regions[r1].block_mw = 1e-09: Input should be greater than or equal to 0.0001"),
    ("range-pue-cap-below-one", "regions.0.pue_cap", 0.9, "regions[r1].pue_cap = 0.9"),
    ("range-pue-factor", "regions.0.pue_factor", 5.0, "regions[r1].pue_factor = 5.0"),
    ("range-existing-negative", "regions.0.existing_mw", -1.0, "regions[r1].existing_mw = -1.0"),
    ("range-hbm-negative", "hbm.supply.p1", -10.0, "hbm.supply.p1"),
    ("range-hbm-huge", "hbm.supply.p1", 1e20, "HBM supplies up to 1e+12"),
    ("range-budget-negative", "budget.capex_per_period", -1.0, "budget.capex_per_period"),
    ("range-budget-huge", "budget.capex_per_period", 1e30, "budgets up to 1e+18"),
    ("range-chip-supply-negative", "chips.supply_accelerators", {"t.a": -3}, 'chips.supply_accelerators."t.a"'),
    ("range-chip-supply-huge", "chips.supply_accelerators", {"t.a": 1e15}, "supply caps (accelerators) up to"),
    ("range-fx-zero", "problem.fx", {"USD": 0.0}, "fx.USD must be in"),
    ("range-fx-tiny", "problem.fx", {"USD": 1e-12}, "fx.USD must be in"),
    ("range-fx-code", "problem.fx", {"usd": 7.0}, "is not an ISO 4217 currency code"),
    ("range-chip-tdp-zero", "chips.custom.0.tdp_w", 0, "chips.custom[t.a].tdp_w = 0"),
    ("range-chip-price-huge", "chips.custom.0.price_per_accel", 1e12, "chips.custom[t.a].price_per_accel"),
    ("range-chip-years", "chips.custom.0.year_last", 2010, "chips.custom[t.a].year_last = 2010"),
    ("range-chip-lifetime", "chips.custom.0.lifetime_years", 0, "chips.custom[t.a].lifetime_years = 0"),
    ("range-cooling-pue", "coolings.custom.0.pue", 0.8, "coolings.custom[t.air].pue = 0.8"),
    ("range-cooling-rack", "coolings.custom.0.max_rack_kw", -1, "coolings.custom[t.air].max_rack_kw = -1"),
    ("range-rule-share", "rules", {"policy.domestic_share": {"share": 1.5}}, 'rules."policy.domestic_share".share'),
]:
    case(name, expect, at(path, value))

# -- references -------------------------------------------------------------------------------------------------
case("ref-allow-matches-nothing", "chips.allow[0] = 'x.*': matches no chip", at("chips.allow", ["x.*"]))
case("ref-deny-typo", "chips.deny[0] = 't.b': matches no chip (did you mean 't.a'?)", at("chips.deny", ["t.b"]))
case("ref-cooling-allow-typo", "coolings.allow[0] = 't.ari': matches no cooling (did you mean 't.air'?)",
     at("coolings.allow", ["t.ari"]))
case("ref-chip-cooling-typo", "chips.custom[t.a].cooling[0] = 't.ari': unknown cooling id (did you mean 't.air'?)",
     at("chips.custom.0.cooling", ["t.ari"]))
case("ref-unused-chip-cooling-typo", "chips.custom[x.b].cooling[1] = 't.aer': unknown cooling id",
     add_chip(id="x.b", cooling=["t.air", "t.aer"]))
case("ref-override-unknown-chip", 'chips.overrides."t.b": unknown chip id (did you mean',
     at("chips.overrides", {"t.b": {"tdp_w": 700}}))
case("ref-override-unknown-cooling", 'coolings.overrides."t.aír": unknown cooling id',
     at("coolings.overrides", {"t.aír": {"pue": 1.1}}))
case("ref-override-cooling-typo", 'chips.overrides."t.a".cooling[0] = \'t.ari\': unknown cooling id',
     at("chips.overrides", {"t.a": {"cooling": ["t.ari"]}}))
case("ref-hbm-pool-typo", "hbm.supply.p2: no chip draws on this HBM pool (pools: cn, global, p1)",
     at("hbm.supply", {"p2": 100}))
case("ref-supply-unknown-chip", 'chips.supply_accelerators."t.b": unknown chip id (did you mean',
     at("chips.supply_accelerators", {"t.b": 10}))
case("ref-region-extends-typo", "regions[r1].extends = 'cn.beijng': unknown region (did you mean 'cn.beijing'?)",
     at("regions.0.extends", "cn.beijng"))
case("ref-throughput-model", "problem.throughput_model = 'flop': no installed plugin provides",
     at("problem.throughput_model", "flop"))
case("ref-duplicate-workload", "workloads[1].id = 'w': duplicate id",
     lambda d: d["workloads"].append(copy.deepcopy(d["workloads"][0])))
case("ref-duplicate-region", "regions[1].id = 'r1': duplicate id",
     lambda d: d["regions"].append(copy.deepcopy(d["regions"][0])))
case("ref-duplicate-chip", "chips.custom[1].id = 't.a': duplicate id", add_chip())
case("ref-custom-shadows-catalog", "chips.custom[1].id = 'nvidia.h200': already defined by plugin",
     add_chip(id="nvidia.h200"))
case("ref-table-year-not-a-period", "workloads[w].tokens_per_day.2029", at("workloads.0.tokens_per_day",
                                                                          {"2029": 1e8, "2030": 1e8, "2031": 1e8}))
case("ref-table-missing-period", "workloads[w].tokens_per_day: no value for period 2031",
     at("workloads.0.tokens_per_day", {"2030": 1e8}))
case("ref-power-table-missing-period", "regions[r1].power_mw: no value for period 2031",
     at("regions.0.power_mw", {"2030": 100}))
case("ref-hbm-year-not-a-period", "hbm.supply.p1.2040", at("hbm.supply.p1", {"2040": 100}))
case("ref-budget-year-not-a-period", "budget.capex_per_period.2029", at("budget.capex_per_period", {"2029": 1e9}))
case("ref-fx-missing", "problem.fx: no exchange rate for USD into CNY", at("chips.custom.0.price_currency", "USD"))
case("ref-plugin-disable-unknown", "plugins.disable = 'nope': unknown plugin", at("plugins", {"disable": ["nope"]}))
case("ref-bad-id-pattern", "chips.custom[T A].id = 'T A': String should match pattern", at("chips.custom.0.id", "T A"))
case("ref-sources-unknown-field", "chips.custom[t.a].sources = ", at("chips.custom.0.sources", {"bogus": "x"}))
case("ref-year-last-before-available", "chips.custom[t.a].year_last = 2019: year_last 2019 is before",
     at("chips.custom.0.year_last", 2019))
case("ref-scenario-bad-key", "hbm.suply (from scenario 'tight'): unknown key (did you mean 'supply'?)", at("scenarios.tight", {"hbm.suply.p1": 1}),
     args="--scenario tight")

# -- text and structure ---------------------------------------------------------------------------------------------
case("text-escape-code-in-name", "problem.name: contains the control character", at("problem.name", "x\x1b[31m"))
case("text-control-in-workload-name", "workloads[w].name: contains the control character",
     at("workloads.0.name", "chat\x07"))
case("text-control-in-key", "contains the control character", at("problem.fx", {"U\x1bD": 7.0}))
case("text-nested-arrays", "nested more than 16", at("plugins", {"disable": [[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]}))

# -- the command line ----------------------------------------------------------------------------------------
for name, args, expect in [
    ("cli-set-no-equals", "--set problem.seed", "--set = 'problem.seed': expected KEY=VALUE"),
    ("cli-set-bad-key", "--set problem..seed=1", "not a valid dotted key"),
    ("cli-set-unclosed-array", "--set problem.periods=[2030,2031", "not a valid TOML value"),
    ("cli-set-unclosed-table", "--set hbm.supply={p1=1", "not a valid TOML value"),
    ("cli-set-unknown-key", "--set problem.sed=1", "problem.sed: unknown key (did you mean 'seed'?)"),
    ("cli-set-nan", "--set problem.discount_rate=nan", "problem.discount_rate"),
    ("cli-set-string-number", "--set 'problem.discount_rate=\"0.08\"'", "problem.discount_rate = '0.08'"),
    ("cli-set-scale-negative", "--set hbm.supply.p1={scale=-1}", "scale must be a finite number >= 0"),
    ("cli-set-scale-bool", "--set problem.name={scale=2}", "problem.name"),
    ("cli-set-scale-absent", "--set chips.allow_cloud_only={scale=2}", "nothing to scale"),
    ("cli-scenario-unknown", "--scenario tigth", "(did you mean 'tight'?)"),
    ("cli-time-limit-nan", "--time-limit nan", "--time-limit"),
    ("cli-time-limit-inf", "--time-limit inf", "--time-limit"),
    ("cli-time-limit-zero", "--time-limit 0", "--time-limit"),
    ("cli-time-limit-word", "--time-limit soon", "--time-limit"),
    ("cli-gap-one", "--gap 1", "--gap"),
    ("cli-gap-nan", "--gap nan", "--gap"),
    ("cli-threads-zero", "--threads 0", "--threads"),
    ("cli-unknown-option", "--bogus", "No such option '--bogus'"),
    ("cli-disable-unknown-plugin", "--disable-plugin nope", "unknown plugin"),
    ("cli-write-model-extension", "--write-model model.txt", "--write-model"),
    ("cli-validate-set-unknown", "--set problem.bogus=1", "problem.bogus: unknown key", ),
]:
    case(name, expect, None, args=args, command="validate" if name.startswith("cli-validate") else "solve")
case("cli-study-grid-no-values", "--grid", None, args="--grid problem.seed --out {tmp}/out", command="study")
case("cli-study-grid-bad-key", "problem.sed", None, args="--grid problem.sed=1,2 --out {tmp}/out", command="study")
case("cli-study-missing-out", "Missing option '--out'", None, args="--grid problem.seed=1,2", command="study")
case("cli-study-out-under-a-file", "--out {tmp}/bad/x: cannot create it", None,
     args="--grid problem.seed=1,2 --out {tmp}/bad/x", command="study")
case("cli-solve-out-under-a-file", "--out {tmp}/bad/x: cannot create it", None, args="--out {tmp}/bad/x")
# (appended here, not among the references above, so that no earlier case is renumbered)
case("ref-gemm-above-peak", "chips.custom[t.a].gemm_tflops = {'fp8': 150.0}: gemm_tflops fp8 = 150 is above the "
     "dense peak (tflops fp8 = 100)", at("chips.custom.0.gemm_tflops", {"fp8": 150.0}))


def write() -> int:
    (HERE.parent / "corpus-base.toml").write_text(
        "# The valid problem every case of tests/data/bad/ changes in one place (written by bad/make.py)\n"
        + dump(BASE), encoding="utf-8")
    for old in HERE.glob("*.toml"):
        old.unlink()
    for n, (name, expect, change, args, command) in enumerate(CASES, 1):
        header = [f"# expect: {expect}"]
        if args:
            header.append(f"# args: {args}")
        if command != "solve":
            header.append(f"# command: {command}")
        if isinstance(change, str):
            body = change
        else:
            data = copy.deepcopy(BASE)
            if change is not None:
                change(data)
            body = dump(data)
        path = HERE / f"{n:03d}-{name}.toml"
        path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    return len(CASES)


if __name__ == "__main__":
    print(f"{write()} cases in {HERE}")
