"""hbm[p, t]: HBM of the chips of pool p bought in t <= the pool's supply (stacks or GB)."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    by_pt: dict[tuple[str, int], list[Any]] = {}
    for p in ctx.purchases:
        pool = ctx.chips[p.chip].hbm_pool
        if pool:
            by_pt.setdefault((pool, p.year), []).append((p.hbm, p.var))
    return {k: Row(ctx.sum(a * v for a, v in by_pt[k]), supply) for k, supply in _supply(ctx, set(by_pt)).items()}


def rhs(ctx: ModelContext) -> dict[tuple[Any, ...], float]:
    return _supply(ctx, {(ctx.chips[p.chip].hbm_pool, p.year) for p in ctx.purchases if ctx.chips[p.chip].hbm_pool})


def _supply(ctx: ModelContext, drawn: set[tuple[str, int]]) -> dict[tuple[Any, ...], float]:
    """(pool, period) -> supply, for the pool-periods some purchase draws on and a finite supply caps."""
    d = ctx.data
    return {(pool, y): float(d.hbm_supply[pi, ti])
            for pi, pool in enumerate(d.pools) for ti, y in enumerate(ctx.periods)
            if math.isfinite(d.hbm_supply[pi, ti]) and (pool, y) in drawn}


FAMILY = Family(
    name="hbm", index=("pool", "period"), sense="<=", unit="{hbm}", per="{hbm_one}", rows=rows, rhs=rhs,
    rhs_reads=("hbm_supply",), doc="HBM of the chips bought <= the pool's supply", elastic="cap", scaled=True,
    input_key="hbm.supply.{0}")
