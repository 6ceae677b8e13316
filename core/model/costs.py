"""The core cost terms of the objective (present values in model money; design section 3, exactly)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tokenplan.coefficients import MONEY
from tokenplan.model.context import ModelContext


def _linear(ctx: ModelContext, coefs: Any, variables: Any) -> Any:
    return ctx.sum(float(a) * v for a, v in zip(coefs, variables) if a != 0.0)


def define(ctx: ModelContext) -> None:
    d, h = ctx.data, ctx.data.horizon
    cost = d.costs
    buy = [p.var for p in ctx.purchases]
    blocks = [ctx.var.blocks[d.region_ids[r], ctx.periods[t]] for r, t in d.build]
    cool = [ctx.var.cool_on[d.cooling_ids[k], d.region_ids[r]] for k, r in d.cool_sites]
    add = ctx.add_cost
    add("accelerator_capex", "capex", _linear(ctx, cost.pv_capex_accel, buy))
    add("cooling_capex", "capex", _linear(ctx, cost.pv_capex_cooling, buy))
    add("facility_capex", "capex", _linear(ctx, [h.df(h.years[t]) * d.block_capex(r) for r, t in d.build], blocks))
    add("cooling_fixed", "capex", _linear(ctx, np.array([d.site_fixed_cost[k] / MONEY for k, _ in d.cool_sites]),
                                          cool))
    add("energy", "opex", _linear(ctx, cost.pv_energy, buy))
    add("maintenance", "opex", _linear(ctx, cost.pv_maintenance, buy))
    add("cooling_opex", "opex", _linear(ctx, cost.pv_cooling_opex, buy))
    add("accelerator_salvage", "salvage", -_linear(ctx, cost.pv_salvage_accel, buy))
    add("cooling_salvage", "salvage", -_linear(ctx, cost.pv_salvage_cooling, buy))
    add("facility_salvage", "salvage", -_linear(
        ctx, [h.salvage_df() * h.salvage_fraction(t, d.facility_lifetime) * d.block_capex(r) for r, t in d.build],
        blocks))
