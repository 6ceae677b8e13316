"""Fast re-solves: variants of one problem solved with the model built and compiled once.

:class:`Resolver` keeps the last model it built (its data, its Pyomo model, its compiled matrix) resident.
For each problem it computes the coefficients (cheap, and the only honest way to know what a change
means), compares them with the resident ones, and

- when the sets are the same and every coefficient that changed is read only by core constraint families
  (the map ``build(..., record=True)`` records: :mod:`tokenplan.model.reads`), remakes those families' rows
  in the resident model and recompiles just those rows into the matrix (a **patch**: demand, HBM supply,
  budgets and chip-supply caps are right-hand sides of core families);
- when, besides, a rule's parameters changed and every one of them is in the rule's ``patchable``, asks the
  rule to take them into the resident model (``Rule.refresh``: its rows remade, its variables' bounds set)
  and recompiles those rows and bounds too (the built-in subsidies' rates and caps);
- otherwise builds and compiles the model again (a **rebuild**), and says why: what changed and who reads
  it (a rule's other parameters, prices that the cost terms read, a chip allowed or banned, ...).

Either way the solve, the result and the diagnosis are those of :func:`tokenplan.solve` (the same
``finish``). A result's ``model`` is the resident one: read it before the next solve changes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

#: fields of ``Data`` that are its sets: when one differs, the model's structure differs
STRUCTURE = ("chips", "coolings", "regions", "workload_ids", "pools", "allowed", "buy", "fleet", "build",
             "cool_sites", "serve", "installed", "rentals")
#: fields that describe, not model: never a reason to rebuild
IGNORED = ("selection", "warnings", "forbidden")


@dataclass
class Reuse:
    """How a problem was solved: ``patched`` (with the families remade) or rebuilt (with the reason)."""

    patched: bool
    reason: str
    changed: tuple[str, ...] = ()
    families: tuple[str, ...] = ()


class Resolver:
    def __init__(self, catalog: Any = None, disable: tuple[str, ...] = ()) -> None:
        self.catalog = catalog
        self.disable = tuple(disable)
        self._resident: tuple[Any, Any, Any] | None = None  # (data, model, matrix)
        self.last: Reuse | None = None

    def solve(self, problem: Any, *, time_limit_s: float | None = None, mip_gap: float | None = None,
              threads: int | None = None, start: dict[str, float] | None = None, diagnose: bool = True,
              details: bool = True) -> Any:
        """Solve ``problem`` (as :func:`tokenplan.solve`), patching the resident model where it can;
        ``self.last`` says how. The result's ``model`` and ``matrix`` are the resident ones: the next solve
        changes them, so read what you need from them first (its tables and KPIs are its own)."""
        from tokenplan.api import finish, solve_options
        from tokenplan.catalog import select
        from tokenplan.coefficients import compute
        from tokenplan.model import build

        options, deadline = solve_options(problem, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads,
                                          start=start)
        options.keep_spare = True  # the next re-solve's solver process starts when this one ends
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        selection = select(problem, self.catalog, disable=self.disable)
        data = compute(selection)
        timings["coefficients_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        model, matrix, reuse = self._patch(data)
        if model is None:
            model, matrix = build(data, record=True), None
            timings["build_s"] = time.perf_counter() - t1
        else:
            timings["patch_s"] = time.perf_counter() - t1
        self.last = reuse
        self._resident = None  # until the solve has compiled (or kept) the matrix
        result = finish(problem, selection, data, model, options, deadline, timings, diagnose=diagnose,
                        matrix=matrix, details=details)
        solved_matrix = getattr(result, "matrix", None)
        if solved_matrix is not None:
            self._resident = (data, model, solved_matrix)
        return result

    def _patch(self, data: Any) -> tuple[Any, Any, Reuse]:
        if self._resident is None:
            return None, None, Reuse(False, "the first solve of this worker")
        old, model, matrix = self._resident
        ctx = model.tp_ctx
        why = same_selection(old.selection, data.selection)
        if why:
            return None, None, Reuse(False, why)
        why, refreshes = rule_refreshes(old.selection, data.selection)
        if why:
            return None, None, Reuse(False, why)
        changed = changed_fields(old, data)
        structural = [f for f in changed if f in STRUCTURE]
        if structural:
            return None, None, Reuse(False, f"the sets changed ({', '.join(structural)})", tuple(changed))
        if ctx.reads is None:
            return None, None, Reuse(False, "the resident model was built without its read map", tuple(changed))
        from tokenplan.model.families import FAMILIES

        core = {f.name for f in FAMILIES}
        readers_of_selection = ctx.reads.readers("selection") - {"shared"}
        if readers_of_selection:
            return None, None, Reuse(False, f"{', '.join(sorted(readers_of_selection))} read the problem itself",
                                     tuple(changed))
        families: set[str] = set()
        coefficients: set[str] = set()  # families some of whose left-hand sides may have changed
        by_name = {f.name: f for f in FAMILIES}
        for name in changed:
            readers = ctx.reads.readers(name)
            others = sorted(r for r in readers if not (r.startswith("family:") and r[7:] in core))
            if others:
                return None, None, Reuse(False, f"{name} changed and {', '.join(others)} read it", tuple(changed))
            families |= {r[7:] for r in readers}
            coefficients |= {r[7:] for r in readers if name not in by_name[r[7:]].rhs_reads}
        from tokenplan.matrix import patch_bounds, patch_columns, patch_rows

        self._resident = None  # the resident model changes from here: a failure below leaves none
        bounded = sorted(families - coefficients)
        bounds = ctx.refresh_bounds(data, bounded) if bounded else []
        if bounds is None:  # not by bounds alone: those rows are remade too
            bounded, bounds = [], []
        remade = ctx.refresh(data, sorted(families - set(bounded)))
        if remade is None:
            self._resident = None
            return None, None, Reuse(False, "rows of " + ", ".join(sorted(families)) + " appear, vanish or change "
                                     "columns", tuple(changed))
        ctx.begin_patch()
        try:
            for rule, before, _ in refreshes:
                with data.selection.blame(rule, "refresh()"):
                    taken = rule.refresh(ctx, before)
                if not taken:
                    self._resident = None  # the core rows are remade already: the resident model is gone
                    return None, None, Reuse(False, f"the parameters of rule {rule.id} changed and its refresh "
                                             "cannot take them (structural)", tuple(changed))
        finally:
            patch = ctx.end_patch()
        if not patch_rows(matrix, remade + patch["rows"]) or not patch_bounds(matrix, bounds):
            self._resident = None
            return None, None, Reuse(False, "rows of " + ", ".join(sorted(families) + [r.id for r, _, _ in refreshes])
                                     + " appear, vanish or change columns", tuple(changed))
        patch_columns(matrix, patch["columns"])
        what = ", ".join(changed + [f"rules.{r.id}.{k}" for r, _, keys in refreshes for k in keys]) or "nothing"
        rows = sorted(families - set(bounded)) + [f"rule {r.id}" for r, _, _ in refreshes]
        done = ([f"rows of {', '.join(rows)} remade"] if rows else []) + (
            [f"right-hand sides of {', '.join(bounded)} set"] if bounded else [])
        return model, matrix, Reuse(True, f"patched: {what} changed; {'; '.join(done) or 'nothing remade'}",
                                    tuple(changed), tuple(sorted(families)))


def same_selection(a: Any, b: Any) -> str:
    """Why two selections make different models ('' when they make the same one, numbers aside)."""
    for kind in ("chips", "coolings", "regions"):
        old = {r.id: r.model_dump() for r in getattr(a, kind)}
        new = {r.id: r.model_dump() for r in getattr(b, kind)}
        if list(old) != list(new):
            return f"the {kind} changed (allowed or banned: {', '.join(sorted(set(old) ^ set(new))) or 'order'})"
        differ = [i for i in old if old[i] != new[i]]
        if differ:
            return f"the {kind} changed ({', '.join(differ[:3])}{', ...' if len(differ) > 3 else ''})"
    if [(type(r), r.id) for r in a.rules] != [(type(r), r.id) for r in b.rules]:
        return "the rules changed"
    pa, pb = a.problem, b.problem
    if (pa.problem.name, pa.problem.currency, pa.hbm.unit) != (pb.problem.name, pb.problem.currency, pb.hbm.unit):
        return "the problem's name, currency or HBM unit changed"
    return ""


def rule_refreshes(a: Any, b: Any) -> tuple[str, list[tuple[Any, Any, list[str]]]]:
    """The rules of ``b`` whose parameters differ from ``a``'s (the same rules, in the same order), as
    (rule of ``b``, parameters in ``a``, the names that changed): each must take its change by its
    ``refresh`` (every changed name is in its ``patchable``); else the reason for a rebuild, and no list."""
    out = []
    for old, new in zip(a.rules, b.rules):
        before, after = old.params.model_dump(), new.params.model_dump()
        if before == after:
            continue
        keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        fixed = [k for k in keys if k not in type(new).patchable]
        if fixed:
            return f"the parameters of rule {new.id} changed ({', '.join(fixed)})", []
        out.append((new, old.params, keys))
    return "", out


def changed_fields(a: Any, b: Any) -> list[str]:
    """The fields of two ``Data`` that differ (``IGNORED`` aside)."""
    return [f.name for f in fields(a) if f.name not in IGNORED and not _same(getattr(a, f.name), getattr(b, f.name))]


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "fc" or y.dtype.kind in "fc":
            return bool(np.array_equal(x, y, equal_nan=True))
        return bool(np.array_equal(x, y))
    if isinstance(x, float) and isinstance(y, float):
        return x == y or (math.isnan(x) and math.isnan(y))
    if hasattr(x, "__dataclass_fields__") and type(x) is type(y):
        return all(_same(getattr(x, f.name), getattr(y, f.name)) for f in fields(x))
    if isinstance(x, dict | list | tuple) and type(x) is type(y):
        try:
            if x == y:  # most are sets of index tuples: one comparison in C
                return True
        except ValueError:  # arrays inside: compare element by element
            pass
        if isinstance(x, dict):
            return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y))
    if hasattr(x, "model_dump") and hasattr(y, "model_dump"):
        return x.model_dump() == y.model_dump()
    return bool(x == y)
