"""The installed fleet in the model (``[[fleet.installed]]``; numbers from :mod:`tokenplan.installed`).

Variables ``retire[e, y]`` (integer accelerators, only for retirable entries, in the periods the entry is in
service): accelerators of entry e retired at the start of period y. Kept in service in period t:
``kept[e, t] = count[e] - sum_{s <= t} retire[e, s]`` (a constant ``count[e]`` when the entry may not retire).
Row ``installed_retire[e]``: ``sum_y retire[e, y] <= count[e]`` (retired units never come back: kept only
falls). Kept accelerators serve like bought ones (they enter ``assign``) and draw facility MW (they enter
``power``); they draw no HBM supply and no cooling ``cool_on`` (their cooling is installed with them). Cost
terms: their opex while kept, minus the salvage of those retired and of those kept to the horizon end.
"""

from __future__ import annotations

from typing import Any

from tokenplan.model.context import ModelContext, value_of
from tokenplan.model.family import Family, Row


def define_variables(ctx: ModelContext) -> None:
    """``retire[e, y]`` for the retirable entries (none: no component)."""
    d = ctx.data
    index = [(e.id, ctx.periods[t]) for e in d.installed if e.retirable for t in e.periods]
    ctx.var.retire = ctx.add_counts("retire", index, set_name="RETIRE", set_doc="(installed entry, period) retirements",
                                    doc="installed accelerators retired at the start of the period")


def retired_by(ctx: ModelContext, e: Any, t: int) -> list[Any]:
    """The retirement variables of entry ``e`` up to and including period index ``t``."""
    if not e.retirable:
        return []
    return [ctx.var.retire[e.id, ctx.periods[s]] for s in e.periods if s <= t]


def kept(ctx: ModelContext, e: Any, t: int) -> Any:
    """Accelerators of entry ``e`` in service in period index ``t`` (an expression, or a number)."""
    if t not in e.periods:
        return 0
    return e.count - ctx.sum(retired_by(ctx, e, t)) if e.retirable else e.count


def by_chip(ctx: ModelContext) -> dict[tuple[str, int], tuple[float, list[Any]]]:
    """(chip id, year) -> (installed accelerators before retirements, the retirement variables to subtract)."""
    d = ctx.data
    out: dict[tuple[str, int], tuple[float, list[Any]]] = {}
    for e in d.installed:
        for t in e.periods:
            key = (d.chip_ids[e.c], ctx.periods[t])
            count, retired = out.get(key, (0.0, []))
            out[key] = (count + e.count, retired + retired_by(ctx, e, t))
    return out


def retire_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    return {(e.id,): Row(ctx.sum(retired_by(ctx, e, e.periods[-1])), float(e.count))
            for e in d.installed if e.retirable and e.periods}


RETIRE = Family(
    name="installed_retire", index=("installed",), sense="<=", unit="accelerators", per="accelerator",
    rows=retire_rows, doc="installed accelerators retired over the horizon <= those installed", report_duals=False,
    input_key="fleet.installed.{0}.count")


def define_costs(ctx: ModelContext) -> None:
    """Cost terms ``installed_opex`` (energy, maintenance and cooling opex of the kept accelerators),
    ``installed_retirement`` (minus the salvage of the retired ones, earned at the start of their period) and
    ``installed_salvage`` (minus the salvage of those kept to the horizon end). Split by (region, year)."""
    d = ctx.data
    if not d.installed:
        return
    opex: dict[tuple[str | None, int], Any] = {}
    retired: dict[tuple[str | None, int], Any] = {}
    salvage: dict[tuple[str | None, int], Any] = {}
    last = ctx.periods[-1]
    for e in d.installed:
        rid = d.region_ids[e.r]
        for j, t in enumerate(e.periods):
            year = ctx.periods[t]
            opex[rid, year] = opex.get((rid, year), 0) + float(e.pv_opex[j]) * kept(ctx, e, t)
            if e.retirable:
                retired[rid, year] = retired.get((rid, year), 0) - float(e.pv_retire[j]) * ctx.var.retire[e.id, year]
        if e.pv_salvage_end and ctx.periods[e.periods[-1]] == last:
            salvage[rid, last] = salvage.get((rid, last), 0) - float(e.pv_salvage_end) * kept(ctx, e, e.periods[-1])
    ctx.add_cost("installed_opex", "opex", ctx.sum(opex.values()), parts=opex, timing="over")
    ctx.add_cost("installed_retirement", "salvage", ctx.sum(retired.values()), parts=retired, timing="at")
    ctx.add_cost("installed_salvage", "salvage", ctx.sum(salvage.values()), parts=salvage, timing="at")


def installed_kept(model: Any, data: Any) -> dict[tuple[str, int], tuple[int, int]]:
    """(installed entry id, period year) -> (accelerators kept in service, accelerators retired at the start
    of the period), for every period the entry is in service (``[[fleet.installed]]``)."""
    retire = getattr(model, "retire", None)
    out = {}
    for e in data.installed:
        gone = 0
        for t in e.periods:
            year = data.periods[t]
            now = round(value_of(retire[e.id, year])) if e.retirable and retire is not None else 0
            gone += now
            out[e.id, year] = (e.count - gone, now)
    return out

