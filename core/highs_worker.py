"""The solver process: ``python -P -m tokenplan.highs_worker --messages FD`` reads a matrix model on stdin,
solves it with HiGHS and streams framed pickled messages on the pipe ``FD`` that the parent passed it.

It runs in its own process so that the parent can kill it at a hard wall-clock deadline (HiGHS does not
reliably honour its own time limit: ``solver-notes.md`` section 2). Everything the parent needs to keep a
plan after a kill is streamed before: every improving incumbent, and the dual bound as it moves.

**The message channel belongs to tokenplan alone.** It is a pipe of its own, never file descriptor 1 or 2:
HiGHS 1.16 prints its banner from C straight to fd 1 as highspy starts, and any C extension or plugin may
write there. Whatever the process writes to fd 1 and fd 2 goes to a second pipe that the parent keeps (the
last lines explain a dying worker; ``--verbose`` shows them all). Frames start with :data:`MAGIC`, so a
stray byte on the channel would be reported as such, never read as a length.

**The worker dies with its parent.** The parent keeps the worker's stdin open for the whole solve; a thread
here waits for end of file on it (the parent exited, however it died) and ends the process at once. After a
solve's ``done`` the process waits for the next model on stdin (a study's re-solves reuse it: no start-up
per scenario); end of file then ends it normally.

Messages (tuples): ``("phase", name)``, ``("log", text)``, ``("incumbent", objective, bound, x, source,
seconds)``, ``("bound", bound, seconds, source)``, ``("mip_done", info)``, ``("duals", row_dual)``,
``("error", kind, text)`` and ``("done", seconds, cpu_seconds)`` (from the model's arrival to the end: HiGHS's
own time, duals included, in wall-clock and in this process's CPU seconds).

This module imports only the standard library, numpy and highspy (not Pyomo), so the process starts fast.
"""

from __future__ import annotations

import math
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import time
from typing import Any, BinaryIO

import numpy as np

#: Every frame: MAGIC, the body's length (8 bytes, big-endian), the pickled body.
MAGIC = b"TPW1"
FRAME = struct.Struct(">4sQ")
#: No message is larger (a plan of 1e8 columns); a larger length is a corrupt stream, not a frame.
MAX_FRAME = 1 << 34
INT_TOL = 1e-6
#: Work limits of the heuristic sub-MIPs (branch-and-bound nodes): a phase that stops at its work limit ends
#: the same way on an idle or a busy machine. Their time caps are the time left (:meth:`Worker.budget`), never
#: a share of it, so they only guard the deadline: a solve that ends before its limit is the same solve
#: whatever the load and whichever machine runs it
NODES = {"floor": 500, "support": 500, "relaxed": 1000, "repair": 300, "neighbourhood": 2000, "dust": 500,
         "polish": 500}
#: A purchase of at most this share of all the accelerators a plan buys is "dust" (:meth:`Worker.clear_dust`)
DUST_SHARE = 1e-3
#: A plan within this of the best bound hands branch and bound the bound alone (:func:`bound_search`)
BOUND_SEARCH_GAP = 0.02
#: ... on a model with at least this many integers: on smaller ones HiGHS's heuristics cost nothing and help
#: (the 3x5x3x1 ladder rung, 73 integers: 0.96 s with them, 2.1 s without; 436 integers: 16.2 s and 11.6 s)
BOUND_SEARCH_MIN_INTEGERS = 200
#: A support-MIP plan further than this from the LP bound sends the worker to the relaxed-counts MIP
SUPPORT_GAP = 0.01
#: The time a heuristic phase may not take: this share of the time limit (at least :data:`RESERVE_MIN_S`),
#: kept for branch and bound, the dust and polishing steps and the duals. A phase ends at its work limit
#: (:data:`NODES`); its time cap is the deadline less this reserve and nothing else, so that the same model
#: gives the same plan on an idle or a busy machine whenever no phase reaches that cap (one that does is
#: named in the result: ``time_capped``)
RESERVE_SHARE = 0.1
RESERVE_MIN_S = 1.0
#: The bound search's cut-off is this share of the MIP gap below the best plan (:meth:`Worker.cutoff`): under
#: 1, so that "no plan below it" proves the gap with room for rounding
CUTOFF_SHARE = 0.999
#: :meth:`Worker.reduced_cost_bounds`: the slack added to a cost limit (relative to it), and the smallest reduced
#: cost that bounds a column (the duals' feasibility tolerance is 1e-7)
REDUCED_COST_SLACK = 1e-6
REDUCED_COST_MIN = 1e-6
#: :meth:`Worker.plan_bounds` tightens the integer columns of models with at most this many integers: the
#: smallest ladder rung (73), where HiGHS's root reduced-cost fixing over the counts' large domains was most of
#: its time and the one rung that lost to HiGHS alone; the LP maxima cost an LP per integer column. Larger
#: models keep their own bounds, as raced (docs/solving.md, section 3, on what the bounds do to them)
PLAN_BOUNDS_MAX_INTEGERS = 200
#: HiGHS's primal heuristics, off in a bound search (options HiGHS 1.15 and 1.16 both have)
HEURISTICS_OFF = {"mip_heuristic_effort": 0.0, "mip_heuristic_run_rens": False, "mip_heuristic_run_rins": False,
                  "mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_run_feasibility_jump": False}
#: Exit code of a worker that found its parent gone.
ORPHANED = 75


class ModelRefused(Exception):
    """HiGHS would not take the model (a bound or coefficient beyond its limits)."""

    kind = "model"


class StreamError(Exception):
    """The message stream is not what the worker writes: torn mid-frame, or bytes that are not a frame."""


def write_message(stream: BinaryIO, message: tuple[Any, ...]) -> None:
    """One frame; an unbuffered stream may take fewer bytes than given in one call, so write until all are."""
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(FRAME.pack(MAGIC, len(blob)) + blob)
    while view:
        view = view[stream.write(view) or 0:]  # blocking pipes: None (would block) does not happen
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    """The next message, or None at a clean end of stream (between frames).

    Raises :class:`StreamError` when the stream ends inside a frame or holds bytes that are not a frame."""
    head = _read_exact(stream, FRAME.size, "frame header")
    if head is None:
        return None
    magic, length = FRAME.unpack(head)
    if magic != MAGIC or length > MAX_FRAME:
        raise StreamError(f"bytes that are not a tokenplan frame on the message channel: {head[:16]!r}")
    body = _read_exact(stream, length, f"{length}-byte message")
    if body is None:
        raise StreamError(f"the stream ended before the {length}-byte message that its header announced")
    return pickle.loads(body)


def _read_exact(stream: BinaryIO, n: int, what: str) -> bytes | None:
    """``n`` bytes; None if the stream ends before the first; StreamError if it ends after it."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise StreamError(f"the stream was torn inside a {what}: {got} of {n} bytes arrived")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class Worker:
    def __init__(self, payload: dict[str, Any], out: BinaryIO) -> None:
        import highspy

        self.hs = highspy
        self.payload = payload
        self.out = out
        self.t0 = time.monotonic()
        #: this process's CPU seconds when the model arrived (``done`` reports HiGHS's CPU time from here)
        self.cpu0 = time.process_time()
        self.lp = payload["lp"]
        self.opts = payload["options"]
        self.deadline = self.t0 + float(self.opts["time_limit"])
        self.integer = np.flatnonzero(self.lp["integrality"] > 0)
        #: the count columns (``buy``): what the support MIP, the neighbourhoods and the dust step restrict
        self.counts = np.asarray(payload.get("count_cols") or [], dtype=int)
        #: the other integer columns, the structure (blocks, cooling switches, lots, rule binaries)
        self.structural = self.integer[~np.isin(self.integer, self.counts)]
        #: set once the relaxed-counts MIP has run (:meth:`relaxed_counts`; :meth:`structure_plan` then does not)
        self.relaxed_structure = False
        self.best = math.inf
        self.best_x: np.ndarray | None = None
        self.lower_bound = -math.inf
        self.last_bound_sent = 0.0
        #: seconds a sub-MIP on this model spends before its search starts (presolve, the root heuristics
        #: before the first LP): learned from each sub-MIP, the most seen (see :meth:`run_mip`)
        self.startup = 0.0
        #: phases stopped (or skipped) by time rather than by their work limits (see :meth:`capped`)
        self.time_capped: list[str] = []
        self.current = "start"
        self.lock = threading.RLock()
        #: the LP relaxation's plan (the support of the first plans)
        self.lp_x: np.ndarray | None = None
        #: the LP relaxation's optimum and reduced costs (:meth:`reduced_cost_bounds`), once it is solved
        self.lp_reduced: tuple[float, np.ndarray] | None = None
        #: the last :meth:`plan_bounds`: (limit, lower, upper)
        self.last_plan_bounds: tuple[float, np.ndarray, np.ndarray] | None = None
        #: portfolio: set when the branch and bound has ended (the heuristics stop between phases)
        self.bb_done = threading.Event()
        #: portfolio: the heuristics run beside the search (their sub-MIPs stop when the search ends)
        self.racing = False
        #: portfolio: set when the heuristics reached the gap on their own
        self.heuristics_won = threading.Event()

    # -- plumbing --------------------------------------------------------------------------------
    def send(self, *message: Any) -> None:
        with self.lock:  # two threads in a portfolio: one frame at a time
            write_message(self.out, message)

    def phase(self, name: str) -> None:
        """Tell the parent where the solve stands (named in the error if the process dies)."""
        self.current = name
        self.send("phase", name)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def remaining(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def budget(self) -> float | None:
        """Seconds for a heuristic phase: all that is left but the reserve (:data:`RESERVE_SHARE`); the
        phase's work limit is what ends it. None when that is not even the model's start-up cost twice over
        (a sub-MIP stopped before its search starts returns nothing, and HiGHS does not check its time limit
        inside presolve: it overruns it): the phase is then skipped, and said to be (``time_capped``)."""
        limit = float(self.opts["time_limit"])
        seconds = self.remaining() - max(RESERVE_MIN_S, RESERVE_SHARE * limit)
        if seconds < max(2.0 * self.startup, 0.1):
            self.capped("skipped")
            return None
        return seconds

    def capped(self, what: str) -> None:
        """A phase stopped (or was skipped) for want of time, not at its work limit: the plan may then depend
        on the machine's load. Recorded for the result and said in the log."""
        name = f"{self.current} ({what})"
        if name not in self.time_capped:
            self.time_capped.append(name)
            self.send("log", f"tokenplan: {name}: stopped by the time limit, not by its work limit; the plan "
                             "may depend on the machine's load")

    def run_mip(self, h: Any, seconds: float, nodes: int | None = None, *, learn: bool = True) -> None:
        """Run the MIP in ``h`` for at most ``seconds`` (and ``nodes`` branch-and-bound nodes); with ``learn``,
        learn how long it took before the search started (the first MIP callback; all of the run if none
        came)."""
        started = time.monotonic()
        first: list[float] = []

        def searching(e: Any) -> None:
            if not first:
                first.append(time.monotonic())
            if self.racing and self.bb_done.is_set():
                e.interrupt()  # portfolio: the search has ended (the gap is reached, or its limit)

        h.cbMipInterrupt.subscribe(searching)
        h.setOptionValue("time_limit", max(0.05, seconds))
        if nodes is not None:
            h.setOptionValue("mip_max_nodes", int(nodes))
        h.run()
        if h.getModelStatus() == self.hs.HighsModelStatus.kTimeLimit and not (self.racing and self.bb_done.is_set()):
            self.capped("time cap")
        if learn:
            self.startup = max(self.startup, (first[0] if first else time.monotonic()) - started)

    def new_highs(self, *, relax: Any = (), log: bool = True, limit: float | None = None) -> Any:
        """A HiGHS instance with the model; ``relax``: columns made continuous (True: all); ``limit``: only the
        plans that cost at most this much are wanted, and on a model of at most
        :data:`PLAN_BOUNDS_MAX_INTEGERS` integers the integer columns get the bounds that every such plan keeps
        (:meth:`plan_bounds`)."""
        hs = self.hs
        h = hs.Highs()
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("threads", int(self.opts["threads"]))
        h.setOptionValue("random_seed", int(self.opts["random_seed"]))
        h.setOptionValue("mip_rel_gap", float(self.opts["mip_rel_gap"]))
        refusals: list[str] = []

        def on_log(e: Any) -> None:
            text = e.message.rstrip("\n")
            if "ERROR" in text:
                refusals.append(text.strip())
            if log:
                self.send("log", text)

        h.setOptionValue("output_flag", True)  # HiGHS's own errors arrive through the log callback
        h.cbLogging.subscribe(on_log)
        lp = hs.HighsLp()
        d = self.lp
        lp.num_col_ = int(d["n_col"])
        lp.num_row_ = int(d["n_row"])
        lp.col_cost_ = d["col_cost"]
        lp.col_lower_, lp.col_upper_ = d["col_lower"], d["col_upper"]
        if limit is not None and len(self.integer) <= PLAN_BOUNDS_MAX_INTEGERS:
            lp.col_lower_, lp.col_upper_ = self.plan_bounds(limit)
        lp.row_lower_ = d["row_lower"]
        lp.row_upper_ = d["row_upper"]
        lp.offset_ = float(d["offset"])
        lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = d["a_start"]
        lp.a_matrix_.index_ = d["a_index"]
        lp.a_matrix_.value_ = d["a_value"]
        lp.a_matrix_.num_col_ = int(d["n_col"])
        lp.a_matrix_.num_row_ = int(d["n_row"])
        integrality = np.array(d["integrality"], dtype=bool)
        if relax is True:
            integrality[:] = False
        elif len(relax):
            integrality[np.asarray(relax, dtype=int)] = False
        if integrality.any():
            lp.integrality_ = [hs.HighsVarType.kInteger if v else hs.HighsVarType.kContinuous
                               for v in integrality]
        if h.passModel(lp) == hs.HighsStatus.kError:
            raise ModelRefused("HiGHS refused the model: " + ("; ".join(refusals) or "passModel returned an error"))
        if not log:
            h.setOptionValue("output_flag", False)
        return h

    def status_name(self, h: Any) -> str:
        return h.modelStatusToString(h.getModelStatus())

    # -- steps -------------------------------------------------------------------------------------
    def set_start(self, h: Any) -> None:
        if self.best_x is not None:
            sol = self.hs.HighsSolution()
            sol.col_value = list(self.best_x)
            sol.value_valid = True
            h.setSolution(sol)

    def relaxation(self, relax: Any, gap: float | None = None) -> tuple[np.ndarray | None, float]:
        """Solve with the columns ``relax`` continuous (True: all). Returns a plan to round and a valid
        lower bound on the MIP's objective (the relaxation's dual bound); (None, -inf) when there is no
        time for it. ``gap``: where a relaxation with integers stops (default: a tenth of the MIP gap, for
        the bound)."""
        has_integers = relax is not True and len(relax) < len(self.integer)
        seconds = self.budget()
        if seconds is None:
            return None, -math.inf
        h = self.new_highs(relax=relax, log=False)
        # by default a tight gap: the bound is what proves a rounded plan good enough
        h.setOptionValue("mip_rel_gap", float(self.opts["mip_rel_gap"]) / 10 if gap is None else gap)
        self.set_start(h)
        if has_integers:
            self.run_mip(h, seconds, NODES["relaxed"])
        else:
            h.setOptionValue("time_limit", seconds)
            h.run()
            if h.getModelStatus() == self.hs.HighsModelStatus.kTimeLimit:
                self.capped("time cap")
        info = h.getInfo()
        if has_integers:
            bound = float(info.mip_dual_bound)
        elif h.getModelStatus() == self.hs.HighsModelStatus.kOptimal:
            bound = float(info.objective_function_value)
        else:
            bound = -math.inf
        bound = bound if math.isfinite(bound) else -math.inf
        if relax is True and h.getModelStatus() == self.hs.HighsModelStatus.kOptimal:
            self.lp_reduced = (bound, np.array(h.getSolution().col_dual))
        self.raise_bound(bound, "relaxation")
        x = np.array(h.getSolution().col_value) if info.primal_solution_status == 2 else None
        return x, bound

    def reduced_cost_bounds(self, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """The model's column bounds, with those of the integer columns tightened to what every plan that
        costs at most ``limit`` keeps, by the LP relaxation's reduced costs: a column at its lower bound with
        reduced cost d > 0 raises every plan's cost by at least d per unit above that bound, over the LP's
        optimum z, so a plan within ``limit`` has at most (limit - z) / d more (at its upper bound with d < 0,
        the mirror image). The count columns have no upper bounds, and HiGHS's own root reduced-cost fixing, whose
        work grows with the columns' domains, was 78 % of its time on the smallest ladder rung (docs/solving.md,
        section 3). These bounds are that fixing done once, before the search; they hold for every rule, since
        they come from the model's own relaxation. Before the LP is solved: the model's bounds."""
        lower, upper = self.lp["col_lower"], self.lp["col_upper"]
        if self.lp_reduced is None or not len(self.integer) or not math.isfinite(limit):
            return lower, upper
        z, reduced = self.lp_reduced
        # a hair of slack: the duals are feasible to HiGHS's tolerance, not exactly
        slack = max(0.0, limit - z) + REDUCED_COST_SLACK * max(1.0, abs(limit), abs(z))
        lower, upper = lower.copy(), upper.copy()
        cols = self.integer
        d = reduced[cols]
        rise = cols[(d > REDUCED_COST_MIN) & np.isfinite(lower[cols])]
        upper[rise] = np.minimum(upper[rise], lower[rise] + np.floor(slack / reduced[rise] + INT_TOL))
        fall = cols[(d < -REDUCED_COST_MIN) & np.isfinite(upper[cols])]
        lower[fall] = np.maximum(lower[fall], upper[fall] - np.floor(slack / -reduced[fall] + INT_TOL))
        return lower, upper

    def plan_bounds(self, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """The model's column bounds, with those of the integer columns tightened to what every plan that
        costs at most ``limit`` keeps: the reduced-cost bounds (:meth:`reduced_cost_bounds`), then each
        integer column's largest value in the LP relaxation with the cost row ``cost <= limit`` added (an LP
        per column, warm-started from the one before; every plan within the limit is a point of that LP, so
        none is cut off). On the smallest ladder rung this took 0.016 s for 73 columns, and the cut-off search
        under the bounds proved the gap in 0.005 s, where it took 0.203 s under the reduced-cost bounds alone and
        0.591 s under the model's (``benchmarks/plan_bounds.py``, docs/solving.md section 3). Computed once per
        limit."""
        cached = self.last_plan_bounds
        if cached is not None and cached[0] == limit:
            return cached[1], cached[2]
        lower, upper = self.reduced_cost_bounds(limit)
        cols = self.integer[upper[self.integer] - lower[self.integer] > 1]
        if self.lp_reduced is None or not len(cols) or not math.isfinite(limit):
            return lower, upper
        hs, n = self.hs, int(self.lp["n_col"])
        h = self.new_highs(relax=True, log=False)
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), lower, upper)
        cost = np.asarray(self.lp["col_cost"], dtype=float)
        nz = np.flatnonzero(cost)
        slack = REDUCED_COST_SLACK * max(1.0, abs(limit))
        h.addRow(-hs.kHighsInf, limit - float(self.lp["offset"]) + slack, len(nz), nz.astype(np.int32), cost[nz])
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        upper = upper.copy()
        previous = None
        for j in cols:
            if previous is not None:
                h.changeColCost(int(previous), 0.0)
            h.changeColCost(int(j), -1.0)
            previous = j
            h.setOptionValue("time_limit", self.remaining())
            h.run()
            if h.getModelStatus() != hs.HighsModelStatus.kOptimal:
                continue  # unbounded, or out of time: the column keeps its bound
            most = float(h.getSolution().col_value[j])
            upper[j] = min(upper[j], max(lower[j], math.floor(most + INT_TOL * max(1.0, abs(most)))))
        self.last_plan_bounds = (limit, lower, upper)
        return lower, upper

    def complete(self, integer_values: np.ndarray) -> np.ndarray | None:
        """Fix the integer columns and solve the LP in the continuous ones."""
        h = self.new_highs(relax=True, log=False)
        h.changeColsBounds(len(self.integer), self.integer.astype(np.int32), integer_values, integer_values)
        seconds = self.budget()
        if seconds is None:
            return None
        h.setOptionValue("time_limit", seconds)
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value)

    def repair(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, seconds: float,
               gap: float | None = None, work: str = "floor", start: bool = False,
               learn: bool = True) -> np.ndarray | None:
        """The MIP with the integer columns ``cols`` bounded to [lower, upper], for at most ``seconds`` and
        the nodes of ``NODES[work]``; ``start``: the best plan so far is inside the bounds, a MIP start."""
        h = self.new_highs(log=False)
        lower = np.maximum(lower, self.lp["col_lower"][cols])
        upper = np.minimum(upper, self.lp["col_upper"][cols])
        h.changeColsBounds(len(cols), cols.astype(np.int32), lower, upper)
        if gap is not None:
            h.setOptionValue("mip_rel_gap", gap)
        if start:  # otherwise none: a plan outside the bounds costs HiGHS time to find infeasible
            self.set_start(h)
        self.run_mip(h, seconds, NODES[work], learn=learn)
        if h.getInfo().primal_solution_status != 2:
            return None
        return np.array(h.getSolution().col_value)

    def without(self, fixed: np.ndarray, *, seconds: float, gap: float, work: str,
                start: bool = False) -> np.ndarray | None:
        """The MIP with the count columns ``fixed`` at 0 and the rest as in the model (:meth:`repair`): the
        support MIP, the neighbourhoods and the dust step each restrict the plan to some purchases."""
        zeros = np.zeros(len(fixed))
        return self.repair(fixed, zeros, zeros, seconds=seconds, gap=gap, work=work, start=start)

    def given_start(self, x: np.ndarray) -> None:
        """A start from outside (a previous plan, e.g. the neighbour scenario's in a study), repaired: its
        counts rounded and fixed, everything else (blocks, cooling switches, rule binaries, the continuous
        columns) solved for, a small MIP; offered only when that is feasible, so a plan that breaks this
        model's rows is never reported as one."""
        self.phase("repairing the given start")
        counts = self.counts
        cols = counts if len(counts) else self.integer
        rounded = x.copy()
        if len(rounded) == int(self.lp["n_col"]) and len(self.integer):
            rounded[self.integer] = np.round(rounded[self.integer])
        if len(cols) and self.feasible(rounded):
            plan = rounded  # the plan holds in this model as it is (e.g. a neighbour with more supply): no MIP
        elif len(cols):
            values = np.round(x[cols])
            seconds = self.budget()
            # not learnt from: a start must not change the budgets of the phases after it
            plan = None if seconds is None else self.repair(cols, values, values, seconds=seconds, work="floor",
                                                            learn=False)
        else:
            plan = x if self.feasible(x) else None
        if plan is not None:
            self.offer(plan, "given start")

    def feasible(self, x: np.ndarray, tol: float = 1e-6) -> bool:
        """Does ``x`` keep every column and row bound (within ``tol``, relative to the bound's size)?"""
        lp = self.lp
        if len(x) != int(lp["n_col"]) or not np.all(np.isfinite(x)):
            return False
        if np.any(x < lp["col_lower"] - tol * np.maximum(1, np.abs(lp["col_lower"]))) or \
                np.any(x > lp["col_upper"] + tol * np.maximum(1, np.abs(lp["col_upper"]))):
            return False
        activity = np.zeros(int(lp["n_row"]))
        col_of = np.repeat(np.arange(int(lp["n_col"])), np.diff(lp["a_start"]))
        np.add.at(activity, lp["a_index"], lp["a_value"] * x[col_of])
        lo, hi = lp["row_lower"], lp["row_upper"]
        return bool(np.all(activity >= lo - tol * np.maximum(1, np.abs(lo))) and
                    np.all(activity <= hi + tol * np.maximum(1, np.abs(hi))))

    def last_mip_seconds(self) -> float | None:
        """Seconds for a MIP after the search (dust, polishing): what is left, minus half a second for the
        message (their work limits end them); None when less than 0.3 s remains."""
        seconds = self.remaining() - 0.5
        if seconds < 0.3:
            self.capped("skipped")
            return None
        return seconds

    def first_incumbents(self, structure: bool = True) -> None:
        """The first plans, each offered as an incumbent (so they survive a kill); docs/solving.md has the
        measurements behind each step:

        1. the LP relaxation (a valid bound); with no counts, its integers rounded up and completed by an LP;
        2. the **support MIP**: every count the LP leaves at 0 fixed at 0, everything else as in the model
           (the LP buys from a handful of the purchasable tuples, so this MIP is small: HiGHS solves it to a
           quarter of the gap in a second on the national ladder rung); should it have no plan (rounding the
           LP's counts up breaks a cap the LP's tuples cannot absorb), the counts are kept at least at their
           rounded-down LP values and the MIP is otherwise free (the **floor repair**);
        3. a plan further than :data:`SUPPORT_GAP` from the bound: the relaxed-counts MIP and its repairs
           (:meth:`relaxed_counts`); a plan within it but not within the MIP gap: the **structure MIP**
           (:meth:`structure_plan`), the structure of the relaxed-counts MIP with the counts solved under it.

        The neighbourhood MIPs of :meth:`improve` come after these in a portfolio only: on one core they cost
        the bound search more time than their plans save (docs/solving.md). ``structure=False`` leaves the
        structure MIP out (the portfolio runs it after the first neighbourhood: :meth:`race`).
        """
        counts = self.counts
        gap = float(self.opts["mip_rel_gap"])
        self.phase("the LP relaxation")
        x, _ = self.relaxation(True)
        self.note("LP relaxation")
        if x is None:
            return
        if not len(counts):
            rounded = self.complete(np.ceil(x[self.integer] - INT_TOL))
            if rounded is not None:
                self.offer(rounded, "rounded relaxation")
            self.note("rounded LP relaxation")
            return
        self.lp_x = x
        if self.gap_to(self.lower_bound) <= gap:
            return  # a given start (a neighbour's plan, repaired) is already within the gap of the LP bound
        zero = counts[x[counts] <= INT_TOL]
        self.phase("the support MIP")
        seconds = self.budget()
        if seconds is not None and not self.bb_done.is_set():
            plan = self.without(zero, seconds=seconds, gap=gap / 4, work="support")
            if plan is not None:
                self.offer(plan, "support MIP")
            self.note("support MIP")
        if self.best_x is None and not self.bb_done.is_set():
            # the safety net: it stops by itself within 5 % (at the root, as a rule)
            self.phase("the floor repair")
            quick = self.budget()
            floor = None if quick is None else self.repair(
                counts, np.floor(x[counts] + INT_TOL), np.full(len(counts), np.inf), seconds=quick, gap=0.05,
                work="floor")
            if floor is not None:
                self.offer(floor, "repaired relaxation")
            self.note("floor repair")
        if self.bb_done.is_set():
            return
        if self.gap_to(self.lower_bound) > SUPPORT_GAP:
            self.relaxed_counts()
        elif structure:
            self.structure_plan()

    def structure_plan(self) -> None:
        """A second plan when the support MIP's is within :data:`SUPPORT_GAP` of the LP bound but not within
        the MIP gap: the structure (facility blocks, cooling switches, lots, rule binaries) of the
        relaxed-counts MIP solved to the MIP gap (at its root, as a rule), fixed, and the counts MIP under it
        (to a quarter of the gap). The support MIP keeps the LP's purchases and lets the structure follow;
        this keeps a structure chosen for integer blocks and switches and lets the purchases follow. On the
        20 perturbed national variants its plan was the better one on 17 (median 0.10 % above the LP bound
        against 0.14 %; within 0.1 % of it on 10, against 2), in 3-11 s (docs/solving.md)."""
        gap = float(self.opts["mip_rel_gap"])
        counts, structural = self.counts, self.structural
        if not len(structural) or not len(counts):
            return  # no structure to choose: the support MIP is the model's own MIP
        if self.bb_done.is_set() or self.gap_to(self.lower_bound) <= gap or self.relaxed_structure:
            return  # within the gap, or the relaxed-counts MIP has already chosen a structure (and repaired it)
        self.phase("the structure MIP")
        x, _ = self.relaxation(counts, gap=gap)
        if x is None or self.gap_to(self.lower_bound) <= gap or self.bb_done.is_set():
            return
        values = np.round(x[structural])
        self.phase("the counts MIP")
        seconds = self.budget()
        plan = None if seconds is None else self.repair(structural, values, values, seconds=seconds, gap=gap / 4,
                                                        work="repair")
        if plan is not None:
            self.offer(plan, "structure MIP")
        self.note("structure MIP")

    def relaxed_counts(self) -> None:
        """When the support MIP's plan is not within :data:`SUPPORT_GAP` of the LP bound, the structure
        (facility blocks, cooling switches, rule binaries) is what the LP got wrong: the model with the counts
        continuous and the other integers integer gives a better bound and a plan whose counts are rounded up
        and completed, then repaired in neighbourhoods, smallest first, until a plan is within the gap: its
        structure as it is or one more of each, with the counts between their floor and ceiling + 1 (HiGHS
        solves these in a blink); then the counts free; then the structure free above the plan's."""
        gap = float(self.opts["mip_rel_gap"])
        counts, structural = self.counts, self.structural
        if not len(structural) or self.bb_done.is_set():
            return  # the LP relaxation was the relaxation of the counts (or the search has ended)
        self.phase("the relaxed-counts MIP")
        self.relaxed_structure = True
        x, _ = self.relaxation(counts)
        self.note("relaxed counts")
        if x is None or self.gap_to(self.lower_bound) <= gap or self.bb_done.is_set():
            return
        rounded = self.complete(np.ceil(x[self.integer] - INT_TOL))
        if rounded is not None:
            self.offer(rounded, "rounded relaxation")
        if self.gap_to(self.lower_bound) <= gap:
            return
        # neighbourhoods of the relaxed plan, smallest first, until a plan is within the gap of the bound:
        # its structure (blocks, switches, rule binaries) as it is or one more of each, with the counts
        # between their floor and ceiling + 1 (HiGHS solves these in a blink); then the counts free; then
        # the structure free above the plan's
        values = np.round(x[structural])
        both = np.concatenate([structural, counts])
        low = np.concatenate([values, np.floor(x[counts] + INT_TOL)])
        near = np.ceil(x[counts] - INT_TOL) + 1
        self.phase("the neighbourhood repairs")
        for cols, lower, upper in ((both, low, np.concatenate([values, near])),
                                   (both, low, np.concatenate([values + 1, near])),
                                   (structural, values, values),
                                   (structural, values, self.lp["col_upper"][structural])):
            seconds = self.budget()
            if seconds is None or self.bb_done.is_set():
                break  # no time left for a repair to get past its start-up, or the search has ended
            repaired = self.repair(cols, lower, upper, seconds=seconds, work="repair")
            if repaired is not None:
                self.offer(repaired, "repaired relaxation")
                if self.gap_to(self.lower_bound) <= gap:
                    break
        self.note("repaired relaxed counts")

    def improve(self, only: tuple[str, ...] = ("periods", "sites", "chips")) -> None:
        """Neighbourhoods of the best plan, each a MIP with the plan as its start and every count outside the
        neighbourhood fixed at 0, until a plan is within the gap or the search ends: the (chip, cooling,
        region) of the LP's and the plan's purchases in every period; their (chip, region) with any cooling;
        their chips anywhere. Each may take half of the time left (portfolio only: on one core these would
        hold back the bound search, which needs the time more)."""
        keys = self.payload.get("count_keys")
        counts = self.counts
        gap = float(self.opts["mip_rel_gap"])
        if not keys or self.best_x is None or len(keys) != len(counts):
            return
        for name, project in (("periods", lambda k: k[:3]), ("sites", lambda k: (k[0], k[2])),
                              ("chips", lambda k: k[0])):
            if name not in only:
                continue
            if self.bb_done.is_set() or self.gap_to(self.lower_bound) <= gap or self.remaining() < 1.0:
                return
            bought = self.best_x[counts] > 0.5
            if self.lp_x is not None:
                bought |= self.lp_x[counts] > INT_TOL
            used = {project(keys[j]) for j in np.flatnonzero(bought)}
            free = np.array([project(k) in used for k in keys])
            fixed = counts[~free]
            self.phase(f"the neighbourhood MIP ({name})")
            plan = self.without(fixed, seconds=0.5 * self.remaining(), gap=gap / 4, work="neighbourhood",
                                start=True)
            if plan is not None:
                self.offer(plan, f"neighbourhood MIP ({name})")
            self.note(f"neighbourhood MIP ({name})")

    def note(self, phase: str) -> None:
        """A line in the solve log: where the first-incumbent phases stand."""
        best = f"{self.best:.6g}" if math.isfinite(self.best) else "none"
        bound = f"{self.lower_bound:.6g}" if math.isfinite(self.lower_bound) else "none"
        self.send("log", f"tokenplan: {phase} done at {self.elapsed():.2f} s; best plan {best}, bound {bound}")

    def objective(self, x: np.ndarray) -> float:
        """The model's objective at the plan ``x`` (its constant included)."""
        return float(self.lp["col_cost"] @ x + self.lp["offset"])

    def offer(self, x: np.ndarray, source: str, bound: float = -math.inf) -> None:
        objective = self.objective(x)
        with self.lock:
            if objective < self.best - 1e-12 * max(1.0, abs(objective)):
                self.best = objective
                self.best_x = x
                self.send("incumbent", objective, max(bound, self.lower_bound), x, source, self.elapsed())

    def raise_bound(self, bound: float, source: str) -> None:
        """Take ``bound`` as the best valid lower bound when it is better than the one so far, and say so."""
        with self.lock:
            if math.isfinite(bound) and bound > self.lower_bound:
                self.lower_bound = bound
                self.send("bound", bound, self.elapsed(), source)

    def proved(self, h: Any, limit: float | None) -> float:
        """The lower bound that the finished search in ``h``, for the plans that cost at most ``limit`` (a
        cut-off), proves for the whole model: the limit itself when HiGHS found no plan within it
        (``Infeasible``), else HiGHS's dual bound, no higher than the limit (:func:`below`; HiGHS 1.16 can end
        ``Optimal`` at a point above the cut-off, its search done, which proves the limit too)."""
        if limit is not None and h.getModelStatus() == self.hs.HighsModelStatus.kInfeasible:
            return limit
        return below(h.getInfo().mip_dual_bound, limit)

    def gap_to(self, bound: float) -> float:
        if not math.isfinite(self.best) or not math.isfinite(bound):
            return math.inf
        return max(0.0, self.best - bound) / max(abs(self.best), 1e-9)

    def polish(self) -> None:
        """Drop idle units from the best plan: the MIP with its structure (blocks, switches, rule binaries)
        fixed and every count between 0 and the plan's, solved to optimality within its node limit. A unit
        that serves nothing costs money, so the plan gets cheaper wherever the search left one (within the MIP
        gap)."""
        counts = self.counts
        if self.best_x is None or not len(counts):
            return
        seconds = self.last_mip_seconds()
        if seconds is None:
            return
        x = self.best_x
        structural = self.structural
        cols = np.concatenate([structural, counts])
        lower = np.concatenate([np.round(x[structural]), np.zeros(len(counts))])
        upper = np.concatenate([np.round(x[structural]), np.round(x[counts])])
        self.phase("polishing the plan")
        polished = self.repair(cols, lower, upper, seconds=seconds, gap=0.0, work="polish")
        if polished is not None:
            self.offer(polished, "polished")

    def clear_dust(self) -> None:
        """Remove "dust" from the best plan: purchases of at most :data:`DUST_SHARE` of all the accelerators the plan
        buys (one server of a chip beside thousands, which a buyer reads as noise). The MIP over the plan's
        other purchases (every count outside them fixed at 0, the structure free) replaces the plan when its
        plan is still within the MIP gap of the bound, so the result stays optimal within the tolerance the
        user gave; else the plan keeps its dust. Said in the log either way."""
        counts = self.counts
        if self.best_x is None or not len(counts) or not math.isfinite(self.lower_bound):
            return
        units = np.round(self.best_x[counts])
        sizes = np.asarray(self.payload.get("count_sizes") or np.ones(len(counts)), dtype=float)
        accelerators = units * (sizes if len(sizes) == len(counts) else 1.0)
        # measured in accelerators: one CloudMatrix 384 beside thousands of 8-GPU servers is not dust
        dust = (units > 0) & (accelerators <= DUST_SHARE * accelerators.sum())
        if not dust.any():
            return
        seconds = self.last_mip_seconds()
        if seconds is None:
            return
        self.phase("clearing dust")
        plan = self.without(counts[(units == 0) | dust], seconds=seconds, gap=0.0, work="dust")
        if plan is None:
            self.send("log", f"tokenplan: {int(dust.sum())} dust purchases kept: no plan without them")
            return
        objective = self.objective(plan)
        gap = max(0.0, objective - self.lower_bound) / max(abs(objective), 1e-9)
        if objective < self.best:
            self.offer(plan, "dust cleared")
        elif gap <= float(self.opts["mip_rel_gap"]):
            extra = objective - self.best
            with self.lock:
                self.best, self.best_x = objective, plan
            self.send("log", f"tokenplan: {int(dust.sum())} dust purchases cleared for {extra:.6g} more "
                             f"(gap {100 * gap:.4f} %, within the MIP gap)")
        else:
            self.send("log", f"tokenplan: {int(dust.sum())} dust purchases kept: without them the plan is "
                             f"{100 * gap:.4f} % from the bound, beyond the MIP gap")

    def finish(self, status: str, nodes: int = 0, row_dual: np.ndarray | None = None) -> None:
        if len(self.integer):
            self.clear_dust()
            self.polish()
        x = self.best_x
        self.send("mip_done", {
            "status": status, "objective": self.best if x is not None else None,
            "bound": self.lower_bound if math.isfinite(self.lower_bound) else None,
            "gap": self.gap_to(self.lower_bound) if x is not None else None, "x": x, "nodes": nodes,
            "seconds": self.elapsed(), "row_dual": row_dual, "time_capped": list(self.time_capped),
        })
        if x is not None and len(self.integer) and self.payload.get("duals", True):
            self.send("duals", self.fixed_duals(x))

    def find_iis(self) -> None:
        """An irreducible infeasible subset of the model (HiGHS's ``getIis``, strategy 22: from the LP,
        irreducible, by relaxation; measured in solver-notes.md section 3), within the time left: its rows and
        column bounds by position. HiGHS returns an error for a purely integer conflict (no IIS then)."""
        self.phase("irreducible infeasible subset")
        h = self.new_highs(log=False)
        h.setOptionValue("iis_strategy", 22)
        h.setOptionValue("iis_time_limit", float(self.remaining()))
        status, iis = h.getIis()
        valid = status != self.hs.HighsStatus.kError and bool(iis.valid_)
        self.send("iis", {"valid": valid, "rows": [int(i) for i in iis.row_index_] if valid else [],
                          "cols": [int(j) for j in iis.col_index_] if valid else [], "seconds": self.elapsed(),
                          "status": str(status)})
        self.send("mip_done", {"status": "Infeasible" if valid else "IIS not found", "objective": None,
                               "bound": None, "gap": None, "x": None, "nodes": 0, "seconds": self.elapsed(),
                               "row_dual": None})

    def solve(self) -> None:
        if int(self.lp["n_col"]) == 0:
            return self.solve_empty()
        if self.payload.get("iis"):
            return self.find_iis()
        gap = float(self.opts["mip_rel_gap"])
        given = self.payload.get("start")
        if given is not None:
            self.given_start(np.asarray(given, dtype=float))
        portfolio = bool(self.opts.get("portfolio")) and len(self.integer) > 0
        if len(self.integer) and self.payload.get("heuristic_start", True) and not portfolio:
            self.first_incumbents()
            if self.gap_to(self.lower_bound) <= gap:
                # the rounded plan is within the gap of a valid bound: no branch and bound needed
                return self.finish("Optimal")
        self.phase("branch and bound")
        searching = len(self.integer) >= BOUND_SEARCH_MIN_INTEGERS and (
            portfolio or self.gap_to(self.lower_bound) <= BOUND_SEARCH_GAP)
        cutoff = self.cutoff() if searching and not portfolio and self.best_x is not None else None
        # the plans wanted: those below the cut-off, or no dearer than the best plan (which stays a start)
        limit = cutoff if cutoff is not None else (self.best if self.best_x is not None else None)
        h = self.new_highs(limit=limit)
        if searching:
            bound_search(h)  # plans are the worker's to find (in a portfolio, on the other thread)
            if cutoff is not None:
                h.setOptionValue("objective_bound", cutoff)
        else:
            self.set_start(h)

        def improving(e: Any) -> None:
            bound = max(below(e.data_out.mip_dual_bound, limit), self.lower_bound)
            self.offer(np.array(e.data_out.mip_solution), "highs", bound)
            if self.gap_to(bound) <= gap:
                e.interrupt()  # within the gap of the relaxation's bound

        def interrupt(e: Any) -> None:
            if self.heuristics_won.is_set():
                e.interrupt()  # the heuristics' plan is within the gap of their bound
                return
            bound = max(below(e.data_out.mip_dual_bound, limit), self.lower_bound)
            now = self.elapsed()
            if self.gap_to(bound) <= gap:
                # the best plan (ours, which HiGHS may not know) is within the gap of the search's bound
                self.send("bound", bound, now, "highs")
                self.lower_bound = max(self.lower_bound, bound)
                e.interrupt()
                return
            if now - self.last_bound_sent > 0.5:
                self.last_bound_sent = now
                self.send("bound", bound, now, "highs")

        if len(self.integer):
            h.cbMipImprovingSolution.subscribe(improving)
            h.cbMipInterrupt.subscribe(interrupt)
        h.setOptionValue("time_limit", float(self.opts.get("highs_time_limit") or self.remaining()))
        if portfolio:
            self.race(h)
        else:
            h.run()
        info = h.getInfo()
        status = self.status_name(h)
        has_x = info.primal_solution_status == 2
        if not len(self.integer):  # a pure LP: its optimum, bound and duals
            if has_x:
                self.offer(np.array(h.getSolution().col_value), "highs")
                self.lower_bound = float(info.objective_function_value)
            return self.finish(status, row_dual=np.array(h.getSolution().row_dual) if has_x else None)
        if has_x:
            x = np.array(h.getSolution().col_value)
            if cutoff is None or self.feasible(x):  # under a cut-off HiGHS 1.16 once returned a point above it
                self.offer(x, "highs")
        self.raise_bound(self.proved(h, limit), "highs")
        if self.best_x is not None and self.gap_to(self.lower_bound) <= gap:
            status = "Optimal"  # also when our callback stopped HiGHS at the relaxation's bound
        return self.finish(status, nodes=int(info.mip_node_count))

    def solve_empty(self) -> None:
        """A model without columns (nothing to buy or serve: no chip fits anywhere and no demand): the empty
        plan is its one point, optimal at the objective's constant when every row holds at 0. HiGHS reports
        such a model as "Empty", which is no solve status (it was reported as an error)."""
        lp = self.lp
        if not (np.all(np.asarray(lp["row_lower"]) <= 1e-9) and np.all(np.asarray(lp["row_upper"]) >= -1e-9)):
            return self.finish("Infeasible")
        self.offer(np.zeros(0), "empty model")
        self.lower_bound = float(lp["offset"])
        return self.finish("Optimal", row_dual=np.zeros(int(lp["n_row"])))

    def race(self, h: Any) -> None:
        """The portfolio: HiGHS's branch and bound on a second thread from the start, as a bound search
        (:func:`bound_search`), and on this one the first plans of :meth:`first_incumbents`, the first
        neighbourhood of :meth:`improve`, the structure MIP (:meth:`structure_plan`) and the first neighbourhood
        again, the cut-off search (:meth:`proof_search`), then the other neighbourhoods. The structure MIP comes
        after the first neighbourhood here: before it, perturbed national variant 13 reached 0.1 % at 53 s
        (after it, 22 s; docs/solving.md). The search's plans are offered as they come; the worker's are not
        handed to it (a MIP start slowed HiGHS's root 3-4x, docs/solving.md). Whichever side brings the best
        plan within the gap of the best bound stops the other: the search from its interrupt callback, the
        heuristics between phases."""
        search = threading.Thread(target=lambda: (h.run(), self.bb_done.set()), name="tokenplan-search",
                                  daemon=True)
        search.start()
        if self.payload.get("heuristic_start", True):
            self.racing = True
            try:
                self.first_incumbents(structure=False)
                self.improve(("periods",))
                self.structure_plan()
                self.improve(("periods",))  # of the structure MIP's plan (or of the first's, with fresh nodes)
                self.proof_search()
                self.improve(("sites", "chips"))
            finally:
                self.racing = False
        if self.best_x is not None and self.gap_to(self.lower_bound) <= float(self.opts["mip_rel_gap"]):
            self.heuristics_won.set()
        self.phase("branch and bound")
        search.join()

    def proof_search(self) -> None:
        """Portfolio: branch and bound with the cut-off of the best plan (:meth:`cutoff`), on the heuristics'
        thread beside the bound search, until one of the two proves the gap or the deadline. The cut-off
        prunes every node that cannot beat the plan by the gap, so HiGHS closes at its root gaps that the
        bound search, which knows no plan, leaves open; plans it finds below the cut-off are offered."""
        gap = float(self.opts["mip_rel_gap"])
        if self.best_x is None or self.bb_done.is_set() or self.gap_to(self.lower_bound) <= gap:
            return
        cutoff = self.cutoff()
        self.phase("the cut-off search")
        h = self.new_highs(log=False, limit=cutoff)
        bound_search(h)
        h.setOptionValue("objective_bound", cutoff)

        def improving(e: Any) -> None:
            self.offer(np.array(e.data_out.mip_solution), "highs (cut-off search)",
                       max(below(e.data_out.mip_dual_bound, cutoff), self.lower_bound))

        def interrupt(e: Any) -> None:
            if self.bb_done.is_set():
                e.interrupt()  # the bound search has ended
                return
            bound = below(e.data_out.mip_dual_bound, cutoff)
            if self.gap_to(bound) <= gap:
                self.raise_bound(bound, "highs (cut-off search)")
            if self.gap_to(self.lower_bound) <= gap:
                e.interrupt()

        h.cbMipImprovingSolution.subscribe(improving)
        h.cbMipInterrupt.subscribe(interrupt)
        h.setOptionValue("time_limit", self.remaining())
        h.run()
        self.raise_bound(self.proved(h, cutoff), "highs (cut-off search)")
        self.note("cut-off search")

    def cutoff(self) -> float:
        """The bound search's cut-off (HiGHS's ``objective_bound``): the best plan less a hair under the MIP
        gap. Branch and bound then prunes every node whose bound is within the gap of the plan, from the
        root on (reduced-cost fixing, restarts); no plan below it is a proof that the best plan is within the
        gap. On the second perturbed national variant the bound search without it stalled at 0.105 % for
        280 s; with it, HiGHS proved the gap at its root (docs/solving.md)."""
        gap = float(self.opts["mip_rel_gap"])
        return self.best - CUTOFF_SHARE * gap * abs(self.best)

    def fixed_duals(self, x: np.ndarray) -> np.ndarray | None:
        """Duals of the LP with the binaries fixed at the plan and the counts relaxed (solver-notes 3)."""
        self.phase("the duals")
        binary = np.array(self.payload.get("binary_cols", []), dtype=np.int32)
        h = self.new_highs(relax=True, log=False)
        if len(binary):
            values = np.round(x[binary])
            h.changeColsBounds(len(binary), binary, values, values)
        h.setOptionValue("time_limit", min(float(self.opts["duals_time_limit"]), self.remaining()))
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().row_dual)


def below(bound: float, cutoff: float | None) -> float:
    """A bound of HiGHS's search that is valid for the whole model: with a cut-off (``objective_bound``) HiGHS
    bounds only the plans below it, so the model's bound is the smaller of the two (on a small model HiGHS
    1.16 reported a dual bound of 20,019 under a cut-off of 10,000 for a model whose optimum is 10,001)."""
    bound = float(bound)
    return bound if cutoff is None else min(bound, cutoff)


def bound_search(h: Any) -> None:
    """Branch and bound for the bound alone: HiGHS's primal heuristics off and no MIP start. Once the
    worker's own plan is within a few per cent of the LP bound, these only cost time: on the national ladder
    rung HiGHS's root heuristics (sub-MIPs nested 14 deep) held the root for more than 60 s, and a MIP start
    made its root 30 s long; without either the root ends in 9 s and the bound reaches the gap of the plan in
    9-22 s (docs/solving.md). The search still finds plans of its own when it branches to them."""
    for option, value in HEURISTICS_OFF.items():
        h.setOptionValue(option, value)


def _watch_parent(stdin: BinaryIO, busy: threading.Event) -> queue.Queue[Any]:
    """Read the parent's next models from our stdin (a parent may reuse this process: one solve after
    another), and end the process when the parent is gone: its end of our stdin closes (it exited, or was
    killed) while a model is being solved. Between solves an end of file is the parent done with us: the
    queue then gets None, and the process ends normally."""
    parent = os.getppid()
    inbox: queue.Queue[Any] = queue.Queue()

    def watch() -> None:
        while True:
            try:
                payload = read_message(stdin)
            except Exception:  # a torn or unreadable frame: the parent is gone or broken
                payload = None
            if payload is None:
                if busy.is_set():
                    os._exit(ORPHANED)
                inbox.put(None)
                return
            inbox.put(payload)

    def poll() -> None:  # a second guard, for a parent whose stdin end leaked into another process
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(ORPHANED)

    threading.Thread(target=watch, name="tokenplan-parent-watch", daemon=True).start()
    threading.Thread(target=poll, name="tokenplan-parent-poll", daemon=True).start()
    return inbox


def _message_stream(argv: list[str]) -> BinaryIO:
    if len(argv) != 3 or argv[1] != "--messages" or not argv[2].isdigit():
        raise SystemExit("usage: python -P -m tokenplan.highs_worker --messages FD (started by tokenplan)")
    return os.fdopen(int(argv[2]), "wb", buffering=0)


def main(argv: list[str] | None = None) -> int:
    out = _message_stream(sys.argv if argv is None else argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    stdin = sys.stdin.buffer
    phase = "reading the model"
    busy = threading.Event()
    try:
        payload = read_message(stdin)
        if payload is None:
            write_message(out, ("error", "protocol", "no model arrived on stdin"))
            return 2
        busy.set()
        inbox = _watch_parent(stdin, busy)
    except Exception as exc:
        write_message(out, ("error", "exception", f"{type(exc).__name__} while {phase}: {exc}"))
        return 1
    while payload is not None:  # one solve after another, for as long as the parent sends models
        busy.set()
        phase = "starting HiGHS"
        try:
            write_message(out, ("phase", phase))
            worker = Worker(payload, out)
            worker.solve()
        except Exception as exc:  # reported to the parent, which raises SolverError
            text = str(exc) if isinstance(exc, ModelRefused) else f"{type(exc).__name__} while {phase}: {exc}"
            write_message(out, ("error", getattr(exc, "kind", "exception"), text))
            return 1
        busy.clear()  # before "done": the parent may close our stdin as soon as it reads it
        write_message(out, ("done", worker.elapsed(), time.process_time() - worker.cpu0))
        payload = inbox.get()
    return 0


if __name__ == "__main__":
    sys.exit(main())
