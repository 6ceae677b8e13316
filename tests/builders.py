"""Builders of tiny self-contained problems (inline chips and coolings, flops mode) for the tests.

The base problem: one period (2030), one workload of 1,000 tokens/s (86.4 M tokens/day at 1e12 FLOP/token
and utilisation 1), one region with ample power and free facility, energy and maintenance, one chip
``t.a`` (100 TFLOPS fp8 -> 100 tokens/s, 1 kW, 1 M CNY, lifetime 1 year so no salvage) and one cooling
``t.air`` (PUE 1, no cost). Tests change what they need and compute the optimum by hand.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

M = 1e6  # one million (the model's money unit)

CHIP_A: dict[str, Any] = {
    "id": "t.a", "vendor": "Test", "origin": "CN", "year_available": 2020,
    "tflops": {"fp8": 100.0}, "hbm_gb": 80, "hbm_stacks": 8, "hbm_pool": "p1",
    "tdp_w": 1000, "unit_size": 1, "price_per_accel": 1 * M, "price_currency": "CNY",
    "cooling": ["t.air"], "lifetime_years": 1,
}
AIR: dict[str, Any] = {"id": "t.air", "pue": 1.0, "max_rack_kw": 100, "capex_per_kw_it": 0,
                       "opex_per_kw_it_year": 0}


def chip(**changes: Any) -> dict[str, Any]:
    """A copy of chip t.a with changes (e.g. ``chip(id="t.b", tflops={"fp8": 250})``)."""
    out = copy.deepcopy(CHIP_A)
    out.update(changes)
    return out


def cooling(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(AIR)
    out.update(changes)
    return out


def base_problem() -> dict[str, Any]:
    return {
        "problem": {"name": "t", "currency": "CNY", "periods": [2030], "discount_rate": 0.0,
                    "throughput_model": "flops", "load_factor": 1.0, "maintenance_rate": 0.0,
                    "time_limit_s": 30, "mip_gap": 0.0},
        "workloads": [{"id": "w", "tokens_per_day": 86400 * 1000.0, "flops_per_token": 1e12,
                       "utilisation": 1.0, "precision": "fp8"}],
        "regions": [{"id": "r1", "country": "CN", "power_mw": 100, "block_mw": 1,
                     "facility_capex_per_mw": 0, "power_price_per_kwh": 0.0}],
        "chips": {"allow": ["t.*"], "custom": [chip()]},
        "coolings": {"allow": ["t.*"], "custom": [cooling()]},
    }


def solve(problem: dict[str, Any], **kwargs: Any) -> Any:
    import tokenplan

    return tokenplan.solve(tokenplan.load(problem), **kwargs)


def bought(result: Any) -> dict[tuple[Any, ...], int]:
    """(period, region, chip, cooling) -> accelerators bought, for rows with purchases."""
    plan = result.plan
    return {(r.period, r.region, r.chip, r.cooling): int(r.accelerators_bought)
            for r in plan.itertuples() if r.accelerators_bought}


def by_chip(result: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, _, c, _), n in bought(result).items():
        out[c] = out.get(c, 0) + n
    return out



def hard_problem(n_regions: int = 14, n_chips: int = 7, periods: tuple[int, ...] = (2030, 2031, 2032, 2033),
                 seed: int = 7) -> dict[str, Any]:
    """A problem made hard on purpose: many sites with lumpy facility blocks under tight grid caps, chips
    in odd unit sizes, coolings with site fixed costs and an HBM cap. HiGHS does not close the gap on it
    within a minute on a 2-core machine (measured: 0.17% gap left after 60 s)."""
    import random

    rnd = random.Random(seed)
    p = base_problem()
    p["problem"].update(periods=list(periods), discount_rate=0.05, mip_gap=0.0, load_factor=0.8)
    p["workloads"] = [{"id": f"w{j}", "tokens_per_day": {str(y): 86400 * rnd.uniform(4e4, 9e4) * (1 + 0.4 * t)
                                                         for t, y in enumerate(periods)},
                       "flops_per_token": 1e12 * rnd.uniform(0.5, 3), "utilisation": 1.0, "precision": "fp8"}
                      for j in range(3)]
    p["chips"]["custom"] = [chip(id=f"t.c{i}", tflops={"fp8": rnd.choice([97, 131, 173, 211, 257, 307, 353])},
                                 tdp_w=rnd.choice([700, 950, 1130, 1370]), unit_size=rnd.choice([3, 5, 7, 11]),
                                 price_per_accel=rnd.uniform(0.7, 2.9) * M, lifetime_years=rnd.choice([2, 3]),
                                 cooling=["t.air", "t.cp", "t.im"], hbm_pool=rnd.choice(["p1", "p2"]))
                            for i in range(n_chips)]
    p["coolings"]["custom"] = [cooling(pue=1.45, max_rack_kw=40),
                               cooling(id="t.cp", pue=1.17, capex_per_kw_it=9000, site_fixed_cost=3.1 * M),
                               cooling(id="t.im", pue=1.06, capex_per_kw_it=15000, site_fixed_cost=7.7 * M)]
    p["regions"] = [{"id": f"r{k}", "country": "CN", "block_mw": rnd.choice([0.13, 0.17, 0.19, 0.23, 0.29]),
                     "power_mw": {str(y): rnd.uniform(0.4, 1.3) * (1 + 0.3 * t) for t, y in enumerate(periods)},
                     "facility_capex_per_mw": rnd.uniform(20, 60) * M,
                     "power_price_per_kwh": rnd.uniform(0.3, 0.9)}
                    for k in range(n_regions)]
    p["hbm"] = {"supply": {"p1": {str(y): 4000 * (1 + t) for t, y in enumerate(periods)}}}
    return p


def toml_value(v: Any) -> str:
    """A TOML literal for a test value (scalars, lists, inline tables; infinities as ``inf``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


def write_toml(tmp_path: Path, data: dict) -> str:
    """A minimal TOML writer for the test problems (tables, arrays of tables, scalars, inline tables)."""
    value = toml_value

    lines = []
    for section, content in data.items():
        if isinstance(content, list):
            for item in content:
                lines.append(f"[[{section}]]")
                lines += [f'"{k}" = {value(v)}' for k, v in item.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f'"{k}" = {value(v)}' for k, v in content.items()]
    path = tmp_path / "problem.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)
