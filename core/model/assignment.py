"""assign[c, t]: accelerators of chip c serving workloads <= its accelerators in service, wherever they are
(every cooling and region: a chip serves a workload at the same tokens/s everywhere)."""

from __future__ import annotations

from typing import Any

from tokenplan.model import installed, rentals
from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    serving: dict[tuple[str, int], list[Any]] = {}
    for c, w, y in ctx.model.SERVE:
        serving.setdefault((c, y), []).append(ctx.var.serve[c, w, y])
    in_service: dict[tuple[str, int], list[Any]] = {}
    for c, k, r, y in ctx.model.FLEET:
        in_service.setdefault((c, y), []).append(ctx.expr.fleet[c, k, r, y])
    for key, terms in _late(ctx).items():  # (chip, period) with a purchase online for part of the period
        in_service[key] = terms
    # installed accelerators kept: count - retired, the count on the right-hand side
    owned = installed.by_chip(ctx)
    rented = rentals.by_chip(ctx)  # rented accelerators of the chip serve like its own
    return {key: Row(ctx.sum(serving[key]) - ctx.sum(in_service.get(key, [])) + ctx.sum(owned.get(key, (0, []))[1])
                     - ctx.sum(rented.get(key, [])), float(owned.get(key, (0.0, []))[0]))
            for key in dict.fromkeys([*in_service, *owned, *rented]) if key in serving}


def _late(ctx: ModelContext) -> dict[tuple[str, int], list[Any]]:
    """For each (chip, period) in which some purchase of that period serves only ``online_share`` of it
    (launch quarter, lead time): the accelerators in service, each purchase weighted by its share."""
    late = {(p.chip, p.year) for p in ctx.purchases if p.online_share < 1}
    out: dict[tuple[str, int], list[Any]] = {}
    for p in ctx.purchases:
        for y in p.active_years:
            if (p.chip, y) in late:
                share = p.online_share if y == p.year else 1.0
                terms = out.setdefault((p.chip, y), [])
                if share > 0:
                    terms.append(share * p.accelerators * p.var)
    return out


FAMILY = Family(
    name="assign", index=("chip", "period"), sense="<=", unit="accelerators", per="accelerator", rows=rows,
    doc="accelerators of the chip serving workloads <= its accelerators in service", report_duals=False)
