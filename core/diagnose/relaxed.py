"""The elastic diagnosis: after an infeasible solve, re-solve with penalised slacks on every family with an
elastic role (demand; grid caps, HBM, chip supply, budget and the rules' own families); report which families
and places must give, and by how much."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tokenplan.coefficients import Data
from tokenplan.diagnose.causes import Cause, diagnosis
from tokenplan.model import Elastic, build
from tokenplan.solver import SolveOptions, run, within


def elastic(data: Data, options: SolveOptions, *, deadline: float | None = None) -> dict[str, Any]:
    """Two elastic re-solves: with the caps as given, how much demand falls short; and to serve all
    demand, which caps must grow and by how much (each minimising the total relative violation). With a
    ``deadline`` (``time.monotonic()``), the first gets half of the time left and the second the rest;
    without, each gets half of ``options.time_limit_s``.

    A re-solve that stops at its limit before it proves its violations least gives an upper bound of what
    must give, not the smallest amounts: the diagnosis then says ``partial`` (and ``partial: true`` in the
    JSON), with the time it had."""
    causes: list[Cause] = []
    parts: list[str] = []
    partial: list[str] = []
    for n, (role, lead) in enumerate((("demand", "with the caps as given"), ("cap", "to serve all demand"))):
        if deadline is None:
            these = dataclasses.replace(options, time_limit_s=options.time_limit_s / 2)
        else:
            left = deadline - time.monotonic()
            if left < 0.5:
                parts.append(f"{lead}: not diagnosed, the time limit was used up")
                partial.append(f"{lead}: not run")
                continue
            these = within(options, time.monotonic() + (left / 2 if n == 0 else left))
        started = time.monotonic()
        found, proved = _elastic_solve(data, these, role, lead)
        if found is None:
            parts.append(f"{lead}: no plan found within the time limit")
            partial.append(f"{lead}: nothing found in {time.monotonic() - started:.0f} s")
            continue
        if not proved:
            partial.append(f"{lead}: found in {time.monotonic() - started:.0f} s, not proved least")
        causes += found
        if found:
            parts.append(f"{lead}, " + "; ".join(c.message.removeprefix(f"{lead}: ") for c in found))
    summary = "infeasible: " + (" | ".join(parts) if parts else
                                "no demand or cap needs to give; the conflict is elsewhere (cooling, rules)")
    extra: dict[str, Any] = {"partial": bool(partial)}
    if partial:
        note = (f"partial ({'; '.join(partial)}): the amounts may be larger than what must give; "
                f"the full diagnosis needs more time: --time-limit")
        summary += f" [{note}]"
        extra["partial_note"] = note
    return diagnosis(causes, "elastic", summary=summary, **extra)


def _elastic_solve(data: Data, options: SolveOptions, role: Elastic,
                   lead: str) -> tuple[list[Cause] | None, bool]:
    """Solve the model in which the families of ``role`` may give: the violations as causes (None without a
    plan), and whether the solve proved them least (optimal within the gap)."""
    model = build(data, elastic=role)
    solution = run(model, dataclasses.replace(options, duals=False, start=None, log=None))
    if not solution.has_plan:
        return None, False
    ctx = model.tp_ctx
    out = []
    for family in ctx.families:
        con, scale = model.component(family.name), ctx.row_scale[family.name]
        unit = family.label(family.unit, ctx.currency, ctx.hbm_unit)
        for var, _ in ctx.slacks.get(family.name, []):
            for index in var:
                amount = var[index].value or 0.0
                if amount <= 1e-7 or index not in con:
                    continue
                rhs = abs(con[index].ub if con[index].has_ub() else con[index].lb) / scale * family.model_unit
                real = float(amount / scale * family.model_unit)
                share = float(real / rhs) if rhs else None
                where = family.where(index)
                text = ", ".join(f"{k} {v}" for k, v in where.items())
                verb = "falls short by" if family.name == "demand" else \
                    "must grow by" if family.sense == "<=" else "must give by"
                pct = f" ({share:.1%})" if share is not None else ""
                key = family.key_of(index)
                fix = f"{'raise' if family.sense == '<=' else 'lower'} {key}" if key else f"relax {family.name}"
                if "period" in where and key and "{1}" not in (family.input_key or ""):
                    fix += f" for {where['period']}"
                fix += f" (by {real:,.4g} {unit})"
                out.append(Cause(family=family.name, constraint=family.name, where=where, amount=real, unit=unit,
                                 share=share, fix=fix,
                                 message=f"{lead}: {family.name} ({text}) {verb} {real:,.4g} {unit}{pct}"))
    return out, solution.status == "optimal"
