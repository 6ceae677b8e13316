"""hbm[p, t]: HBM of the chips of pool p bought in t <= the pool's supply (stacks or GB)."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    by_pt: dict[tuple[str, int], list[Any]] = {}
    for p in ctx.purchases:
        pool = ctx.chips[p.chip].hbm_pool
        if pool:
            by_pt.setdefault((pool, p.year), []).append((p.hbm, p.var))
    return {(pool, y): Row(ctx.sum(a * v for a, v in by_pt[pool, y]), float(d.hbm_supply[pi, ti]))
            for pi, pool in enumerate(d.pools) for ti, y in enumerate(ctx.periods)
            if math.isfinite(d.hbm_supply[pi, ti]) and (pool, y) in by_pt}


FAMILY = Family(
    name="hbm", index=("pool", "period"), sense="<=", unit="{hbm}", per="{hbm_one}", rows=rows,
    doc="HBM of the chips bought <= the pool's supply", elastic="cap", scaled=True, input_key="hbm.supply.{0}")
