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
    return {k: Row(ctx.sum(a * v for a, v in by_ct[k]), cap) for k, cap in _caps(ctx, set(by_ct)).items()}


def rhs(ctx: ModelContext) -> dict[tuple[Any, ...], float]:
    return _caps(ctx, {(p.chip, p.year) for p in ctx.purchases})


def _caps(ctx: ModelContext, bought: set[tuple[str, int]]) -> dict[tuple[Any, ...], float]:
    """(chip, period) -> supply cap, for the chip-periods with a purchase and a finite cap, in index order."""
    d = ctx.data
    caps = {(c, y): float(d.chip_supply[d.chip_index(c), ctx.periods.index(y)]) for c, y in bought}
    return {k: caps[k] for k in sorted(caps, key=lambda ct: (d.chip_index(ct[0]), ct[1])) if math.isfinite(caps[k])}


FAMILY = Family(
    name="chip_supply", index=("chip", "period"), sense="<=", unit="accelerators", per="accelerator", rows=rows,
    rhs=rhs, rhs_reads=("chip_supply",), doc="accelerators of the chip bought <= its supply cap", elastic="cap",
    scaled=True, input_key="chips.supply_accelerators.{0}")
