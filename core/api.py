"""The pipeline: problem -> selection -> data -> model -> solution -> result.

``solve(problem, ...) -> Result`` chains the one-function modules in the order of the data flow; it holds
no modelling logic of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path
from typing import Any

from tokenplan.catalog import Catalog, select
from tokenplan.errors import InputError, ModelLimitError, OutputError
from tokenplan.schema import Problem

#: the suffixes of ``write_model`` files, each naming its format
MODEL_SUFFIXES = (".lp", ".mps")


def solve(problem: Problem, *, time_limit_s: float | None = None, mip_gap: float | None = None,
          threads: int | None = None, disable: Iterable[str] = (), catalog: Catalog | None = None,
          write_model: str | PathLike[str] | None = None, log: Callable[[str], None] | None = None,
          start: dict[str, float] | None = None, diagnose: bool = True, portfolio: bool = False,
          details: bool = True) -> Any:
    """Solve a problem and return a :class:`tokenplan.result.Result`.

    :param problem: from :func:`tokenplan.load`.
    :param time_limit_s: wall-clock limit (default: ``problem.time_limit_s``); the solver process is
        killed shortly after it, keeping the best plan found.
    :param mip_gap: relative gap at which to stop (default: ``problem.mip_gap``).
    :param threads: HiGHS threads (default: ``problem.threads``).
    :param disable: plugin names not to load (in addition to ``[plugins] disable``).
    :param catalog: a catalog to use instead of the installed plugins (tests, studies).
    :param write_model: also write the model to this ``.lp`` or ``.mps`` file.
    :param log: called with every HiGHS log line.
    :param start: variable name -> value, a MIP start (e.g. a previous plan).
    :param diagnose: on infeasibility, run the elastic re-solve to say what must give.
    :param portfolio: run HiGHS's branch and bound on a second thread from the start, beside the heuristics
        (uses a second core; first plans come sooner, but which plan is found first can depend on timing).
    :param details: the rules' and plugins' reports and the money tables (False: the plan, KPIs, shadow
        prices and diagnosis only, as a study's scenario keeps).
    """
    from tokenplan.coefficients import compute
    from tokenplan.model import build
    from tokenplan.solver import prestart

    options, deadline = solve_options(problem, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads,
                                      start=start, log=log, portfolio=portfolio)
    prestart(options.threads)  # the solver process starts up while the model is built
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    selection = select(problem, catalog, disable=disable)
    data = compute(selection)
    timings["coefficients_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = build(data)
    timings["build_s"] = time.perf_counter() - t1
    return finish(problem, selection, data, model, options, deadline, timings, write_model=write_model,
                  diagnose=diagnose, details=details)


def solve_options(problem: Problem, *, time_limit_s: float | None = None, mip_gap: float | None = None,
                  threads: int | None = None, start: dict[str, float] | None = None,
                  log: Callable[[str], None] | None = None, portfolio: bool = False) -> tuple[Any, float]:
    """The solver options of a call, and its deadline (``time.monotonic()``): the limit covers the whole
    call (coefficients, build, solve, diagnosis, result)."""
    from tokenplan.solver import SolveOptions

    p = problem.problem
    limit = p.time_limit_s if time_limit_s is None else float(time_limit_s)
    deadline = time.monotonic() + limit
    options = SolveOptions(
        time_limit_s=limit, mip_gap=p.mip_gap if mip_gap is None else float(mip_gap),
        threads=p.threads if threads is None else int(threads), seed=p.seed, start=start, log=log,
        portfolio=portfolio)
    return options, deadline


#: share of the time left after an infeasible solve that the IIS (the second opinion) gets; the elastic
#: re-solves have the rest
IIS_SHARE = 0.2


def finish(problem: Problem, selection: Any, data: Any, model: Any, options: Any, deadline: float,
           timings: dict[str, float], *, write_model: str | PathLike[str] | None = None, diagnose: bool = True,
           matrix: Any = None, details: bool = True) -> Any:
    """From a built model to a result: the pre-solve checks, the solve (of ``matrix``, the model compiled,
    when given), the result, the diagnosis of an infeasible problem, the rules' reports (with ``details``),
    the provenance."""
    from tokenplan.provenance import of_solve

    result = _finish(problem, selection, data, model, options, deadline, timings, write_model=write_model,
                     diagnose=diagnose, matrix=matrix, details=details)
    result.provenance = of_solve(problem, selection.catalog.host, options)
    return result


def _finish(problem: Problem, selection: Any, data: Any, model: Any, options: Any, deadline: float,
            timings: dict[str, float], *, write_model: str | PathLike[str] | None, diagnose: bool,
            matrix: Any, details: bool = True) -> Any:
    from tokenplan.diagnose import elastic, iis, precheck
    from tokenplan.model import input_key
    from tokenplan.result import make, unsolved
    from tokenplan.solver import run, within

    if write_model is not None:
        write_model_file(model, write_model)
    diagnosis = precheck(data)
    if diagnosis is not None:
        return unsolved(model, data, "infeasible", diagnosis=diagnosis, termination="precheck",
                        warnings=[*selection.warnings, *data.warnings], timings=timings)
    limit = options.time_limit_s
    try:
        solution = run(model, within(options, deadline, reserve=min(1.0, 0.05 * limit)), matrix=matrix)
    except ModelLimitError as exc:
        key = input_key(exc.violation.row)
        if key is None:
            raise
        raise InputError(f"out of the range tokenplan can solve: it makes the {exc.violation}", file=problem.source,
                         key=key) from exc
    result = make(model, data, solution, warnings=[*selection.warnings, *data.warnings], timings=timings,
                  details=details)
    if solution.status == "infeasible" and diagnose:
        # the elastic re-solves first (amounts, in the planner's words), then HiGHS's IIS as a second opinion
        # in what is left (a fifth of the time, at least)
        left = deadline - time.monotonic()
        result.diagnosis = elastic(data, options, deadline=deadline - IIS_SHARE * left)
        left = deadline - time.monotonic()
        if left >= 0.5:
            result.diagnosis["iis"] = iis(model, solution.matrix, within(options, deadline))
        else:
            result.diagnosis["iis"] = {"found": False, "rows": [], "bounds": [], "families": [],
                                       "method": "HiGHS IIS", "summary": "not run: the time limit was used up"}
    if result.solved and details:
        result.reports = selection.catalog.report(result)
    return result


def write_model_file(model: Any, path: str | PathLike[str]) -> Path:
    """Write the model with readable names; the format follows the suffix (.lp or .mps). Missing directories
    are created; the file is written to a temporary name beside it and renamed into place (whole or absent;
    a symbolic link there is replaced, not followed). An error says ``--write-model PATH: reason``."""
    import pyomo.environ  # noqa: F401  (registers Pyomo's LP and MPS writers; the rest needs only pyomo.core)
    from pyomo.opt import ProblemFormat

    from tokenplan.files import atomic, check_writable

    target = check_writable(path, directory=False, key="--write-model", suffixes=MODEL_SUFFIXES)
    # the format by its Pyomo name: the string "lp" made Pyomo warn that the file name does not match it
    fmt = {".lp": ProblemFormat.cpxlp, ".mps": ProblemFormat.mps}[target.suffix.lower()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic(target, lambda tmp: model.write(tmp, format=fmt, io_options={"symbolic_solver_labels": True}))
    except OSError as exc:
        raise OutputError(f"could not write it ({exc.strerror or exc})", option="--write-model",
                          path=path) from exc
    return target
