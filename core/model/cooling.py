"""cooling[k, r, t]: IT MW cooled by k at r <= M[k, r] x cool_on[k, r], with M the grid cap over PUE x
pue_factor (the most IT MW the cooling can ever carry there)."""

from __future__ import annotations

from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    big_m = {(d.cooling_ids[k], d.region_ids[r]): d.cooling_big_m(k, r) for k, r in d.cool_sites}
    if ctx.is_elastic("cap"):  # the grid cap may give: bound by what serving all demand can take
        loose = d.it_mw_upper_bound()
        big_m = {key: max(value, loose) for key, value in big_m.items()}
    ctx.cooling_big_m = big_m
    by_krt: dict[tuple[str, str, int], list[Any]] = {}
    for (_c, k, r, t), idx in d.fleet.items():
        terms = by_krt.setdefault((d.cooling_ids[k], d.region_ids[r], ctx.periods[t]), [])
        terms.extend((ctx.purchases[i].it_mw, ctx.purchases[i].var) for i in idx)
    return {(k, r, y): Row(ctx.sum(a * v for a, v in by_krt[k, r, y]) - big_m[k, r] * ctx.var.cool_on[k, r], 0.0)
            for (k, r) in ctx.model.COOL for y in ctx.periods if (k, r, y) in by_krt}


FAMILY = Family(
    name="cooling", index=("cooling", "region", "period"), sense="<=", unit="MW", per="MW", rows=rows,
    doc="IT MW cooled by the option <= M x cool_on (M: the grid cap over PUE x pue_factor)",
    input_key="regions.{1}.power_mw")
