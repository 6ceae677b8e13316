"""The study benchmark (issue 10, item 3): a 100-scenario study of the national ladder rung, run twice side by
side in one process: with resident models (patched where a scenario allows) and neighbour MIP starts, then
with every scenario rebuilt from scratch and started cold.

    python benchmarks/study.py                       # 100 scenarios, 2 workers, gap 1 %, 30 s per scenario
    python benchmarks/study.py --hbm 3 --export 2 --subsidy 2 --workers 1
    python benchmarks/study.py --dask                # also on a Dask LocalCluster: is its summary identical?

The grid: export-control variants x AI-city subsidy rates x HBM supply levels (HBM last, so chains run
along it: one rebuild, then patches). Per mode it prints the wall time, the statuses, the modelling overhead
per scenario (everything but HiGHS's own time: loading, coefficients, build or patch, compile, hand-over,
result), HiGHS's time per scenario (wall-clock and the solver process's CPU seconds: on a loaded machine the
wall-clock time is the load's as much as HiGHS's), how many scenarios were patched and how many MIP starts
were used; then the ratios, over all scenarios and paired scenario by scenario. With ``--dask``, the
persistent mode runs a third time on a ``distributed.LocalCluster`` (as many workers, one thread each) and
its summary is compared with the local one exactly: statuses, objectives to the bit, accelerators per chip.
Not run in CI; the numbers go in the issue note and docs/studies.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ladder

#: export-control variants that keep the rung feasible (a stricter TPP threshold leaves too few chips)
EXPORT = [("as-is", {}), ("tpp-8000", {"tpp_threshold": 8000.0}),
          ("licensed", {"allow": ["bench.c1", "bench.c2", "bench.c4"]}), ("deny-c7", {"deny": ["bench.c7"]})]


def problem() -> dict[str, Any]:
    """The national rung, with a tenth of its sites tagged as AI cities (the subsidy's sites)."""
    p = ladder.problem(*ladder.RUNGS[-1])
    for k, region in enumerate(p["regions"]):
        if k % 10 == 0:
            region["tags"] = ["cn-ai-city"]
    return p


def spec(n_hbm: int, n_export: int, n_subsidy: int, time_limit: float, gap: float) -> Any:
    from tokenplan.studies.spec import Level, StudySpec

    hbm = [0.8 + 0.4 * i / max(1, n_hbm - 1) for i in range(n_hbm)]
    rates = [0.2 + 0.4 * i / max(1, n_subsidy - 1) for i in range(n_subsidy)]
    axes = [
        ("export", [Level(name, tuple(((("rules", "cn.export_controls", k)), v) for k, v in params.items()))
                    for name, params in EXPORT[:n_export]]),
        ("subsidy", [Level(round(r, 3), ((("rules", "cn.national_ai_city", "rate"), round(r, 3)),)) for r in rates]),
        ("hbm", [Level(f"x{h:.2f}", ((("hbm", "supply", "cn"), {"scale": round(h, 4)}),)) for h in hbm]),
    ]
    return StudySpec(name="national-study", source="benchmarks/study.py", problem_path="<ladder national>",
                     problem_data=problem(), kind="sweep", combine="grid", axes=axes, time_limit_s=time_limit,
                     mip_gap=gap)


def run_mode(name: str, study_spec: Any, workers: int, persistent: bool, warm: bool,
             scheduler: str | None = None) -> dict[str, Any]:
    import tokenplan

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        study = tokenplan.study(study_spec, out=Path(out) / name, workers=None if scheduler else workers,
                                scheduler=scheduler, persistent=persistent, warm_start=warm)
        wall = time.perf_counter() - t0
        summary = study.summary
    records = study.records
    solved = [r for r in records if r.get("objective") is not None]
    overhead = [r["overhead_s"] for r in records if "overhead_s" in r]
    highs = [r["highs_s"] for r in records if "highs_s" in r]
    cpu = [r["highs_cpu_s"] for r in records if r.get("highs_cpu_s") is not None]
    patched = [r["overhead_s"] for r in records if r.get("rebuild") is False and "overhead_s" in r]
    rebuilt = [r["overhead_s"] for r in records if r.get("rebuild") is True and "overhead_s" in r]
    statuses: dict[str, int] = {}
    for r in records:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {
        "mode": name, "scenarios": len(records), "wall_s": wall, "statuses": statuses,
        "overhead_median_s": statistics.median(overhead), "overhead_mean_s": statistics.fmean(overhead),
        "overhead_max_s": max(overhead), "highs_median_s": statistics.median(highs),
        "highs_mean_s": statistics.fmean(highs), "highs_cpu_median_s": statistics.median(cpu) if cpu else None,
        "highs_cpu_mean_s": statistics.fmean(cpu) if cpu else None,
        "overhead_patched_median_s": statistics.median(patched) if patched else None,
        "overhead_rebuilt_median_s": statistics.median(rebuilt) if rebuilt else None,
        "patched": sum(1 for r in records if r.get("rebuild") is False),
        "starts_given": sum(1 for r in records if r.get("start_given")),
        "starts_used": sum(1 for r in records if r.get("start_used")),
        # by position: a scenario's id includes its solve options (MIP starts on or off), so the modes differ
        "objectives": {r["position"]: r.get("objective") for r in solved},
        "per_scenario": {r["position"]: {k: r.get(k) for k in ("params", "status", "objective", "gap", "highs_s",
                                                               "highs_cpu_s", "overhead_s", "start_given",
                                                               "start_used", "model", "worker")}
                         for r in records},
        "summary": summary,
        "reasons": sorted({r.get("model", "") for r in records if r.get("rebuild")})[:6],
    }


def dask_comparison(local: dict[str, Any], dask: dict[str, Any]) -> str:
    """How many scenarios have the same status, objective (to the bit) and accelerators per chip on Dask as
    locally, and which differ."""
    a, b = (row["summary"].set_index("id") for row in (local, dask))
    chips = sorted(c for c in set(a.columns) | set(b.columns) if c.startswith("accelerators."))
    same, differ = 0, []
    for sid in a.index:
        x, y = a.loc[sid], b.loc[sid] if sid in b.index else None
        fleet = y is not None and all(int(x.get(c, 0) or 0) == int(y.get(c, 0) or 0) for c in chips)
        objective = y is not None and (x["objective"] == y["objective"] or (x["objective"] != x["objective"]
                                                                           and y["objective"] != y["objective"]))
        if y is not None and x["status"] == y["status"] and objective and fleet:
            same += 1
        else:
            differ.append((x.get("position"), None if y is None else (x["status"], y["status"], x["objective"],
                                                                     y["objective"])))
    return f"Dask LocalCluster against local: {same} of {len(a)} scenarios identical; differ: {differ}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hbm", type=int, default=5)
    parser.add_argument("--export", type=int, default=4, choices=range(1, len(EXPORT) + 1))
    parser.add_argument("--subsidy", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--dask", action="store_true", help="also run the persistent mode on a Dask LocalCluster")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    study_spec = spec(args.hbm, args.export, args.subsidy, args.time_limit, args.gap)
    n = len(study_spec.expand())
    print(f"{n} scenarios of the national rung, {args.workers} workers, gap {args.gap:g}, {args.time_limit:g} s each",
          flush=True)
    rows = [run_mode("persistent", study_spec, args.workers, True, True),
            run_mode("rebuild-cold", study_spec, args.workers, False, False)]
    if args.dask:
        import distributed

        with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster:
            rows.append(run_mode("persistent-dask", study_spec, args.workers, True, True,
                                 scheduler=cluster.scheduler_address))
    head = ("mode", "scenarios", "wall_s", "overhead_median_s", "overhead_mean_s", "overhead_max_s",
            "overhead_patched_median_s", "overhead_rebuilt_median_s", "highs_median_s", "highs_mean_s",
            "highs_cpu_median_s", "highs_cpu_mean_s", "patched", "starts_given", "starts_used", "statuses")
    print(" | ".join(head))
    for row in rows:
        print(" | ".join(f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k]) for k in head), flush=True)
    fast, slow = rows[:2]
    same = [i for i, v in fast["objectives"].items() if i in slow["objectives"]]
    worse = [i for i in same if fast["objectives"][i] > slow["objectives"][i] * (1 + args.gap)]
    better = [i for i in same if slow["objectives"][i] > fast["objectives"][i] * (1 + args.gap)]
    print(f"overhead ratio rebuild / persistent: median {slow['overhead_median_s'] / fast['overhead_median_s']:.1f}x, "
          f"mean {slow['overhead_mean_s'] / fast['overhead_mean_s']:.1f}x")
    print(f"HiGHS time persistent / cold: median {fast['highs_median_s'] / slow['highs_median_s']:.2f}, "
          f"mean {fast['highs_mean_s'] / slow['highs_mean_s']:.2f}")
    if fast["highs_cpu_median_s"] and slow["highs_cpu_median_s"]:
        print("HiGHS CPU time persistent / cold: median "
              f"{fast['highs_cpu_median_s'] / slow['highs_cpu_median_s']:.2f}, "
              f"mean {fast['highs_cpu_mean_s'] / slow['highs_cpu_mean_s']:.2f}")
    for key, what in (("highs_s", "wall"), ("highs_cpu_s", "CPU")):
        pairs = [(fast["per_scenario"][i].get(key), slow["per_scenario"][i].get(key)) for i in fast["per_scenario"]
                 if i in slow["per_scenario"]]
        pairs = [(a, b) for a, b in pairs if a is not None and b]
        if pairs:
            ratios = [a / b for a, b in pairs]
            print(f"HiGHS {what} time paired by scenario, persistent / cold: median {statistics.median(ratios):.2f}, "
                  f"total {sum(a for a, _ in pairs) / sum(b for _, b in pairs):.2f}, "
                  f"slower in {sum(1 for r in ratios if r > 1)} of {len(ratios)}")
    hit = fast["starts_used"] / fast["starts_given"] if fast["starts_given"] else float("nan")
    print(f"MIP-start hit rate: {hit:.0%}; "
          f"MIP starts used: {fast['starts_used']} of {fast['starts_given']} given; "
          f"patched {fast['patched']} of {fast['scenarios']}; rebuilt because: {fast['reasons']}")
    print(f"objectives: {len(same)} compared; persistent worse than cold by more than the gap: {len(worse)} "
          f"{sorted(worse)}, better: {len(better)} {sorted(better)}")
    print(f"wall time ratio rebuild / persistent: {slow['wall_s'] / fast['wall_s']:.2f}")
    if args.dask:
        print(dask_comparison(rows[0], rows[2]))
    if args.json:
        for row in rows:
            row.pop("summary", None)
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
