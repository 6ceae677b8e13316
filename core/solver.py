"""Solve a Pyomo model with HiGHS in a worker process under a hard wall-clock deadline.

``run(model, options) -> Solution``:

1. compile the Pyomo model to matrices (:mod:`tokenplan.matrix`);
2. start ``python -m tokenplan.highs_worker``, send the matrices, and read its message stream;
3. at ``time_limit_s + kill_grace_s`` after the start, kill the worker if it has not finished: the
   incumbents it streamed survive, so a deadline still yields the best plan, its bound and its gap;
4. load the plan into the Pyomo variables.

The worker gives HiGHS a first incumbent from the relaxation (rounded up, repaired) as a MIP start, fixes
thread count and seed (deterministic), and computes duals of the LP with binaries fixed and counts relaxed.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import dataclasses
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.common.errors import InfeasibleConstraintException

from tokenplan.errors import ModelLimitError, SolverError
from tokenplan.highs_worker import StreamError, read_message, write_message
from tokenplan.matrix import Matrix, column_names, compile_matrix, limit_violation

#: Seconds the worker may overrun ``time_limit_s`` before it is killed.
KILL_GRACE_S = 2.0
#: Most seconds for the duals after the MIP, within the same deadline (a plan that used the whole limit has none).
DUALS_TIME_LIMIT_S = 5.0
#: HiGHS prints these when coefficients or bounds are badly scaled (a bug in our units).
SCALING_WARNINGS = ("excessively", "Consider scaling", "user_bound_scale", "user_cost_scale")


@dataclass
class SolveOptions:
    time_limit_s: float = 60.0
    mip_gap: float = 1e-3
    threads: int = 1
    seed: int = 0
    duals: bool = True
    heuristic_start: bool = True
    #: run HiGHS's branch and bound on a second thread from the start, beside the heuristics (a second core)
    portfolio: bool = False
    start: dict[str, float] | None = None  # variable name -> value (e.g. a previous plan)
    #: integer variables (component names) that count units: relaxed first for a bound and a plan to round
    #: (``buy``: units bought; ``retire``: installed accelerators retired, ``[[fleet.installed]]``;
    #: ``rent_start``: accelerators whose rental starts, ``[[rentals]]``)
    count_vars: tuple[str, ...] = ("buy", "retire", "rent_start")
    kill_grace_s: float = KILL_GRACE_S
    #: start the next solver process ahead, while this one solves (many solves in a row: studies)
    keep_spare: bool = False
    #: HiGHS's own time limit for the branch and bound (default: what is left of ``time_limit_s``);
    #: tests set it beyond the deadline to prove that the process boundary holds
    highs_time_limit_s: float | None = None
    log: Callable[[str], None] | None = None
    #: find an irreducible infeasible subset instead of solving (``Solution.iis``; the diagnosis's second opinion)
    iis: bool = False


@dataclass
class Solution:
    """What the solver process returned."""

    status: str          # optimal | feasible | time_limit | infeasible | unbounded | error
    termination: str     # HiGHS model status, or why the process was stopped
    objective: float | None  # model units (MONEY)
    bound: float | None
    gap: float | None
    x: np.ndarray | None
    row_duals: np.ndarray | None
    matrix: Matrix
    incumbents: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds, objective, source)
    #: (seconds, dual bound) each time the bound moved, seconds from the worker's start (as for incumbents)
    bounds: list[tuple[float, float]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    #: what the worker process wrote to its stdout and stderr (not HiGHS's log, which is ``log``)
    output: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    killed: bool = False
    #: with ``SolveOptions.iis``: ``{"valid", "rows", "cols", "seconds", "status"}`` (positions in ``matrix``)
    iis: dict[str, Any] | None = None
    #: heuristic phases the worker stopped or skipped for want of time, not at their work limits: the plan may
    #: then depend on the machine's load (empty: the same model gives the same plan on any machine)
    time_capped: list[str] = field(default_factory=list)

    @property
    def has_plan(self) -> bool:
        return self.x is not None

    def time_to_gap(self, gap: float) -> float | None:
        """Seconds (from the worker's start) until a plan was within ``gap`` of the best bound known then;
        None if never."""
        events = sorted([(s, "x", v) for s, v, _ in self.incumbents] + [(s, "b", v) for s, v in self.bounds])
        best, bound = math.inf, -math.inf
        for seconds, kind, value in events:
            if kind == "x":
                best = min(best, value)
            else:
                bound = max(bound, value)
            if math.isfinite(best) and math.isfinite(bound) and _gap(best, bound) <= gap + 1e-12:
                return seconds
        if self.status == "optimal" and self.gap is not None and self.gap <= gap + 1e-12:
            return self.timings.get("worker_s")
        return None

    def scaling_warnings(self) -> list[str]:
        return [line for line in self.log if any(w in line for w in SCALING_WARNINGS)]


def within(options: SolveOptions, deadline: float, *, reserve: float = 0.0) -> SolveOptions:
    """``options`` with the worker's limit and kill grace cut so that the solve ends by ``deadline``
    (``time.monotonic()``), ``reserve`` seconds early (for what follows it). The grace is a tenth of what is
    left, at most ``KILL_GRACE_S``; the worker has at least a quarter of a second."""
    left = max(0.0, deadline - time.monotonic() - reserve)
    grace = min(options.kill_grace_s, 0.1 * left)
    return dataclasses.replace(options, time_limit_s=max(0.25, left - grace), kill_grace_s=grace)


def run(model: pyo.ConcreteModel, options: SolveOptions | None = None, *, matrix: Matrix | None = None) -> Solution:
    """Solve ``model`` in a worker process; load the best plan found into its variables. ``matrix``: the model
    already compiled (a fast re-solve patched it), else it is compiled here."""
    options = options or SolveOptions()
    t0 = time.perf_counter()
    if matrix is None:
        try:
            matrix = compile_matrix(model)
        except InfeasibleConstraintException as exc:  # a row without variables that cannot hold
            return Solution("infeasible", f"a row without variables cannot hold ({exc})", None, None, None, None,
                            None, None)
    t_compile = time.perf_counter() - t0
    violation = limit_violation(matrix)
    if violation is not None:
        raise ModelLimitError(violation)
    solution = _run_worker(worker_payload(model, matrix, options), matrix, options)
    solution.timings["compile_s"] = t_compile
    if solution.x is not None:
        load_values(matrix, solution.x)
    return solution


def worker_payload(model: pyo.ConcreteModel, matrix: Matrix, options: SolveOptions) -> dict[str, Any]:
    """What the worker process gets (``highs_worker.Worker``'s payload): the matrix, the options, the start,
    and which columns are counts (with their (chip, cooling, region, period) keys and accelerators per unit,
    found once per matrix: a fast re-solve keeps its columns)."""
    start = None
    if options.start is not None:
        start = np.array([options.start.get(name, 0.0) for name in column_names(matrix)])
    payload = {
        "lp": matrix.lp,
        "options": {"time_limit": options.time_limit_s, "mip_rel_gap": options.mip_gap,
                    "threads": options.threads, "random_seed": options.seed,
                    "highs_time_limit": options.highs_time_limit_s,
                    "duals_time_limit": DUALS_TIME_LIMIT_S, "portfolio": options.portfolio},
        "start": start, "heuristic_start": options.heuristic_start, "duals": options.duals, "iis": options.iis,
        "binary_cols": matrix.binary_cols,
    }
    counts = matrix.positions.get(("counts", tuple(options.count_vars)))
    if counts is None:
        cols = [i for i, v in enumerate(matrix.columns)
                if v.parent_component().local_name in options.count_vars and not v.is_continuous()]
        counts = matrix.positions[("counts", tuple(options.count_vars))] = (
            cols, count_keys(model, matrix, cols), count_sizes(model, matrix, cols))
    payload["count_cols"], payload["count_keys"], payload["count_sizes"] = counts
    return payload


def count_keys(model: pyo.ConcreteModel, matrix: Matrix, count_cols: list[int]) -> list[tuple[Any, ...]] | None:
    """Per count column, its purchase's (chip, cooling, region, year): the portfolio's neighbourhood MIPs
    free the chips, sites and periods the plans use (``Worker.improve``). None when a count column is not a
    purchase (then there are no neighbourhoods)."""
    ctx = getattr(model, "tp_ctx", None)
    where = {id(p.var): p.key for p in ctx.purchases} if ctx is not None else {}
    if ctx is not None and ctx.var.retire is not None:  # a retirement frees its entry's chip, site and period
        d = ctx.data
        where.update({id(ctx.var.retire[e.id, ctx.periods[t]]): (d.chip_ids[e.c], d.cooling_ids[e.k],
                                                                  d.region_ids[e.r], ctx.periods[t])
                      for e in d.installed if e.retirable for t in e.periods})
    if ctx is not None and ctx.var.rent_start is not None:  # a rental frees its chip, offer and period
        d = ctx.data
        where.update({id(ctx.var.rent_start[o.id, ctx.periods[s]]): (d.chip_ids[o.c], f"rented:{o.id}",
                                                                      d.region_ids[o.r], ctx.periods[s])
                      for o in d.rentals for s in o.starts})
    keys = [where.get(id(matrix.columns[i])) for i in count_cols]
    return None if any(k is None for k in keys) else keys  # type: ignore[return-value]


def count_sizes(model: pyo.ConcreteModel, matrix: Matrix, count_cols: list[int]) -> list[float]:
    """Per count column, the accelerators one count stands for: a purchase's unit size (8 for an HGX server,
    384 for a CloudMatrix 384), 1 for a retired or rented accelerator; the worker's dust is measured in them."""
    ctx = getattr(model, "tp_ctx", None)
    size = {id(p.var): float(p.accelerators) for p in ctx.purchases} if ctx is not None else {}
    return [size.get(id(matrix.columns[i]), 1.0) for i in count_cols]


def load_values(matrix: Matrix, x: np.ndarray) -> None:
    """Load ``x`` into the model's variables, integer columns rounded."""
    for var, value in zip(matrix.columns, loaded(matrix, x).tolist()):
        var.set_value(value, skip_validation=True)


def loaded(matrix: Matrix, x: np.ndarray) -> np.ndarray:
    """The values :func:`load_values` gives the columns: ``x`` with the integer columns rounded."""
    x = np.asarray(x, dtype=float)
    return np.where(np.asarray(matrix.lp["integrality"]) > 0, np.round(x), x)


def _reader(stream: Any, out: queue.Queue[Any]) -> None:
    """Read the message channel until it ends; a torn or corrupt stream ends it with ("torn", why)."""
    with stream:
        while True:
            try:
                message = read_message(stream)
            except StreamError as exc:
                out.put(("torn", str(exc)))
                return
            except Exception as exc:  # an unpickling error: the same as a torn stream for the user
                out.put(("torn", f"a message could not be read ({type(exc).__name__}: {exc})"))
                return
            if message is None:
                out.put(("eof",))
                return
            out.put(message)


class _Output:
    """What the worker wrote to its own stdout and stderr (HiGHS's banner, C extensions, tracebacks):
    every line goes to ``log`` (``--verbose``), the last ones are kept for the error of a dying worker."""

    KEEP = 2000

    def __init__(self, stream: Any, log: Callable[[str], None] | None) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=self.KEEP)
        self.log = log
        #: lines read so far, and how many of them earlier solves of a reused process took (``take``)
        self.count = 0
        self.taken = 0
        self.thread = threading.Thread(target=self._read, args=(stream,), name="tokenplan-worker-output",
                                       daemon=True)
        self.thread.start()

    def _read(self, stream: Any) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip()
                if not line:
                    continue
                self.lines.append(line)
                self.count += 1
                if self.log is not None:
                    self.log(f"[worker] {line}")

    def take(self) -> list[str]:
        """The lines since the last ``take`` (a reused process's earlier solves keep theirs)."""
        new, self.taken = self.count - self.taken, self.count
        return list(self.lines)[-new:] if new else []

    def tail(self, n: int = 5) -> str:
        self.thread.join(timeout=1.0)
        lines = list(self.lines)[-n:]
        return " | ".join(lines) if lines else "nothing"


def _describe_exit(returncode: int | None) -> str:
    """The worker's end in words a user can act on."""
    if returncode is None:
        return "was still running"
    if returncode == 0:
        return "exited normally"
    if returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        text = f"was killed by {name} (signal {number})"
        if number == signal.SIGKILL:
            text += (", not by tokenplan: the usual cause is the system running out of memory"
                     " (the kernel's OOM killer)")
        return text
    return f"exited with code {returncode}"


def worker_command() -> list[str]:
    """``python -P -m tokenplan.highs_worker``: ``-P`` keeps the current directory off ``sys.path``, so a
    ``numpy.py`` or ``highspy.py`` where the user runs tokenplan is never imported by the worker."""
    return [sys.executable, "-P", "-m", "tokenplan.highs_worker"]


#: the worker's environment (``_env_key``) -> a solver process started ahead, or kept from the last solve,
#: waiting for its model (``SolveOptions.keep_spare``); one at most
_SPARES: dict[str, _Process] = {}
_SPARES_LOCK = threading.Lock()
#: solves one kept process serves before a fresh one replaces it (bounds what a long study can accumulate)
REUSE_LIMIT = 200


@dataclass
class _Process:
    """A solver process with the threads that read its message channel and its output."""

    proc: subprocess.Popen[bytes]
    messages: queue.Queue[Any]
    output: _Output
    reader: threading.Thread
    solves: int = 0

    def alive(self) -> bool:
        return self.proc.poll() is None and self.reader.is_alive()


def _spawn(env: dict[str, str]) -> _Process:
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen([*worker_command(), "--messages", str(write_fd)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_fd,),
                                env=env, cwd=os.path.dirname(os.path.abspath(__file__)))
    except OSError as exc:
        os.close(read_fd)
        raise SolverError(f"the HiGHS worker could not be started ({sys.executable}): {exc}") from exc
    finally:
        os.close(write_fd)  # the worker holds the only write end: the channel ends when the worker does
    messages: queue.Queue[Any] = queue.Queue()
    reader = threading.Thread(target=_reader, args=(os.fdopen(read_fd, "rb"), messages),
                              name="tokenplan-worker-messages", daemon=True)
    reader.start()
    return _Process(proc, messages, _Output(proc.stdout, None), reader)


def _take(env: dict[str, str]) -> _Process:
    """A solver process: the spare (started ahead, or kept from the last solve) when there is a live one,
    else a new one."""
    key = _env_key(env)
    with _SPARES_LOCK:
        spare = _SPARES.pop(key, None)
    if spare is not None and spare.alive() and spare.messages.empty():
        return spare
    if spare is not None:
        _discard(spare)
    return _spawn(env)


def _keep(env: dict[str, str], process: _Process) -> None:
    """Keep a process as the spare of the next solve: one spare in all, for the environment it started with."""
    with _SPARES_LOCK:
        old = list(_SPARES.values())
        _SPARES.clear()
        _SPARES[_env_key(env)] = process
    for spare in old:
        if spare is not process:
            _discard(spare)


def prestart(threads: int = 1) -> None:
    """Start the solver process of the next solve now, so that its start-up (Python, numpy, HiGHS: about
    0.3 s) runs on another core while the caller loads plugins, computes coefficients and builds the model.
    The next solve with as many threads takes it (:func:`_take`); one not taken ends with this process."""
    env = _worker_env(threads)
    key = _env_key(env)
    with _SPARES_LOCK:
        spare = _SPARES.get(key)
        if spare is not None and spare.alive():
            return
    _refill(env)


def _refill(env: dict[str, str]) -> None:
    """Start the spare for the next solve (``SolveOptions.keep_spare``), once this solve's process has ended:
    its start-up (Python, numpy) then runs while the parent makes the result, not beside HiGHS, whose time
    it would otherwise slow on a machine with few cores."""
    with contextlib.suppress(SolverError):
        _keep(env, _spawn(env))


def _worker_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(threads))
    env.pop("PYTHONSTARTUP", None)
    return env


def _env_key(env: dict[str, str]) -> str:
    """A spare serves only a solve whose worker would get the same environment (threads, PYTHONPATH, ...)."""
    return repr(sorted(env.items()))


def _discard(process: _Process) -> None:
    proc = process.proc
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()  # end of file: a waiting worker ends by itself
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    process.reader.join(timeout=2)
    with contextlib.suppress(OSError):
        if proc.stdout is not None:
            proc.stdout.close()


@atexit.register
def _discard_spares() -> None:
    with _SPARES_LOCK:
        spares = list(_SPARES.values())
        _SPARES.clear()
    for spare in spares:
        _discard(spare)


def _run_worker(payload: dict[str, Any], matrix: Matrix, options: SolveOptions) -> Solution:
    env = _worker_env(options.threads)
    process = _take(env)
    proc, messages, output = process.proc, process.messages, process.output
    output.log = options.log
    started = time.monotonic()
    state = _State(matrix)
    assert proc.stdin is not None
    clean = kept = False
    try:
        try:
            # stdin stays open until the solve ends: its end of file tells the worker that we are gone
            write_message(proc.stdin, payload)
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        deadline = started + options.time_limit_s + options.kill_grace_s
        while True:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                state.killed = True
                break
            try:
                message = messages.get(timeout=timeout)
            except queue.Empty:
                continue
            kind = message[0]
            if kind == "eof":
                break
            if kind == "torn":
                state.torn = message[1]
                break
            if kind == "error":
                state.error = message[1:]
                break
            state.handle(message, options)
            # the duals come after the plan, within the same deadline: a solve that used its whole limit
            # reports its plan without them
            if kind == "done":
                clean = True
                break
        if state.torn is not None:
            # a torn stream: let the worker end by itself (its exit says why), stop it only if it does not
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                state.stopped_after_tear = True
    finally:
        process.solves += 1
        output.log = None
        if clean and options.keep_spare and process.solves < REUSE_LIMIT and process.alive():
            _keep(env, process)  # it waits for the next model: no start-up for the next solve
            kept = True
        else:
            _discard(process)
            if options.keep_spare:
                _refill(env)
    elapsed = time.monotonic() - started
    if state.error is not None:
        kind, text = state.error
        raise SolverError(f"the HiGHS worker failed while {state.phase}: {text}; its last output: "
                          f"{output.tail()}")
    if state.torn is not None or (state.mip is None and not state.killed):
        how = ("was stopped by tokenplan after its message stream broke" if state.stopped_after_tear
               else _describe_exit(proc.returncode))
        what = (f"its message stream was torn ({state.torn})" if state.torn is not None
                else "it ended before reporting a plan")
        raise SolverError(f"the HiGHS worker died while {state.phase}: {what}; the process {how}; "
                          f"its last output: {output.tail()}")
    solution = state.solution(elapsed)
    if not kept:
        output.thread.join(timeout=1.0)  # the process has ended: its last lines are in
    solution.output = output.take()
    return solution


class _State:
    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.best: tuple[float, np.ndarray] | None = None
        self.bound = -math.inf
        self.incumbents: list[tuple[float, float, str]] = []
        self.bounds: list[tuple[float, float]] = []
        self.log: list[str] = []
        self.mip: dict[str, Any] | None = None
        self.duals: np.ndarray | None = None
        self.killed = False
        self.error: tuple[str, str] | None = None
        self.torn: str | None = None
        self.stopped_after_tear = False
        self.phase = "starting"
        self.first_incumbent_s: float | None = None
        self.highs_s: float | None = None
        self.highs_cpu_s: float | None = None
        self.iis: dict[str, Any] | None = None

    def handle(self, message: tuple[Any, ...], options: SolveOptions) -> None:
        kind = message[0]
        if kind == "phase":
            self.phase = message[1]
        elif kind == "log":
            self.log.append(message[1])
            if options.log is not None:
                options.log(message[1])
        elif kind == "incumbent":
            _, objective, bound, x, source, seconds = message
            if self.best is None or objective < self.best[0]:
                self.best = (objective, x)
                self.incumbents.append((seconds, objective, source))
                if self.first_incumbent_s is None:
                    self.first_incumbent_s = seconds
            if bound > self.bound and math.isfinite(bound):
                self.bound = bound
                self.bounds.append((seconds, bound))
        elif kind == "bound":
            if message[1] > self.bound and math.isfinite(message[1]):
                self.bound = message[1]
                self.bounds.append((message[2], message[1]))
        elif kind == "mip_done":
            self.mip = message[1]
            final = self.mip.get("bound")
            if final is not None and math.isfinite(final) and final > self.bound:
                self.bound = final
                self.bounds.append((self.mip["seconds"], final))
            if self.mip.get("row_dual") is not None:
                self.duals = self.mip["row_dual"]
        elif kind == "duals":
            self.duals = message[1]
        elif kind == "iis":
            self.iis = message[1]
        elif kind == "done" and len(message) > 1:
            self.highs_s = float(message[1])
            if len(message) > 2:
                self.highs_cpu_s = float(message[2])

    def solution(self, elapsed: float) -> Solution:
        timings = {"solve_s": elapsed}
        if self.highs_s is not None:  # from the model's arrival in the worker to its end (duals included)
            timings["highs_s"] = self.highs_s
        if self.highs_cpu_s is not None:  # the same span in the solver process's CPU seconds (load-independent)
            timings["highs_cpu_s"] = self.highs_cpu_s
        if self.first_incumbent_s is not None:
            timings["first_incumbent_s"] = self.first_incumbent_s
        common = dict(matrix=self.matrix, incumbents=self.incumbents, bounds=self.bounds, log=self.log,
                      timings=timings, killed=self.killed, iis=self.iis,
                      time_capped=list((self.mip or {}).get("time_capped") or []))
        if self.mip is not None:
            mip = self.mip
            timings["worker_s"] = float(mip["seconds"])
            termination = mip["status"]
            x = mip["x"]
            objective = mip["objective"]
            if x is None and self.best is not None:
                objective, x = self.best
            bound = mip["bound"] if mip["bound"] is not None and math.isfinite(mip["bound"]) else None
            status = _status(termination, x is not None)
            gap = _gap(objective, bound) if x is not None else None
            if status == "optimal":
                gap = mip["gap"] if mip["gap"] is not None and math.isfinite(mip["gap"]) else gap
            return Solution(status, termination, objective, bound, gap, x, self.duals, **common)
        # killed at the deadline: keep the best incumbent streamed before
        bound = self.bound if math.isfinite(self.bound) else None
        if self.best is None:
            return Solution("time_limit", "killed at the deadline", None, bound, None, None, None, **common)
        objective, x = self.best
        return Solution("time_limit", "killed at the deadline", objective, bound, _gap(objective, bound),
                        x, None, **common)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, abs(objective - bound) / max(abs(objective), 1e-9))


def _status(termination: str, has_x: bool) -> str:
    t = termination.lower()
    if t == "optimal":
        return "optimal"
    if "infeasible" in t and not has_x:
        return "infeasible"  # including "infeasible or unbounded": our costs are bounded below
    if "unbounded" in t and not has_x:
        return "unbounded"
    if "time limit" in t:
        return "time_limit"
    return "feasible" if has_x else "error"
