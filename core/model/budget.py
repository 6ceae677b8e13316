"""budget[t]: nominal capex of period t (before subsidies) <= the budget of the period."""

from __future__ import annotations

import math
from typing import Any

from tokenplan.coefficients import MONEY
from tokenplan.model.context import ModelContext
from tokenplan.model.family import Family, Row


def rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    sites = list(ctx.model.BUILD)
    return {y: Row(ctx.sum(ctx.expr.capex[r, yy] for r, yy in sites if yy == y), cap) for y, cap in rhs(ctx).items()}


def rhs(ctx: ModelContext) -> dict[Any, float]:
    d = ctx.data
    return {y: float(d.budget[t]) / MONEY for t, y in enumerate(ctx.periods) if math.isfinite(d.budget[t])}


FAMILY = Family(
    name="budget", index=("period",), sense="<=", unit="{cur}", per="{cur} of budget", rows=rows, rhs=rhs,
    rhs_reads=("budget",), doc="nominal capex of the period (before subsidies) <= the budget", elastic="cap",
    scaled=True, model_unit=MONEY, input_key="budget.capex_per_period")
