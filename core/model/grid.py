"""Grid-connection increases (a region's ``grid_increase_mw``, ``grid_increase_max_mw``, ``grid_capex_per_mw``
and ``grid_lead_years``; issue 13 item 3).

Variables ``grid[r, y]`` (integer, only at regions with ``grid_increase_mw``): increases of the grid
connection ordered, and paid, in period y. One is energised ``grid_lead_years`` after its period's first year
and stays: it raises the grid cap of ``power_cap`` from the first period that starts at or after then
(``Data.grid_active``). Row ``grid_max[r]``: ``sum_y grid_increase_mw x grid[r, y] <= grid_increase_max_mw``.
Cost terms ``grid_capex`` (present value of what is paid when ordered) and ``grid_salvage`` (minus its book
value at the horizon end, straight-line over ``facility_lifetime_years``, like a facility block). The capex is
the site's (``ctx.expr.capex``: the budget, and what capex subsidies may pay for).
"""

from __future__ import annotations

from typing import Any

from tokenplan.model.context import ModelContext, value_of
from tokenplan.model.family import Family, Row


def define_variables(ctx: ModelContext) -> None:
    """``grid[r, y]`` at the regions whose grid can be raised (none: no component)."""
    d = ctx.data
    index = [(d.region_ids[r], y) for r in d.grid_regions() for y in ctx.periods]
    ctx.var.grid = ctx.add_counts("grid", index, set_name="GRID", set_doc="(region, period) grid increases",
                                  doc="grid-connection increases ordered in the period")
    if ctx.var.grid is not None:
        for rid, y in index:
            ctx.var.grid[rid, y].setub(d.grid_steps_max(d.region_index(rid)))


def energised_mw(ctx: ModelContext, rid: str, year: int) -> Any:
    """MW of grid increases energised at a region in a period (0 where the grid cannot be raised)."""
    d = ctx.data
    r = d.region_index(rid)
    if ctx.var.grid is None or not d.has_grid(r):
        return 0
    step = float(d.grid_step[r])
    return ctx.sum(step * ctx.var.grid[rid, ctx.periods[s]] for s in d.grid_active(ctx.periods.index(year), r))


def net_capex(ctx: ModelContext, rid: str, year: int) -> Any:
    """Present value of the capex of the grid increases ordered at a region in a period (``ctx.grid_capex``) net
    of its salvage at the horizon end (model money)."""
    return (ctx.df(year) - ctx.salvage_df() * ctx.facility_salvage_fraction(year)) * ctx.grid_capex(rid, year)


def max_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    if ctx.var.grid is None:
        return {}
    return {(d.region_ids[r],): Row(ctx.sum(float(d.grid_step[r]) * ctx.var.grid[d.region_ids[r], y]
                                            for y in ctx.periods), float(d.grid_max[r]))
            for r in d.grid_regions()}


FAMILY = Family(
    name="grid_max", index=("region",), sense="<=", unit="MW", per="MW", rows=max_rows,
    doc="MW of grid increases ordered over the horizon <= grid_increase_max_mw", elastic="cap",
    input_key="regions.{0}.grid_increase_max_mw")


def define_costs(ctx: ModelContext) -> None:
    """Cost terms ``grid_capex`` and ``grid_salvage``, split by (region, year)."""
    d = ctx.data
    if ctx.var.grid is None:
        return
    paid: dict[tuple[str | None, int], Any] = {}
    salvage: dict[tuple[str | None, int], Any] = {}
    for r in d.grid_regions():
        rid = d.region_ids[r]
        for y in ctx.periods:
            paid[rid, y] = ctx.df(y) * ctx.grid_capex(rid, y)
            salvage[rid, y] = -ctx.salvage_df() * ctx.facility_salvage_fraction(y) * ctx.grid_capex(rid, y)
    ctx.add_cost("grid_capex", "capex", ctx.sum(paid.values()), parts=paid, timing="at")
    ctx.add_cost("grid_salvage", "salvage", ctx.sum(salvage.values()), parts=salvage, timing="at")


def ordered(model: Any, data: Any) -> dict[tuple[str, int], int]:
    """(region id, period year) -> grid increases ordered then, at the regions whose grid can be raised."""
    grid = getattr(model, "grid", None)
    if grid is None:
        return {}
    return {(data.region_ids[r], y): round(value_of(grid[data.region_ids[r], y]))
            for r in data.grid_regions() for y in data.periods}


def site_mw(model: Any, data: Any) -> dict[tuple[str, int], tuple[float, float]]:
    """(region id, period year) -> (grid MW ordered then, grid MW energised by then), at the regions whose grid
    can be raised (the result's ``sites`` table)."""
    counts = ordered(model, data)
    out = {}
    for r in data.grid_regions():
        rid, step = data.region_ids[r], float(data.grid_step[r])
        for t, y in enumerate(data.periods):
            raised = sum(counts[rid, data.periods[s]] for s in data.grid_active(t, r))
            out[rid, y] = (counts[rid, y] * step, raised * step)
    return out
