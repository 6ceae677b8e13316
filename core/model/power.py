"""power[r, t]: facility MW of the fleet <= existing MW + facility blocks in service;
power_cap[r, t]: facility blocks in service <= the whole blocks that fit under the grid cap (where the grid
can be raised: blocks in service - grid increases energised <= power_mw - existing MW)."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model import grid
from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row
from tokenplan.model.shared import whole_blocks


def _sites(ctx: ModelContext) -> list[tuple[str, int]]:
    d = ctx.data
    regions = sorted({r for r, _ in d.build})
    return [(d.region_ids[r], y) for r in regions for y in ctx.periods]


def power_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    out = {}
    for rid, y in _sites(ctx):
        active = ctx.active(rid, y)
        mw, retired = ctx.installed_mw(rid, y)  # installed MW kept: MW - MW retired, the MW on the right-hand side
        if not active and not mw:
            continue
        load = ctx.sum(p.facility_mw * p.var for p in active) - ctx.sum(a * v for a, v in retired)
        out[rid, y] = Row(load - ctx.expr.capacity_mw[rid, y], float(d.existing_mw[d.region_index(rid)]) - mw)
    return out


def cap_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    # blocks are whole: at most floor(headroom / block_mw) of them fit under the grid cap (a tighter,
    # equivalent row that keeps the relaxation honest)
    d = ctx.data
    out = {}
    for rid, y in _sites(ctx):
        r, t = d.region_index(rid), ctx.periods.index(y)
        if ctx.var.grid is not None and d.has_grid(r) and d.grid_active(t, r):
            # the cap moves with the increases: no whole-block rounding of a constant
            out[rid, y] = Row(ctx.expr.capacity_mw[rid, y] - grid.energised_mw(ctx, rid, y),
                              float(d.power_mw[r, t] - d.existing_mw[r]))
            continue
        headroom = whole_blocks(float(d.power_mw[r, t] - d.existing_mw[r]), float(d.block_mw[r]))
        if math.isfinite(headroom):
            out[rid, y] = Row(ctx.expr.capacity_mw[rid, y], headroom)
    return out


POWER = Family(
    name="power", index=("region", "period"), sense="<=", unit="MW", per="MW", rows=power_rows,
    doc="facility MW of the fleet <= existing MW + facility blocks in service", input_key="regions.{0}.existing_mw")
POWER_CAP = Family(
    name="power_cap", index=("region", "period"), sense="<=", unit="MW", per="MW", rows=cap_rows,
    doc="facility blocks in service <= the whole blocks that fit under the grid cap power_mw", elastic="cap",
    input_key="regions.{0}.power_mw")
