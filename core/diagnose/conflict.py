"""The second opinion on an infeasible problem: HiGHS's irreducible infeasible subset (IIS) of the model as
solved, mapped back to constraint families and their indices (solver-notes.md section 3: ``iis_strategy``
22 found the true two-row conflict where others were not minimal or failed)."""

from __future__ import annotations

import dataclasses
from typing import Any

from tokenplan.solver import SolveOptions, run


def iis(model: Any, matrix: Any, options: SolveOptions) -> dict[str, Any]:
    """The IIS of ``model`` (compiled as ``matrix``, or here when None) within ``options.time_limit_s``:
    ``found``, the rows (family, where, the problem key behind it), the variable bounds in it, the seconds it
    took and a one-line ``summary``. HiGHS finds none for a conflict among integers alone; then ``found`` is
    false and ``summary`` says so."""
    solution = run(model, dataclasses.replace(options, iis=True, duals=False, start=None, log=None),
                   matrix=matrix)
    info, matrix = solution.iis, solution.matrix
    if matrix is None:  # the model did not compile: a row without variables that cannot hold
        return {"found": False, "rows": [], "bounds": [], "families": [], "method": "HiGHS IIS",
                "summary": f"not needed: {solution.termination}"}
    if not info or not info.get("valid"):
        why = "the time limit was used up" if solution.killed or info is None else \
            "HiGHS found none (a conflict among whole numbers of units, or not found in time)"
        return {"found": False, "rows": [], "bounds": [], "families": [], "method": "HiGHS IIS",
                "summary": f"no irreducible infeasible subset: {why}"}
    ctx = model.tp_ctx
    rows, families = [], []
    for i in info["rows"]:
        row = matrix.rows[i]
        name = row.parent_component().local_name
        family = ctx.family(name)
        index = row.index()
        entry = {"family": name, "where": family.where(index) if family else {"index": str(index)},
                 "key": family.key_of(index) if family else None}
        rows.append(entry)
        families.append(name)
    bounds = [matrix.columns[j].name for j in info["cols"]]
    families = sorted(set(families))
    shown = "; ".join(f"{r['family']} ({', '.join(f'{k} {v}' for k, v in r['where'].items())})" for r in rows[:8])
    more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
    return {"found": True, "rows": rows, "bounds": bounds, "families": families, "method": "HiGHS IIS",
            "seconds": float(info.get("seconds", 0.0)),
            "summary": f"{len(rows)} rows conflict: {shown}{more}" + (f", with the bounds of {len(bounds)} "
                                                                      f"variables" if bounds else "")}
