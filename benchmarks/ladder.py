"""The scale ladder: synthetic problems from a quick start to a national plan, timed stage by stage.

    python benchmarks/ladder.py                 # every rung, 60 s time limit each
    python benchmarks/ladder.py --rungs 0 1 --time-limit 20

Per rung it prints the model size, the time of each stage (selection + coefficients, Pyomo build, matrix
compile, solve), the first incumbent, status, gap and the parent's peak memory. Not run in CI; numbers go in
the issue notes. Problems are generated deterministically (seeded) with inline chips and coolings, so the
ladder means the same on every machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from typing import Any

#: (regions, chips, periods, workloads)
RUNGS = [(3, 5, 3, 1), (8, 10, 5, 2), (20, 15, 5, 3), (40, 25, 6, 4)]


def problem(regions: int, chips: int, periods: int, workloads: int, seed: int = 1) -> dict[str, Any]:
    rnd = random.Random(seed)
    years = [2026 + t for t in range(periods)]
    chip_list = []
    for i in range(chips):
        domestic = i % 3 == 0
        chip_list.append({
            "id": f"bench.c{i}", "vendor": "Bench", "origin": "CN" if domestic else "US",
            "year_available": rnd.choice(years[: max(1, periods // 2)]),
            "tflops": {"fp8": rnd.choice([300, 800, 1000, 2000, 2500, 4500])}, "hbm_gb": rnd.choice([64, 96, 141, 192]),
            "hbm_stacks": rnd.choice([4, 6, 8]), "hbm_pool": "cn" if domestic else "global",
            "mem_bw_tbs": rnd.choice([1.6, 3.35, 4.8, 8.0]), "tdp_w": rnd.choice([400, 700, 1000, 1200]),
            "unit_size": rnd.choice([8, 8, 16, 72]), "price_per_accel": rnd.uniform(80e3, 300e3),
            "price_currency": "CNY", "cooling": ["b.air", "b.cp", "b.im"], "lifetime_years": rnd.choice([4, 5, 6]),
        })
    return {
        "problem": {"name": f"ladder-{regions}x{chips}x{periods}", "currency": "CNY", "periods": years,
                    "throughput_model": "flops", "time_limit_s": 60, "mip_gap": 1e-3},
        "workloads": [{"id": f"w{j}",
                       "tokens_per_day": {str(y): rnd.uniform(2e11, 6e11) * regions / workloads * 1.4 ** t
                                          for t, y in enumerate(years)},
                       "flops_per_token": rnd.uniform(1e11, 2e12), "utilisation": 0.4, "precision": "fp8",
                       "peak_to_average": 1.5} for j in range(workloads)],
        "regions": [{"id": f"site{k}", "country": "CN", "block_mw": rnd.choice([10, 20, 50]),
                     "power_mw": {str(y): rnd.uniform(100, 600) * (1 + 0.25 * t) for t, y in enumerate(years)},
                     "facility_capex_per_mw": rnd.uniform(30e6, 60e6), "power_price_per_kwh": rnd.uniform(0.3, 0.7),
                     "pue_cap": rnd.choice([1.25, 1.3, 1.5])} for k in range(regions)],
        "chips": {"allow": ["bench.*"], "custom": chip_list},
        "coolings": {"allow": ["b.*"], "custom": [
            {"id": "b.air", "pue": 1.4, "max_rack_kw": 40, "capex_per_kw_it": 0, "opex_per_kw_it_year": 0},
            {"id": "b.cp", "pue": 1.15, "max_rack_kw": 200, "capex_per_kw_it": 10_000, "opex_per_kw_it_year": 100,
             "site_fixed_cost": 20e6},
            {"id": "b.im", "pue": 1.07, "max_rack_kw": 200, "capex_per_kw_it": 14_000, "opex_per_kw_it_year": 150,
             "site_fixed_cost": 40e6}]},
        "hbm": {"supply": {"cn": {str(y): 3e4 * regions * (1 + t) for t, y in enumerate(years)}}},
    }


def run(rung: tuple[int, int, int, int], time_limit: float) -> dict[str, Any]:
    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.matrix import compile_matrix
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions
    from tokenplan.solver import run as run_solver

    t0 = time.perf_counter()
    data = compute(select(tokenplan.load(problem(*rung))))
    t1 = time.perf_counter()
    model = build(data)
    t2 = time.perf_counter()
    matrix = compile_matrix(model)
    t3 = time.perf_counter()
    sol = run_solver(model, SolveOptions(time_limit_s=time_limit, mip_gap=1e-3, duals=False))
    t4 = time.perf_counter()
    return {
        "rung": "x".join(map(str, rung)), "rows": matrix.lp["n_row"], "cols": matrix.lp["n_col"],
        "nnz": len(matrix.lp["a_value"]), "ints": int(matrix.lp["integrality"].sum()),
        "coef_s": t1 - t0, "build_s": t2 - t1, "compile_s": t3 - t2, "solve_s": t4 - t3,
        "first_s": sol.timings.get("first_incumbent_s"), "status": sol.status,
        "gap": sol.gap, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", type=int, nargs="*", default=list(range(len(RUNGS))))
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    head = ("rung", "rows", "cols", "nnz", "ints", "coef_s", "build_s", "compile_s", "solve_s", "first_s",
            "status", "gap", "peak_mb")
    print(" | ".join(head))
    for i in args.rungs:
        row = run(RUNGS[i], args.time_limit)
        print(" | ".join(f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k]) for k in head), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
