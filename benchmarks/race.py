"""The race: tokenplan end to end against HiGHS alone on the same model, side by side in one run.

    python benchmarks/race.py                                  # ladder, shipped problems, 20 perturbed national
    python benchmarks/race.py --rungs 0 1 --shipped quickstart --perturbed 0 --time-limit 30
    python benchmarks/race.py --rungs --shipped --perturbed 20 # only the perturbed national variants
    python benchmarks/race.py --rungs --shipped --seeds 5 13   # only perturbed national variants 5 and 13
    python benchmarks/race.py --json out.json                  # also write every measurement
    python benchmarks/race.py --portfolio --highs-from out.json # HiGHS alone's side taken from a previous run

For every case (a rung of ``ladder.py``, a shipped problem, a seeded variant of the national rung with demand,
power caps, prices and HBM supply each scaled by a factor in [0.85, 1.15]):

- **tokenplan**, in a process of its own: rows, columns, integers; the stage times (coefficients, build,
  compile, hand-over); the time to the first plan, to 1 % and to 0.1 % gap, all from the start of the command;
  the whole command's time; the final status and gap; the peak memory of the command and of its solver
  process;
- **HiGHS alone** on the MPS file that ``--write-model`` exports for the same model (``highspy`` reading it,
  one thread, the same gap and time limit, its own clock from ``readModel``): the time to the first plan and
  to 0.1 %, the final gap;
- the **ratio** of the two times to 0.1 % (below 1: tokenplan is sooner).

One thread for HiGHS in both. ``RACE_HEURISTICS=0`` runs tokenplan without its heuristic phases (HiGHS in the
worker from the start), to measure what the phases are worth. Not run in CI; results go in
``docs/performance.md`` with the machine and the versions. The machine is shared and noisy: compare the ratios of
one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from ladder import RUNGS, problem as ladder_problem  # noqa: E402, I001

SHIPPED = {p.stem: p for p in sorted((ROOT / "problems").glob("*.toml"))}
NATIONAL = len(RUNGS) - 1
GAP = 1e-3


# -- cases ------------------------------------------------------------------------------------------------
def perturbed(seed: int) -> dict[str, Any]:
    """The national rung with demand, power caps, prices and HBM supply each moved by up to +/-15 % (seeded)."""
    p = ladder_problem(*RUNGS[NATIONAL])
    rnd = random.Random(1000 + seed)

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v * rnd.uniform(0.85, 1.15) for k, v in value.items()}
        return value * rnd.uniform(0.85, 1.15)

    for w in p["workloads"]:
        w["tokens_per_day"] = move(w["tokens_per_day"])
    for r in p["regions"]:
        r["power_mw"] = move(r["power_mw"])
        r["power_price_per_kwh"] = move(r["power_price_per_kwh"])
    for c in p["chips"]["custom"]:
        c["price_per_accel"] = move(c["price_per_accel"])
    p["hbm"]["supply"] = {pool: move(table) for pool, table in p["hbm"]["supply"].items()}
    p["problem"]["name"] = f"national-perturbed-{seed}"
    return p


def case(name: str) -> Any:
    kind, _, arg = name.partition(":")
    if kind == "rung":
        return ladder_problem(*RUNGS[int(arg)])
    if kind == "shipped":
        return SHIPPED[arg]
    if kind == "perturbed":
        return perturbed(int(arg))
    raise SystemExit(f"unknown case {name!r}")


def worker_payload_for(name: str, time_limit: float) -> dict[str, Any]:
    """What the solver process gets for case ``name`` (one HiGHS thread, the race's gap): ``first_plans.py``
    and ``plan_bounds.py`` run the worker's steps on it in process (``tokenplan.highs_worker.Worker``)."""
    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.matrix import compile_matrix
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions, worker_payload

    model = build(compute(select(tokenplan.load(case(name)))))
    matrix = compile_matrix(model)
    return worker_payload(model, matrix, SolveOptions(time_limit_s=time_limit, mip_gap=GAP, duals=False))


def label(name: str) -> str:
    kind, _, arg = name.partition(":")
    if kind == "rung":
        return "x".join(map(str, RUNGS[int(arg)]))
    return arg if kind == "shipped" else f"national {arg}"


# -- the two contestants, each in a process of its own -----------------------------------------------------
def run_tokenplan(name: str, time_limit: float, mps: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    import tokenplan
    from tokenplan.api import write_model_file
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions, prestart, run

    prestart(1)  # as tokenplan.solve does: the solver process starts up while the model is built
    problem = tokenplan.load(case(name))
    t_import = time.perf_counter() - t0
    data = compute(select(problem))
    t1 = time.perf_counter()
    model = build(data)
    t2 = time.perf_counter()
    sol = run(model, SolveOptions(time_limit_s=time_limit, mip_gap=GAP, duals=False, seed=problem.problem.seed,
                                  heuristic_start=os.environ.get("RACE_HEURISTICS", "1") == "1",
                                  portfolio=os.environ.get("RACE_PORTFOLIO") == "1"))
    t3 = time.perf_counter()
    worker = sol.timings.get("worker_s", sol.timings["solve_s"])
    # worker-relative seconds -> seconds from the start of the command (load, coefficients, build, compile,
    # start of the worker process and the hand-over of the arrays)
    offset = (t2 - t0) + sol.timings["compile_s"] + max(0.0, sol.timings["solve_s"] - worker)

    def since_start(value: float | None) -> float | None:
        return None if value is None else offset + value

    write_model_file(model, mps)
    lp = sol.matrix.lp
    return {
        "rows": int(lp["n_row"]), "cols": int(lp["n_col"]), "ints": int(lp["integrality"].sum()),
        "load_s": t_import, "coefficients_s": t1 - t0 - t_import, "build_s": t2 - t1,
        "compile_s": sol.timings["compile_s"], "handover_s": max(0.0, sol.timings["solve_s"] - worker),
        "first_s": since_start(sol.timings.get("first_incumbent_s")), "to_1pct_s": since_start(sol.time_to_gap(0.01)),
        "to_01pct_s": since_start(sol.time_to_gap(GAP)), "total_s": t3 - t0, "status": sol.status, "gap": sol.gap,
        "objective": sol.objective, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "incumbents": [(since_start(s), o, src) for s, o, src in sol.incumbents],
    }


def run_highs(mps: str, time_limit: float, trace: str, launched: float | None = None) -> None:
    """HiGHS alone reading the MPS file; every improving plan and bound move is appended to ``trace``. Its
    clock starts at ``readModel``; the first line says how long the process took to get there from
    ``launched`` (the parent's ``time.time()`` before it started the process: Python and highspy's import),
    so that HiGHS alone can also be timed as a command, from its start, as tokenplan is."""
    import highspy

    out = open(trace, "a", buffering=1)
    if launched is not None:
        out.write(json.dumps({"t": 0.0, "kind": "start", "startup": time.time() - launched, "primal": math.inf,
                              "dual": -math.inf}) + "\n")
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(mps)
    for option, value in (("threads", 1), ("mip_rel_gap", GAP), ("time_limit", time_limit), ("random_seed", 0)):
        h.setOptionValue(option, value)
    last = [-math.inf]

    def write(kind: str, primal: float, dual: float) -> None:
        out.write(json.dumps({"t": time.perf_counter() - t0, "kind": kind, "primal": primal, "dual": dual}) + "\n")

    def improving(e: Any) -> None:
        write("plan", float(e.data_out.objective_function_value), float(e.data_out.mip_dual_bound))

    def interrupt(e: Any) -> None:
        dual = float(e.data_out.mip_dual_bound)
        if dual > last[0] + 1e-9 * max(1.0, abs(dual)):
            last[0] = dual
            write("bound", float(e.data_out.objective_function_value), dual)

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(interrupt)
    h.run()
    info = h.getInfo()
    write("done", float(info.objective_function_value), float(info.mip_dual_bound))


def highs_summary(trace: str) -> dict[str, Any]:
    rows = [json.loads(line) for line in Path(trace).read_text().splitlines() if line.strip()]
    best, bound, first, to_01, to_1 = math.inf, -math.inf, None, None, None
    startup = next((row["startup"] for row in rows if row["kind"] == "start"), None)
    for row in rows:
        if row["kind"] in ("plan", "done") and math.isfinite(row["primal"]) and abs(row["primal"]) < 1e30:
            best = min(best, row["primal"])
            first = row["t"] if first is None and row["kind"] == "plan" else first
        if math.isfinite(row["dual"]) and abs(row["dual"]) < 1e30:
            bound = max(bound, row["dual"])
        gap = abs(best - bound) / max(abs(best), 1e-9) if math.isfinite(best) and math.isfinite(bound) else math.inf
        if to_1 is None and gap <= 0.01 + 1e-12:
            to_1 = row["t"]
        if to_01 is None and gap <= GAP + 1e-12:
            to_01 = row["t"]
    gap = abs(best - bound) / max(abs(best), 1e-9) if math.isfinite(best) and math.isfinite(bound) else None
    return {"first_s": first, "to_1pct_s": to_1, "to_01pct_s": to_01, "gap": gap, "startup_s": startup,
            "to_01pct_command_s": None if to_01 is None or startup is None else to_01 + startup,
            "objective": best if math.isfinite(best) else None, "total_s": rows[-1]["t"] if rows else None}


def race(name: str, time_limit: float, highs_from: dict[str, Any] | None = None) -> dict[str, Any]:
    """One case: tokenplan, then HiGHS alone on the exported MPS (or HiGHS's result for the same case from
    ``highs_from``, a previous run's ``--json``: the model is the same when only the strategy changed)."""
    with tempfile.TemporaryDirectory() as tmp:
        mps, trace = os.path.join(tmp, "model.mps"), os.path.join(tmp, "highs.jsonl")
        done = subprocess.run([sys.executable, __file__, "--contestant", "tokenplan", name, str(time_limit), mps],
                              capture_output=True, text=True, timeout=time_limit * 3 + 120)
        if done.returncode != 0:
            return {"case": name, "error": done.stderr.strip().splitlines()[-1:]}
        ours = json.loads(done.stdout.strip().splitlines()[-1])
        if highs_from is not None and name in highs_from:
            theirs = highs_from[name]
            return {"case": name, "tokenplan": ours, "highs": theirs, **ratios(ours, theirs), "highs_reused": True}
        try:
            subprocess.run([sys.executable, __file__, "--contestant", "highs", mps, str(time_limit), trace,
                            repr(time.time())], capture_output=True, timeout=time_limit + 10)
        except subprocess.TimeoutExpired:
            pass  # HiGHS overran its own limit: what it streamed is the result
        theirs = highs_summary(trace) if os.path.exists(trace) else {}
    return {"case": name, "tokenplan": ours, "highs": theirs, **ratios(ours, theirs)}


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float | None]:
    """tokenplan's time to 0.1 % (from the start of its command) over HiGHS alone's: from ``readModel``
    (``ratio``) and from the start of its process (``ratio_command``); None where one did not get there."""
    mine = ours.get("to_01pct_s")

    def over(value: float | None) -> float | None:
        return mine / value if mine is not None and value else None

    return {"ratio": over(theirs.get("to_01pct_s")), "ratio_command": over(theirs.get("to_01pct_command_s"))}


# -- the report ------------------------------------------------------------------------------------------------
def fmt(value: Any, spec: str = ".1f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def table(results: list[dict[str, Any]], limit: float) -> str:
    head = ("| case | rows | cols | ints | coef / build / compile / hand-over s | first plan s | 1 % s | 0.1 % s | "
            "command s | status, gap | peak MB (cmd / worker) | HiGHS alone: first / 0.1 % s, final gap | "
            "ratio 0.1 % | HiGHS alone as a command: 0.1 % s | ratio, commands |")
    lines = [head, "|" + "---|" * 15]
    for r in results:
        if "error" in r:
            lines.append(f"| {label(r['case'])} | error: {r['error']} |" + " |" * 13)
            continue
        o, h = r["tokenplan"], r["highs"]
        never = f">{limit:g}"
        lines.append(
            f"| {label(r['case'])} | {o['rows']:,} | {o['cols']:,} | {o['ints']:,} | "
            f"{o['coefficients_s']:.2f} / {o['build_s']:.2f} / {o['compile_s']:.2f} / {o['handover_s']:.2f} | "
            f"{fmt(o['first_s'])} | {fmt(o['to_1pct_s'], none=never)} | {fmt(o['to_01pct_s'], none=never)} | "
            f"{fmt(o['total_s'])} | {o['status']}, {fmt(o['gap'] and 100 * o['gap'], '.3f')} % | "
            f"{o['peak_mb']:.0f} / {o['worker_peak_mb']:.0f} | "
            f"{fmt(h.get('first_s'))} / {fmt(h.get('to_01pct_s'), none=never)}, "
            f"{fmt((h.get('gap') is not None and 100 * h['gap']) or None, '.3f')} % | {fmt(r['ratio'], '.2f')} | "
            f"{fmt(h.get('to_01pct_command_s'), none=never)} | {fmt(r.get('ratio_command'), '.2f')} |")
    return "\n".join(lines)


def spread(results: list[dict[str, Any]], limit: float) -> str:
    perturbed_ = [r for r in results if r["case"].startswith("perturbed:") and "error" not in r]
    if not perturbed_:
        return ""
    out = []
    for who in ("tokenplan", "highs"):
        times = [r[who].get("to_01pct_s") for r in perturbed_]
        reached = sorted(t for t in times if t is not None and t <= limit)
        firsts = sorted(r[who]["first_s"] for r in perturbed_ if r[who].get("first_s") is not None)
        desc = (f"min {reached[0]:.1f} / median {statistics.median(reached):.1f} / max {reached[-1]:.1f} s"
                if reached else "none")
        out.append(f"- {who}: {len(reached)} of {len(perturbed_)} reach 0.1 % within {limit:g} s ({desc}); "
                   f"first plan median {statistics.median(firsts):.1f} s" if firsts else f"- {who}: no plan")
    return "\n".join(out)


def machine() -> str:
    from importlib.metadata import version

    import highspy  # noqa: F401

    return (f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, tokenplan {version('tokenplan')}, "
            f"highspy {version('highspy')}, Pyomo {version('pyomo')}, numpy {version('numpy')}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--contestant":
        who, *args = sys.argv[2:]
        if who == "tokenplan":
            print(json.dumps(run_tokenplan(args[0], float(args[1]), args[2])))
        else:
            run_highs(args[0], float(args[1]), args[2], float(args[3]) if len(args) > 3 else None)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rungs", type=int, nargs="*", default=list(range(len(RUNGS))))
    ap.add_argument("--shipped", nargs="*", default=list(SHIPPED))
    ap.add_argument("--perturbed", type=int, default=20, help="how many perturbed national variants")
    ap.add_argument("--seeds", type=int, nargs="*", help="these perturbed national variants instead (e.g. 5 13)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--json", help="write every measurement to this file")
    ap.add_argument("--portfolio", action="store_true", help="tokenplan with the two-thread portfolio")
    ap.add_argument("--highs-from", help="reuse HiGHS alone's results of a previous --json run (same models)")
    args = ap.parse_args()
    highs_from = None
    if args.highs_from:
        highs_from = {r["case"]: r["highs"] for r in json.loads(Path(args.highs_from).read_text())["results"]
                      if "highs" in r}
    if args.portfolio:
        os.environ["RACE_PORTFOLIO"] = "1"
    names = ([f"rung:{i}" for i in args.rungs] + [f"shipped:{s}" for s in args.shipped]
             + [f"perturbed:{k}" for k in (range(args.perturbed) if args.seeds is None else args.seeds)])
    print(machine(), flush=True)
    results = []
    for name in names:
        results.append(race(name, args.time_limit, highs_from))
        r = results[-1]
        print(f"{label(name)}: tokenplan {fmt(r.get('tokenplan', {}).get('to_01pct_s'))} s, HiGHS alone "
              f"{fmt(r.get('highs', {}).get('to_01pct_s'))} s to 0.1 %", file=sys.stderr, flush=True)
    print(table(results, args.time_limit))
    print(spread(results, args.time_limit))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
