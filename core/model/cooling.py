"""cooling[k, r, t]: IT MW cooled by k at r in t <= M[k, r, t] x cool_on[k, r], with M the most IT MW the
cooling can carry there then: the facility MW the site can have in the period (existing MW plus the whole
blocks under the grid cap) over PUE x pue_factor."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def big_m(ctx: ModelContext) -> dict[tuple[str, str, int], float]:
    """M[k, r, t]: a valid bound (``power`` and ``power_cap`` imply it), and the tightest the caps give: the
    LP relaxation pays for a share of ``cool_on`` equal to the share of this bound in use."""
    d = ctx.data
    out = {}
    for k, r in d.cool_sites:
        kid, rid = d.cooling_ids[k], d.region_ids[r]
        divisor = float(d.pue[k]) * float(d.pue_factor[r])
        ever = d.cooling_big_m(k, r)
        if ctx.is_elastic("cap"):  # the grid cap may give: bound by what serving all demand can take
            ever = max(ever, d.it_mw_upper_bound())
        for y in ctx.periods:
            headroom = ctx.expr.headroom_mw[rid, y] / divisor
            out[kid, rid, y] = min(ever, headroom) if math.isfinite(headroom) else ever
    return out


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    ctx.cooling_big_m = bound = big_m(ctx)
    by_krt: dict[tuple[str, str, int], list[Any]] = {}
    for (_c, k, r, t), idx in d.fleet.items():
        terms = by_krt.setdefault((d.cooling_ids[k], d.region_ids[r], ctx.periods[t]), [])
        terms.extend((ctx.purchases[i].it_mw, ctx.purchases[i].var) for i in idx)
    return {(k, r, y): Row(ctx.sum(a * v for a, v in by_krt[k, r, y]) - bound[k, r, y] * ctx.var.cool_on[k, r], 0.0)
            for (k, r) in ctx.model.COOL for y in ctx.periods if (k, r, y) in by_krt}


FAMILY = Family(
    name="cooling", index=("cooling", "region", "period"), sense="<=", unit="MW", per="MW", rows=rows,
    doc="IT MW cooled by the option <= M x cool_on (M: the site's facility MW in the period over PUE x "
        "pue_factor)", input_key="regions.{1}.power_mw")
