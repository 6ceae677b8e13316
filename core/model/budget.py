"""budget[t]: nominal capex of period t (before subsidies) <= the budget of the period."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.coefficients import MONEY
from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    d = ctx.data
    sites = list(ctx.model.BUILD)
    out = {}
    for t, y in enumerate(ctx.periods):
        if math.isfinite(d.budget[t]):
            lhs = ctx.sum(ctx.expr.capex[r, yy] for r, yy in sites if yy == y)
            out[y] = Row(lhs, float(d.budget[t]) / MONEY)
    return out


FAMILY = Family(
    name="budget", index=("period",), sense="<=", unit="{cur}", per="{cur} of budget", rows=rows,
    doc="nominal capex of the period (before subsidies) <= the budget", elastic="cap", scaled=True,
    model_unit=MONEY, input_key="budget.capex_per_period")
