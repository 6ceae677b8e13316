"""demand[w, t]: sum over chips of tps[c, w] x serve[c, w, t] >= tokens_per_day / 86400 x peak_to_average
(tokens/s)."""

from __future__ import annotations

from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    by_wt: dict[tuple[str, int], list[Any]] = {}
    for (c, w, t) in d.serve:
        key = (d.chip_ids[c], d.workload_ids[w], ctx.periods[t])
        by_wt.setdefault((key[1], key[2]), []).append((float(d.tps[c, w]), ctx.var.serve[key]))
    return {k: Row(ctx.sum(a * v for a, v in by_wt.get(k, [])), asked) for k, asked in rhs(ctx).items()}


def rhs(ctx: ModelContext) -> dict[tuple[Any, ...], float]:
    d = ctx.data
    return {(w, y): float(d.demand_tps[wi, ti])
            for wi, w in enumerate(d.workload_ids) for ti, y in enumerate(ctx.periods) if d.demand_tps[wi, ti] > 0}


FAMILY = Family(
    name="demand", index=("workload", "period"), sense=">=", unit="tokens/s", per="token/s", rows=rows, rhs=rhs,
    rhs_reads=("demand_tps",), doc="token demand: tokens/s served >= tokens per day / 86400 x peak_to_average",
    elastic="demand", scaled=True, input_key="workloads.{0}.tokens_per_day")
