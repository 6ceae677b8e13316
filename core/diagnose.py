"""Diagnostics in domain words (design section 7).

- :func:`precheck`: before solving, obvious impossibility (no chip can serve a workload; demand needs more
  power than all sites together have, even with the most power-efficient chip allowed).
- :func:`elastic`: after an infeasible solve, re-solve with penalised slacks on demand, grid caps, HBM,
  chip supply and budget; report which families and places must give, and by how much.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from tokenplan.coefficients import Data
from tokenplan.model import Elastic, build
from tokenplan.solver import SolveOptions, run, within


def precheck(data: Data) -> dict[str, Any] | None:
    """Return a diagnosis if the problem is infeasible for a reason visible without solving."""
    shortfalls: list[dict[str, Any]] = []
    messages: list[str] = []
    served = {(w, t) for (_, w, t) in data.serve}
    for w, wid in enumerate(data.workload_ids):
        for t, year in enumerate(data.periods):
            if data.demand_tps[w, t] > 0 and (w, t) not in served:
                reason = "no allowed chip is available there and then, or none has throughput on it"
                messages.append(f"workload {wid!r} in {year}: no allowed chip can serve it ({reason})")
                shortfalls.append({"constraint": "demand", "where": {"workload": wid, "period": year},
                                   "amount": float(data.demand_tps[w, t]), "unit": "tokens/s",
                                   "share": 1.0})
    if not messages:
        # facility MW per token/s of the most power-efficient (chip, cooling, region) tuple per workload
        cost = data.costs
        in_service = np.zeros((len(data.buy), len(data.periods)), dtype=bool)  # purchase i active in period t
        for (_c, _k, _r, t), idx in data.fleet.items():
            in_service[idx, t] = True
        chip_of = np.array([c for (c, _k, _r, _s) in data.buy], dtype=int)
        for t, year in enumerate(data.periods):
            need = 0.0
            for w in range(len(data.workload_ids)):
                if data.demand_tps[w, t] <= 0:
                    continue
                tps = data.tps[chip_of, w] * data.unit_size[chip_of] if len(chip_of) else np.zeros(0)
                usable = in_service[:, t] & (tps > 0)
                best = float(np.min(cost.facility_mw[usable] / tps[usable])) if usable.any() else math.inf
                need += best * data.demand_tps[w, t]
            regions = sorted({r for r, _ in data.build})
            have = float(np.sum(data.power_mw[regions, t])) if regions else 0.0
            if need > have * (1 + 1e-9):
                messages.append(f"demand {year} needs at least {need:,.0f} MW with the most power-efficient "
                                f"chip allowed; all sites together have {have:,.0f} MW")
                shortfalls.append({"constraint": "power_cap", "where": {"period": year},
                                   "amount": float(need - have), "unit": "MW", "share": float((need - have) / need)})
    if not messages:
        return None
    return {"summary": "; ".join(messages), "shortfalls": shortfalls, "method": "precheck"}


def elastic(data: Data, options: SolveOptions, *, deadline: float | None = None) -> dict[str, Any]:
    """Two elastic re-solves: with the caps as given, how much demand falls short; and to serve all
    demand, which caps must grow and by how much (each minimising the total relative violation). With a
    ``deadline`` (``time.monotonic()``), the first gets half of the time left and the second the rest;
    without, each gets half of ``options.time_limit_s``."""
    shortfalls: list[dict[str, Any]] = []
    parts: list[str] = []
    for n, (role, lead) in enumerate((("demand", "with the caps as given"), ("cap", "to serve all demand"))):
        if deadline is None:
            these = dataclasses.replace(options, time_limit_s=options.time_limit_s / 2)
        else:
            left = deadline - time.monotonic()
            if left < 0.5:
                parts.append(f"{lead}: not diagnosed, the time limit was used up (--time-limit)")
                continue
            these = within(options, time.monotonic() + (left / 2 if n == 0 else left))
        found = _elastic_solve(data, these, role)
        if found is None:
            parts.append(f"{lead}: no plan found within the time limit")
            continue
        shortfalls += found
        if found:
            parts.append(f"{lead}, " + "; ".join(_describe(s) for s in found))
    summary = "infeasible: " + (" | ".join(parts) if parts else
                                "no demand or cap needs to give; the conflict is elsewhere (cooling, rules)")
    return {"summary": summary, "shortfalls": shortfalls, "method": "elastic"}


def _describe(s: dict[str, Any]) -> str:
    where = ", ".join(f"{k} {v}" for k, v in s["where"].items())
    verb = "falls short by" if s["constraint"] == "demand" else "must grow by"
    share = f" ({s['share']:.1%})" if s["share"] is not None else ""
    return f"{s['constraint']} ({where}) {verb} {s['amount']:,.4g} {s['unit']}{share}"


def _elastic_solve(data: Data, options: SolveOptions, role: Elastic) -> list[dict[str, Any]] | None:
    """Solve the model in which the families of ``role`` may give; the violations in domain units."""
    model = build(data, elastic=role)
    solution = run(model, dataclasses.replace(options, duals=False, start=None, log=None))
    if not solution.has_plan:
        return None
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
                real = amount / scale * family.model_unit
                out.append({"constraint": family.name, "where": family.where(index), "amount": float(real),
                            "unit": unit, "share": float(real / rhs) if rhs else None})
    return out
