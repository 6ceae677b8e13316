"""chip_supply[c, t]: accelerators of chip c bought in t <= its supply cap."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    by_ct: dict[tuple[str, int], list[Any]] = {}
    for p in ctx.purchases:
        if math.isfinite(d.chip_supply[d.chip_index(p.chip), ctx.periods.index(p.year)]):
            by_ct.setdefault((p.chip, p.year), []).append((float(p.accelerators), p.var))
    index = sorted(by_ct, key=lambda ct: (d.chip_index(ct[0]), ct[1]))
    return {(c, y): Row(ctx.sum(a * v for a, v in by_ct[c, y]),
                        float(d.chip_supply[d.chip_index(c), ctx.periods.index(y)])) for c, y in index}


FAMILY = Family(
    name="chip_supply", index=("chip", "period"), sense="<=", unit="accelerators", per="accelerator", rows=rows,
    doc="accelerators of the chip bought <= its supply cap", elastic="cap", scaled=True,
    input_key="chips.supply_accelerators.{0}")
