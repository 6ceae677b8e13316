"""supply_cap[g, t]: accelerators of supply group g's chips bought in its regions in period t <= the group's cap
(``[[supply_caps]]``: vendor allocations, import approvals; a group may span several chips and regions)."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    caps = rhs(ctx)
    if not caps:
        return {}
    chip_ix = {c: i for i, c in enumerate(d.chip_ids)}
    region_ix = {r: i for i, r in enumerate(d.region_ids)}
    members = {gid: (set(ch), set(rg)) for gid, (ch, rg) in zip(d.supply_cap_ids, d.supply_cap_members)}
    terms: dict[tuple[str, int], list[Any]] = {}
    for p in ctx.purchases:
        c, r = chip_ix[p.chip], region_ix[p.region]
        for gid, (chips, regions) in members.items():
            if c in chips and r in regions and (gid, p.year) in caps:
                terms.setdefault((gid, p.year), []).append((float(p.accelerators), p.var))
    return {k: Row(ctx.sum(a * v for a, v in terms[k]), cap) for k, cap in caps.items()}


def rhs(ctx: ModelContext) -> dict[tuple[Any, ...], float]:
    """(group id, period) -> cap, for the groups' periods with a finite cap and a purchase the group covers."""
    d = ctx.data
    if not d.supply_cap_ids:
        return {}
    chip_ix = {c: i for i, c in enumerate(d.chip_ids)}
    region_ix = {r: i for i, r in enumerate(d.region_ids)}
    bought = {(chip_ix[p.chip], region_ix[p.region], p.year) for p in ctx.purchases}
    out: dict[tuple[Any, ...], float] = {}
    for g, (gid, (chips, regions)) in enumerate(zip(d.supply_cap_ids, d.supply_cap_members)):
        chips_, regions_ = set(chips), set(regions)
        years = {y for c, r, y in bought if c in chips_ and r in regions_}
        for t, y in enumerate(ctx.periods):
            cap = float(d.supply_cap[g, t])
            if y in years and math.isfinite(cap):
                out[gid, y] = cap
    return out


FAMILY = Family(
    name="supply_cap", index=("supply_cap", "period"), sense="<=", unit="accelerators", per="accelerator",
    rows=rows, rhs=rhs, rhs_reads=("supply_cap",), doc="accelerators of the group's chips bought in its regions "
    "<= the group's delivery cap", elastic="cap", scaled=True, input_key="supply_caps[{0}].accelerators")
