"""The solver process: ``python -m tokenplan.highs_worker`` reads a matrix model on stdin, solves it with
HiGHS and streams framed pickled messages on stdout.

It runs in its own process so that the parent can kill it at a hard wall-clock deadline (HiGHS does not
reliably honour its own time limit: ``solver-notes.md`` section 2). Everything the parent needs to keep a
plan after a kill is streamed before: every improving incumbent, and the dual bound as it moves.

Messages (tuples): ``("log", text)``, ``("incumbent", objective, bound, x, source, seconds)``,
``("bound", bound, seconds)``, ``("mip_done", info)``, ``("duals", row_dual)``, ``("done",)``.

This module imports only numpy and highspy (not Pyomo), so the process starts fast.
"""

from __future__ import annotations

import math
import pickle
import struct
import sys
import time
from typing import Any, BinaryIO

import numpy as np

FRAME = struct.Struct(">Q")
INT_TOL = 1e-6


def write_message(stream: BinaryIO, message: tuple[Any, ...]) -> None:
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(FRAME.pack(len(blob)) + blob)
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    head = _read_exact(stream, FRAME.size)
    if head is None:
        return None
    body = _read_exact(stream, FRAME.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
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
        self.lp = payload["lp"]
        self.opts = payload["options"]
        self.deadline = self.t0 + float(self.opts["time_limit"])
        self.integer = np.flatnonzero(self.lp["integrality"] > 0)
        self.best = math.inf
        self.best_x: np.ndarray | None = None
        self.lower_bound = -math.inf
        self.last_bound_sent = 0.0

    # -- plumbing --------------------------------------------------------------------------------
    def send(self, *message: Any) -> None:
        write_message(self.out, message)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def remaining(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def new_highs(self, *, relax: Any = (), log: bool = True) -> Any:
        """A HiGHS instance with the model; ``relax``: columns made continuous (True: all)."""
        hs = self.hs
        h = hs.Highs()
        h.setOptionValue("output_flag", log)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("threads", int(self.opts["threads"]))
        h.setOptionValue("random_seed", int(self.opts["random_seed"]))
        h.setOptionValue("mip_rel_gap", float(self.opts["mip_rel_gap"]))
        if log:
            h.cbLogging.subscribe(lambda e: self.send("log", e.message.rstrip("\n")))
        lp = hs.HighsLp()
        d = self.lp
        lp.num_col_ = int(d["n_col"])
        lp.num_row_ = int(d["n_row"])
        lp.col_cost_ = d["col_cost"]
        lp.col_lower_ = d["col_lower"]
        lp.col_upper_ = d["col_upper"]
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
        h.passModel(lp)
        return h

    def status_name(self, h: Any) -> str:
        return h.modelStatusToString(h.getModelStatus())

    # -- steps -------------------------------------------------------------------------------------
    def relaxation(self) -> tuple[np.ndarray | None, float]:
        """Solve with the counts continuous (the other integers kept): a plan to round and a valid
        lower bound on the MIP's objective. Without count columns, the LP relaxation."""
        counts = self.payload.get("count_cols") or []
        relax: Any = np.asarray(counts, dtype=int) if len(counts) else True
        h = self.new_highs(relax=relax, log=False)
        h.setOptionValue("time_limit", self.remaining() * 0.4)
        # a tight gap here: its dual bound is what proves the rounded plan good enough
        h.setOptionValue("mip_rel_gap", float(self.opts["mip_rel_gap"]) / 10)
        h.run()
        info = h.getInfo()
        integral = relax is not True and len(counts) < len(self.integer)
        bound = float(info.mip_dual_bound) if integral else (
            float(info.objective_function_value) if h.getModelStatus() == self.hs.HighsModelStatus.kOptimal
            else -math.inf)
        if not math.isfinite(bound):
            bound = -math.inf
        x = np.array(h.getSolution().col_value) if info.primal_solution_status == 2 else None
        if bound > -math.inf:
            self.send("bound", bound, self.elapsed(), "relaxed counts")
        return x, bound

    def round_and_repair(self, relaxed: np.ndarray) -> np.ndarray | None:
        """Round the relaxed plan's counts up and complete it with an LP; if rounding broke a cap, repair:
        a MIP over the counts with the other integers fixed at the relaxed plan (then free to grow)."""
        rounded = np.ceil(relaxed[self.integer] - INT_TOL)
        start = self.complete(rounded)
        if start is not None:
            self.offer(start, "rounded relaxation")
        counts = np.isin(self.integer, np.asarray(self.payload.get("count_cols") or [], dtype=int))
        if counts.all() or self.gap_to(self.lower_bound) <= float(self.opts["mip_rel_gap"]):
            return start
        structural = self.integer[~counts]
        values = np.round(relaxed[structural])
        for upper in (values, self.lp["col_upper"][structural]):
            repaired = self.repair(structural, values, upper)
            if repaired is not None:
                self.offer(repaired, "repaired relaxation")
                break
        return self.best_x

    def complete(self, integer_values: np.ndarray) -> np.ndarray | None:
        """Fix the integer columns and solve the LP in the continuous ones."""
        h = self.new_highs(relax=True, log=False)
        h.changeColsBounds(len(self.integer), self.integer.astype(np.int32), integer_values, integer_values)
        h.setOptionValue("time_limit", self.remaining() * 0.2)
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value)

    def repair(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """The MIP with the non-count integers ``cols`` bounded to [lower, upper]."""
        h = self.new_highs(log=False)
        lower = np.maximum(lower, self.lp["col_lower"][cols])
        h.changeColsBounds(len(cols), cols.astype(np.int32), lower, upper)
        h.setOptionValue("time_limit", self.remaining() * 0.25)
        if self.best_x is not None:
            sol = self.hs.HighsSolution()
            sol.col_value = list(self.best_x)
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        if h.getInfo().primal_solution_status != 2:
            return None
        return np.array(h.getSolution().col_value)

    def offer(self, x: np.ndarray, source: str, bound: float = -math.inf) -> None:
        objective = float(self.lp["col_cost"] @ x + self.lp["offset"])
        if objective < self.best - 1e-12 * max(1.0, abs(objective)):
            self.best = objective
            self.best_x = x
            self.send("incumbent", objective, bound, x, source, self.elapsed())

    def gap_to(self, bound: float) -> float:
        if not math.isfinite(self.best) or not math.isfinite(bound):
            return math.inf
        return max(0.0, self.best - bound) / max(abs(self.best), 1e-9)

    def solve(self) -> None:
        given = self.payload.get("start")
        lower_bound = -math.inf
        if given is not None:
            self.offer(np.asarray(given, dtype=float), "given start")
        if len(self.integer) and self.payload.get("heuristic_start", True):
            relaxed, lower_bound = self.relaxation()
            self.lower_bound = lower_bound
            if relaxed is not None:
                self.round_and_repair(relaxed)
        gap = float(self.opts["mip_rel_gap"])
        if len(self.integer) and self.best_x is not None and self.gap_to(lower_bound) <= gap:
            # the rounded plan is within the gap of a valid bound: no branch and bound needed
            self.send("mip_done", {"status": "Optimal", "objective": self.best, "bound": lower_bound,
                                   "gap": self.gap_to(lower_bound), "x": self.best_x, "nodes": 0,
                                   "seconds": self.elapsed(), "row_dual": None})
            if self.payload.get("duals", True):
                self.send("duals", self.fixed_duals(self.best_x))
            return
        h = self.new_highs()
        if self.best_x is not None and len(self.integer):
            sol = self.hs.HighsSolution()
            sol.col_value = list(self.best_x)
            sol.value_valid = True
            h.setSolution(sol)

        def improving(e: Any) -> None:
            x = np.array(e.data_out.mip_solution)
            bound = max(float(e.data_out.mip_dual_bound), lower_bound)
            self.offer(x, "highs", bound)
            if self.gap_to(bound) <= gap:
                e.interrupt()  # within the gap of the relaxation's bound

        def interrupt(e: Any) -> None:
            now = self.elapsed()
            if now - self.last_bound_sent > 0.5:
                self.last_bound_sent = now
                self.send("bound", max(float(e.data_out.mip_dual_bound), lower_bound), now, "highs")

        if len(self.integer):
            h.cbMipImprovingSolution.subscribe(improving)
            h.cbMipInterrupt.subscribe(interrupt)
        h.setOptionValue("time_limit", self.remaining())
        h.run()
        info = h.getInfo()
        status = self.status_name(h)
        has_x = info.primal_solution_status == 2
        x = np.array(h.getSolution().col_value) if has_x else None
        bound = (max(float(info.mip_dual_bound), lower_bound) if len(self.integer) else
                 (float(info.objective_function_value) if has_x else None))
        if x is not None:
            self.offer(x, "highs", bound if bound is not None else -math.inf)
        if self.best_x is not None and len(self.integer):
            x = self.best_x
            if status.lower() in ("interrupted by user",) or self.gap_to(bound) <= gap:
                status = "Optimal"
        self.send("mip_done", {
            "status": status,
            "objective": self.best if x is not None else None,
            "bound": bound,
            "gap": self.gap_to(bound) if len(self.integer) else 0.0,
            "x": x,
            "nodes": int(info.mip_node_count) if len(self.integer) else 0,
            "seconds": self.elapsed(),
            "row_dual": None if len(self.integer) or not has_x else np.array(h.getSolution().row_dual),
        })
        if x is not None and len(self.integer) and self.payload.get("duals", True):
            self.send("duals", self.fixed_duals(x))

    def fixed_duals(self, x: np.ndarray) -> np.ndarray | None:
        """Duals of the LP with the binaries fixed at the plan and the counts relaxed (solver-notes 3)."""
        binary = np.array(self.payload.get("binary_cols", []), dtype=np.int32)
        h = self.new_highs(relax=True, log=False)
        if len(binary):
            values = np.round(x[binary])
            h.changeColsBounds(len(binary), binary, values, values)
        h.setOptionValue("time_limit", float(self.opts.get("duals_time_limit", 10.0)))
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().row_dual)


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the message stream
    payload = read_message(stdin)
    if payload is None:
        return 2
    worker = Worker(payload, stdout)
    try:
        worker.solve()
    except Exception as exc:  # reported to the parent, which raises SolverError
        write_message(stdout, ("error", f"{type(exc).__name__}: {exc}"))
        return 1
    write_message(stdout, ("done",))
    return 0


if __name__ == "__main__":
    sys.exit(main())
