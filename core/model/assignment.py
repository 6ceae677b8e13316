"""assign[c, k, r, t]: accelerators serving workloads <= accelerators in service."""

from __future__ import annotations

from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    by_fleet: dict[Any, list[Any]] = {}
    for key in ctx.model.SERVE:
        by_fleet.setdefault((key[0], key[1], key[2], key[4]), []).append(ctx.var.serve[key])
    return {key: Row(ctx.sum(by_fleet[key]) - ctx.expr.fleet[key], 0.0) for key in ctx.model.FLEET
            if key in by_fleet}


FAMILY = Family(
    name="assign", index=("chip", "cooling", "region", "period"), sense="<=", unit="accelerators",
    per="accelerator", rows=rows, doc="accelerators serving workloads <= accelerators in service",
    report_duals=False)
