"""The cut-off search under three sets of column bounds, side by side (docs/solving.md, section 3).

    python benchmarks/plan_bounds.py                                  # ladder rungs 0 and 1
    python benchmarks/plan_bounds.py --rungs 0 --shipped quickstart --repeat 5

For every case, in this process, one HiGHS thread: HiGHS alone on the model (its defaults, gap 0.1 %), then the
worker's cut-off search (``tokenplan.highs_worker``: heuristics off, ``objective_bound`` at HiGHS alone's plan
less 0.999 x the gap) under the model's own bounds, under the reduced-cost bounds of that cut-off
(``Worker.reduced_cost_bounds``) and under the LP maxima (``Worker.plan_bounds``), each with its time and the
seconds spent computing its bounds. The ratios are to HiGHS alone in the same run; the best of ``--repeat``
runs each. Not run in CI.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from ladder import RUNGS  # noqa: E402
from race import GAP, label, worker_payload_for  # noqa: E402

from tokenplan.highs_worker import CUTOFF_SHARE, Worker, bound_search  # noqa: E402


def timed_run(worker: Worker, lower: np.ndarray | None, upper: np.ndarray | None, cutoff: float | None,
              time_limit: float) -> tuple[float, str, float]:
    """One HiGHS run of the worker's model (under these bounds and cut-off): seconds, status, objective."""
    h = worker.new_highs(log=False)
    n = int(worker.lp["n_col"])
    if lower is not None:
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), lower, upper)
    if cutoff is not None:
        bound_search(h)
        h.setOptionValue("objective_bound", cutoff)
    h.setOptionValue("time_limit", time_limit)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    return seconds, h.modelStatusToString(h.getModelStatus()), h.getInfo().objective_function_value


def measure(name: str, time_limit: float, repeat: int) -> dict[str, object]:
    payload = worker_payload_for(name, time_limit)
    worker = Worker(payload, io.BytesIO())
    runs = [timed_run(worker, None, None, None, time_limit) for _ in range(repeat)]
    alone, plan = min(r[0] for r in runs), runs[0][2]
    cutoff = plan - CUTOFF_SHARE * GAP * abs(plan)
    worker.relaxation(True)
    out: dict[str, object] = {"case": label(name), "ints": len(worker.integer), "alone_s": alone}
    for key, bounds in (("none", lambda: (None, None)), ("reduced", lambda: worker.reduced_cost_bounds(cutoff)),
                        ("lp_max", lambda: worker.plan_bounds(cutoff))):
        best = None
        for _ in range(repeat):
            worker.last_plan_bounds = None  # computed afresh each time
            t0 = time.perf_counter()
            lower, upper = bounds()
            t_bounds = time.perf_counter() - t0
            seconds, status, _ = timed_run(worker, lower, upper, cutoff, time_limit)
            if best is None or t_bounds + seconds < best[0] + best[1]:
                best = (t_bounds, seconds, status)
        out[key] = best
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rungs", type=int, nargs="*", default=[0, 1])
    ap.add_argument("--shipped", nargs="*", default=[], help="shipped problems too (e.g. quickstart)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    print("| case | ints | HiGHS alone s | cut-off search, model's bounds: s (ratio) | reduced-cost bounds: bounds s "
          "+ search s (ratio) | LP maxima: bounds s + search s (ratio) |")
    print("|---|---|---|---|---|---|")
    for rung in args.rungs:
        if not 0 <= rung < len(RUNGS):
            raise SystemExit(f"no rung {rung}")
    for name in [f"rung:{rung}" for rung in args.rungs] + [f"shipped:{stem}" for stem in args.shipped]:
        r = measure(name, args.time_limit, args.repeat)
        alone = r["alone_s"]
        cells = []
        for key in ("none", "reduced", "lp_max"):
            t_bounds, seconds, status = r[key]
            total = t_bounds + seconds
            lead = f"{seconds:.3f}" if key == "none" else f"{t_bounds:.3f} + {seconds:.3f}"
            cells.append(f"{lead} {status} ({total / alone:.2f})")
        print(f"| {r['case']} | {r['ints']} | {alone:.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
