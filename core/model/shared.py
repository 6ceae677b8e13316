"""What every family shares: the sets, the variables and the shared expressions (fleet, IT MW, facility MW,
capacity, headroom, capex, energy). Symbols are those of ``docs/formulation.md``."""

from __future__ import annotations

import math
from typing import Any

import pyomo.core as pyo

from tokenplan.coefficients import MONEY
from tokenplan.model import grid, installed, lots, rentals
from tokenplan.model.context import ModelContext


def define(ctx: ModelContext) -> None:
    define_sets(ctx)
    define_variables(ctx)
    installed.define_variables(ctx)
    rentals.define_variables(ctx)
    grid.define_variables(ctx)
    ctx._index_purchases()
    define_expressions(ctx)
    lots.define_variables(ctx)


def define_sets(ctx: ModelContext) -> None:
    m, d = ctx.model, ctx.data
    C, K, R, Y, W = d.chip_ids, d.cooling_ids, d.region_ids, ctx.periods, d.workload_ids
    m.C = pyo.Set(initialize=C, ordered=True, doc="chips")
    m.K = pyo.Set(initialize=K, ordered=True, doc="cooling options")
    m.R = pyo.Set(initialize=R, ordered=True, doc="regions")
    m.T = pyo.Set(initialize=Y, ordered=True, doc="periods (first year)")
    m.W = pyo.Set(initialize=W, ordered=True, doc="workloads")
    m.P = pyo.Set(initialize=d.pools, ordered=True, doc="HBM pools")
    m.BUY = pyo.Set(initialize=[(C[c], K[k], R[r], Y[t]) for c, k, r, t in d.buy], dimen=4, ordered=True,
                    doc="allowed (chip, cooling, region, period)")
    m.FLEET = pyo.Set(initialize=[(C[c], K[k], R[r], Y[t]) for c, k, r, t in d.fleet], dimen=4, ordered=True,
                      doc="tuples with an active purchase")
    m.SERVE = pyo.Set(initialize=[(C[c], W[w], Y[t]) for c, w, t in d.serve], dimen=3, ordered=True,
                      doc="(chip, workload, period) with the chip in service and able to serve the workload")
    m.BUILD = pyo.Set(initialize=[(R[r], Y[t]) for r, t in d.build], dimen=2, ordered=True,
                      doc="(region, period) facility builds")
    m.COOL = pyo.Set(initialize=[(K[k], R[r]) for k, r in d.cool_sites], dimen=2, ordered=True,
                     doc="(cooling, region) sites")


def define_variables(ctx: ModelContext) -> None:
    m, v = ctx.model, ctx.var
    m.buy = v.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers, doc="purchasable units bought in the period")
    m.serve = v.serve = pyo.Var(m.SERVE, domain=pyo.NonNegativeReals,
                                doc="accelerators of the chip assigned to a workload")
    m.blocks = v.blocks = pyo.Var(m.BUILD, domain=pyo.NonNegativeIntegers,
                                  doc="facility blocks built in the period")
    m.cool_on = v.cool_on = pyo.Var(m.COOL, domain=pyo.Binary,
                                    doc="the site has cooling infrastructure of this kind")


def _by(purchases: Any, key: Any, coef: Any) -> dict[Any, list[tuple[float, Any]]]:
    out: dict[Any, list[tuple[float, Any]]] = {}
    for p in purchases:
        out.setdefault(key(p), []).append((coef(p), p.var))
    return out


def define_expressions(ctx: ModelContext) -> None:
    m, d, e = ctx.model, ctx.data, ctx.expr
    C, K, R, Y = d.chip_ids, d.cooling_ids, d.region_ids, ctx.periods
    purchases = ctx.purchases
    fleet_terms = {(C[c], K[k], R[r], Y[t]): [(float(purchases[i].accelerators), purchases[i].var) for i in idx]
                   for (c, k, r, t), idx in d.fleet.items()}
    m.fleet = e.fleet = pyo.Expression(m.FLEET, rule=lambda m, *key: pyo.quicksum(
        u * v for u, v in fleet_terms[key]), doc="accelerators in service (units x unit size)")
    sites = list(m.BUILD)
    active = {key: ctx.active(*key) for key in sites}
    m.it_mw = e.it_mw = pyo.Expression(m.BUILD, rule=lambda m, r, y: pyo.quicksum(
        p.it_mw * p.var for p in active[r, y]), doc="IT MW of the fleet in service")
    m.facility_mw = e.facility_mw = pyo.Expression(m.BUILD, rule=lambda m, r, y: pyo.quicksum(
        p.facility_mw * p.var for p in active[r, y]), doc="facility MW of the fleet in service")
    m.capacity_mw = e.capacity_mw = pyo.Expression(m.BUILD, rule=lambda m, r, y: capacity(ctx, r, y),
                                                   doc="existing MW + facility blocks in service")
    m.site_capex = e.capex = pyo.Expression(m.BUILD, rule=lambda m, r, y: site_capex(ctx, r, y),
                                            doc="nominal capex at the site in the period, before subsidies")
    m.site_net_capex = e.net_capex = pyo.Expression(m.BUILD, rule=lambda m, r, y: site_net_capex(ctx, r, y),
                                                    doc="present value of the site's capex in the period, net of "
                                                        "its salvage at the horizon end")
    m.site_energy = e.energy = pyo.Expression(m.BUILD, rule=lambda m, r, y: pyo.quicksum(
        ctx.energy_per_mw(r, y) * p.facility_mw * p.var for p in active[r, y]),
        doc="present value of the site's electricity bill in the period")
    ctx.expr.headroom_mw = {(r, y): headroom_mw(ctx, r, y) for r, y in sites}


def capacity(ctx: ModelContext, rid: str, year: int) -> Any:
    """MW of facility blocks in service at a region in a period (excluding existing_mw)."""
    d = ctx.data
    r, t = d.region_index(rid), ctx.periods.index(year)
    return pyo.quicksum(float(d.block_mw[r]) * ctx.var.blocks[rid, ctx.periods[s]] for s in d.blocks_active(t, r))


def whole_blocks(headroom_mw: float, block_mw: float) -> float:
    """The MW of the whole blocks that fit in ``headroom_mw``."""
    if not math.isfinite(headroom_mw):
        return math.inf
    return math.floor(headroom_mw / block_mw + 1e-9) * float(block_mw)


def headroom_mw(ctx: ModelContext, rid: str, year: int) -> float:
    """Most facility MW the site can carry in the period: existing MW plus the whole blocks that fit under the
    grid cap (raised by every grid increase that can be energised by then). In a diagnosis where caps may
    give, at least what serving all demand can take."""
    d = ctx.data
    r, t = d.region_index(rid), ctx.periods.index(year)
    existing = float(d.existing_mw[r])
    bound = existing + whole_blocks(d.grid_cap_max(r, t) - existing, float(d.block_mw[r]))
    if ctx.is_elastic("cap") or not math.isfinite(bound):
        loose = existing + d.it_mw_upper_bound() * float(max(d.pue)) * float(d.pue_factor[r])
        bound = loose if not math.isfinite(bound) else max(bound, loose)
    return bound


def site_capex(ctx: ModelContext, rid: str, year: int) -> Any:
    """Nominal capex at a site in a period before subsidies (model money): accelerators, cooling, facility
    blocks built, grid increases ordered, and in the first period the fixed costs of its coolings."""
    d = ctx.data
    r = d.region_index(rid)
    expr = pyo.quicksum((p.capex_accel + p.capex_cooling) * p.var for p in ctx.bought(rid, year))
    expr += d.block_capex(r) * ctx.var.blocks[rid, year] + ctx.grid_capex(rid, year)
    if year == ctx.periods[0]:
        expr += pyo.quicksum(float(d.site_fixed_cost[k]) / MONEY * ctx.var.cool_on[d.cooling_ids[k], rid]
                             for k, rr in d.cool_sites if rr == r)
    return expr


def site_net_capex(ctx: ModelContext, rid: str, year: int) -> Any:
    """Present value of the capex paid at a site in a period net of the salvage it earns at the horizon end
    (model money): what the buyer pays and does not get back. Subsidies of capex are bounded by it."""
    sdf, df = ctx.salvage_df(), ctx.df(year)
    expr = pyo.quicksum((p.pv_capex - p.pv_salvage) * p.var for p in ctx.bought(rid, year))
    expr += (df - sdf * ctx.facility_salvage_fraction(year)) * ctx.block_capex(rid) * ctx.var.blocks[rid, year]
    expr += grid.net_capex(ctx, rid, year)
    if year == ctx.periods[0]:
        expr += pyo.quicksum(df * cost * on for cost, on in ctx.cooling_fixed_costs(rid))
    return expr
