"""One scenario of a study, solved in a study worker (a local process or a Dask worker).

A worker keeps what does not change between scenarios resident: the plugin catalog (loading plugins and
their records is the slow part of a cold start) per set of disabled plugins. The base problem's content reaches each
worker once (:func:`register`); a task carries only the scenario's named scenarios and overrides, the solve
options and a MIP start (the integer plan of the scenario before it in its chain, repaired by the solver
process). What comes back is
plain data: the record of ``OUT/index.jsonl``, the plan and shadow-price rows, and the integer plan for
the next scenario's start.

Every scenario keeps a solve's hard deadline (the solver runs in its own process, killed at the limit);
an error in a scenario (bad input, an infeasible problem, a solver failure) is a record with its status and
message, never an exception that stops the study.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Any

_CATALOGS: dict[tuple[str, ...], Any] = {}
#: one scenario at a time per process: the resident model is one (a Dask worker with several threads queues)
_ONE_AT_A_TIME = threading.Lock()
#: problem hash -> the base problem's content, sent to each worker once (tasks carry only their changes)
_PROBLEMS: dict[str, dict[str, Any]] = {}
#: (problem file, disabled plugins) -> the resident model of this worker (tokenplan.resolve.Resolver)
_RESOLVERS: dict[tuple[str, tuple[str, ...]], Any] = {}


def catalog(disable: tuple[str, ...] = ()) -> Any:
    """The resident catalog for these disabled plugins (built on first use)."""
    key = tuple(sorted(disable))
    if key not in _CATALOGS:
        from tokenplan.catalog import Catalog

        cat = Catalog(disable=list(key))
        cat.chips(), cat.coolings(), cat.regions(), cat.rules(), cat.throughput_models()
        _CATALOGS[key] = cat
    return _CATALOGS[key]


def register(problems: dict[str, dict[str, Any]]) -> None:
    """Keep the base problems of a study in this worker (a pool's initializer or a Dask worker plugin)."""
    _PROBLEMS.update(problems)


def resolver(problem_path: str, disable: tuple[str, ...] = ()) -> Any:
    """The worker's resident model for a problem file: a scenario that changes only what core families read
    is a patch of it, anything else a rebuild (``tokenplan.resolve``)."""
    from tokenplan.resolve import Resolver

    key = (problem_path, tuple(sorted(disable)))
    if key not in _RESOLVERS:
        _RESOLVERS.clear()  # one resident model per worker
        _RESOLVERS[key] = Resolver(catalog(key[1]), key[1])
    return _RESOLVERS[key]


def solve_task(task: dict[str, Any]) -> dict[str, Any]:
    """Solve one scenario; never raises for the scenario's own faults (the record says what happened)."""

    with _ONE_AT_A_TIME:
        return _solve_task(task)


def _solve_task(task: dict[str, Any]) -> dict[str, Any]:
    from tokenplan.errors import TokenplanError

    started = time.perf_counter()
    record: dict[str, Any] = {"id": task["id"], "position": task["position"], "params": task["params"],
                              "scenarios": list(task["scenarios"]), "overrides": [_show(o) for o in task["overrides"]],
                              "worker": f"{os.uname().nodename}:{os.getpid()}"}
    out: dict[str, Any] = {"record": record, "plan": [], "duals": [], "x": None}
    try:
        _solve(task, record, out)
    except TokenplanError as exc:
        record.update(status="error", message=str(exc), exit_code=int(exc.exit_code))
    except Exception as exc:  # a bug: recorded with its traceback's last line, the study goes on
        record.update(status="error", message=f"internal error: {type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(limit=5), exit_code=1)
    if "provenance" not in record:  # the scenario did not reach a result: what the task and this worker say
        record["provenance"] = task_provenance(task, _host(task))
    elapsed = time.perf_counter() - started
    record["timings"] = {**record.get("timings", {}), "scenario_s": round(elapsed, 4)}
    # everything but HiGHS's own time: loading, coefficients, build, compile, hand-over, result
    record["overhead_s"] = round(elapsed - float(record.get("highs_s", 0.0)), 4)
    return out


def _solve(task: dict[str, Any], record: dict[str, Any], out: dict[str, Any]) -> None:
    from tokenplan.loader import load_data
    from tokenplan.matrix import column_names
    from tokenplan.provenance import OF_FILE, compact

    t0 = time.perf_counter()
    data = task.get("problem_data") or _PROBLEMS[task["problem_key"]]
    problem = load_data(data, task["problem_path"], task["overrides"], task["scenarios"])
    if task.get("problem_sha256"):  # the content came from the problem file: its bytes' hash, not the data's
        problem._digest = {"sha256": task["problem_sha256"], "of": OF_FILE}
    load_s = time.perf_counter() - t0
    start = task.get("start")
    disable = tuple(task.get("disable", ()))
    if task.get("persistent", True):
        res = resolver(task["problem_path"], disable)
        # a scenario keeps its plan, KPIs and shadow prices, not the rules' reports or money tables
        result = res.solve(problem, time_limit_s=task.get("time_limit_s"), mip_gap=task.get("mip_gap"),
                           threads=task.get("threads"), start=start, details=False)
        reuse = res.last
    else:
        from tokenplan.api import solve

        result = solve(problem, time_limit_s=task.get("time_limit_s"), mip_gap=task.get("mip_gap"),
                       threads=task.get("threads"), catalog=catalog(disable), start=start, details=False)
        reuse = None
    sources = {i["source"] for i in result.incumbents}
    timings = {"load_s": load_s, **result.timings}
    # HiGHS's own time: from the model's arrival in the solver process to its end (all phases, duals); the
    # elastic re-solves of an infeasible scenario's diagnosis count as overhead
    highs = float(timings.get("highs_s", timings.get("solve_s", 0.0)))
    record.update(
        status=result.status, termination=result.termination, objective=result.objective, bound=result.bound,
        gap=result.gap, currency=result.currency, kpis=result.kpis, warnings=result.warnings,
        diagnosis=result.diagnosis, start_given=start is not None, start_used="given start" in sources,
        rebuild=reuse is None or not reuse.patched,
        model=reuse.reason if reuse is not None else "rebuilt (persistent models off)",
        timings={k: round(float(v), 4) for k, v in timings.items()}, highs_s=round(highs, 4),
        highs_cpu_s=round(float(timings["highs_cpu_s"]), 4) if "highs_cpu_s" in timings else None,
        provenance=compact(result.provenance, task.get("plugins_sha256")))
    if not result.solved:
        return
    domestic = {(p.chip, p.cooling, p.region, p.year): p.domestic for p in result.model.tp_ctx.purchases}
    plan = result.plan
    record["accelerators_by_chip"] = {str(k): int(v) for k, v in
                                      plan.groupby("chip")["accelerators_bought"].sum().items() if v}
    bought = float(plan["accelerators_bought"].sum())
    home = float(sum(row.accelerators_bought for row in plan.itertuples()
                     if domestic.get((row.chip, row.cooling, row.region, row.period))))
    record["domestic_share"] = home / bought if bought else None
    record["shadow_prices"] = _shadow_summary(result.binding)
    out["plan"] = plan.to_dict(orient="records")
    out["duals"] = [{"constraint": b["constraint"], "where": ", ".join(f"{k}={v}" for k, v in b["where"].items()),
                     "shadow_price": b["shadow_price"], "unit": b["unit"]} for b in result.binding]
    integrality = result.matrix.lp["integrality"]
    out["x"] = {name: float(round(v.value)) for name, v, kind in zip(column_names(result.matrix),
                                                                     result.matrix.columns, integrality)
                if kind and v.value is not None and round(v.value) != 0}


def task_provenance(task: dict[str, Any], host: Any) -> dict[str, Any]:
    """The provenance of a scenario that has no result (it failed to load or to solve, or its worker died):
    the problem, scenarios, overrides and options its task gives (a time limit or gap of None: the problem's
    own; seed and portfolio not known), the versions and plugins of ``host``'s process; compacted against the
    study's plugins (:func:`tokenplan.provenance.compact`)."""
    from tokenplan.provenance import OF_FILE, assemble, compact

    sha256 = task.get("problem_sha256")
    prov = assemble(
        host, problem={"source": task["problem_path"], "sha256": sha256, "sha256_of": OF_FILE if sha256 else None},
        applied={"scenarios": list(task["scenarios"]), "overrides": [_show(o) for o in task["overrides"]]},
        solver={"time_limit_s": task.get("time_limit_s"), "mip_gap": task.get("mip_gap"),
                "threads": task.get("threads"), "seed": None, "portfolio": False,
                "warm_start": task.get("start") is not None})
    return compact(prov, task.get("plugins_sha256"))


def _host(task: dict[str, Any]) -> Any:
    try:
        return catalog(tuple(task.get("disable", ()))).host
    except Exception:  # the plugins themselves failed (the record says how): no plugin list
        return None


def _shadow_summary(binding: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per family, the largest shadow price and where it is (conditional on the integer plan, domain units)."""
    out: dict[str, dict[str, Any]] = {}
    for b in binding:
        best = out.get(b["constraint"])
        if best is None or b["shadow_price"] > best["price"]:
            out[b["constraint"]] = {"price": b["shadow_price"], "unit": b["unit"],
                                    "where": ", ".join(f"{k}={v}" for k, v in b["where"].items()),
                                    "rows": 0}
        out[b["constraint"]]["rows"] += 1
    return out


def _show(override: Any) -> str:
    path, value = override
    return f"{'.'.join(path)}={value!r}"
