"""Builders of tiny self-contained problems (inline chips and coolings, flops mode) for the tests.

The base problem: one period (2030), one workload of 1,000 tokens/s (86.4 M tokens/day at 1e12 FLOP/token
and utilisation 1), one region with ample power and free facility, energy and maintenance, one chip
``t.a`` (100 TFLOPS fp8 -> 100 tokens/s, 1 kW, 1 M CNY, lifetime 1 year so no salvage) and one cooling
``t.air`` (PUE 1, no cost). Tests change what they need and compute the optimum by hand.
"""

from __future__ import annotations

import copy
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

