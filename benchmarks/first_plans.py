"""The two first plans of a solve, side by side: the support MIP's and the structure MIP's (docs/solving.md, section 2).

    python benchmarks/first_plans.py                 # the 20 perturbed national variants of race.py
    python benchmarks/first_plans.py --seeds 5 13    # some of them
    python benchmarks/first_plans.py --rungs 1 2 3   # ladder rungs instead

For every case, in this process, one HiGHS thread, the worker's own steps (``tokenplan.highs_worker.Worker``):
the LP relaxation (its bound), the support MIP (every count the LP leaves at 0 fixed at 0) and, in a worker of its
own that knows no plan, the structure MIP (the relaxed-counts model's structure fixed, the counts solved under
it). Prints each plan, how far above the LP bound it is, and its seconds. Not run in CI.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ladder import RUNGS  # noqa: E402
from race import GAP, label, worker_payload_for  # noqa: E402

from tokenplan.highs_worker import INT_TOL, Worker  # noqa: E402


def measure(name: str, time_limit: float) -> dict[str, float]:
    payload = worker_payload_for(name, time_limit)

    worker = Worker(payload, io.BytesIO())
    x, bound = worker.relaxation(True)
    if x is None:
        raise SystemExit(f"{label(name)}: no LP relaxation")
    t0 = time.perf_counter()
    support = worker.without(worker.counts[x[worker.counts] <= INT_TOL], seconds=time_limit, gap=GAP / 4,
                             work="support")
    t_support = time.perf_counter() - t0

    other = Worker(payload, io.BytesIO())  # knows no plan, so the structure MIP runs whatever the support found
    t0 = time.perf_counter()
    other.structure_plan()
    t_structure = time.perf_counter() - t0

    return {"bound": bound, "support": math.nan if support is None else worker.objective(support),
            "support_s": t_support,
            "structure": other.best, "structure_s": t_structure}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="*", default=list(range(20)))
    ap.add_argument("--rungs", type=int, nargs="*", help=f"ladder rungs (0-{len(RUNGS) - 1}) instead")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    names = [f"rung:{i}" for i in args.rungs] if args.rungs is not None else [f"perturbed:{k}" for k in args.seeds]
    print("| case | LP bound | support MIP: plan (above the bound, s) | structure MIP: plan (above the bound, s) |")
    print("|---|---|---|---|")
    above: dict[str, list[float]] = {"support": [], "structure": []}
    for name in names:
        r = measure(name, args.time_limit)
        cells = []
        for step in ("support", "structure"):
            pct = 100 * (r[step] - r["bound"]) / r[step]
            above[step].append(pct)
            cells.append(f"{r[step]:,.1f} ({pct:.3f} %, {r[step + '_s']:.1f} s)")
        print(f"| {label(name)} | {r['bound']:,.1f} | {cells[0]} | {cells[1]} |", flush=True)
    better = sum(b < a for a, b in zip(above["support"], above["structure"]))
    print(f"- structure MIP better on {better} of {len(names)}; median above the LP bound: support "
          f"{statistics.median(above['support']):.3f} %, structure {statistics.median(above['structure']):.3f} %; "
          f"within {100 * GAP:g} % of the LP bound: support {sum(p <= 100 * GAP for p in above['support'])}, "
          f"structure {sum(p <= 100 * GAP for p in above['structure'])}")


if __name__ == "__main__":
    main()
