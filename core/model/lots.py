"""Minimum lots per purchase (``[chips] min_lot_accelerators``; issues 9 and 13): a purchase of chip c is none
or at least ``u_c = ceil(lot_c / unit_size_c)`` units, so that a plan holds no one-server "dust".

Binary ``lot_on[c, k, r, t]`` for each purchase tuple whose chip has a lot above one unit:

    min_lot[i]:  buy[i] - u_c x lot_on[i] >= 0
    lot_open[i]: buy[i] - U_i x lot_on[i] <= 0

with ``U_i`` the most units of the tuple the site can carry in every period it is in service (its facility-MW
headroom, ``ctx.expr.headroom_mw``, over the facility MW of one unit): a valid bound, so the rows cut off
exactly the purchases of fewer than ``u_c`` units. A tuple with ``U_i < u_c`` can buy nothing.

A rental start (``rent_start[o, y]``, accelerators) of a chip with a lot above one accelerator is held to the
same lot, with its own binary ``rent_on[o, y]``; its rows are indexed ``("rented", o, y)``, and its ``U`` is
the offer's smallest cap over the periods the start runs in, or, without a cap, the accelerators of the chip
that would serve all the demand of every period at once (more are never worth renting).
"""

from __future__ import annotations

import math
from typing import Any

import pyomo.core as pyo

from tokenplan.model.context import ModelContext, Purchase
from tokenplan.model.family import Family, Row

#: most units of one purchase tuple where no tighter bound is known (the problem file's count limit)
UNITS_MAX = 1e7


def lot_units(ctx: ModelContext, p: Purchase) -> int:
    """Least units of a purchase when it is made (1: no lot)."""
    lot = float(ctx.data.min_lot[ctx.data.chip_index(p.chip)])
    return max(1, math.ceil(lot / p.accelerators - 1e-9))


def most_units(ctx: ModelContext, p: Purchase) -> float:
    """U_i: the most units of the purchase its site can carry in each period it is in service."""
    if p.facility_mw <= 0:
        return math.inf
    headroom = min(ctx.expr.headroom_mw[p.region, y] for y in p.active_years)
    return math.floor(headroom / p.facility_mw + 1e-9)


def _lotted(ctx: ModelContext) -> list[tuple[Purchase, int, float]]:
    out = []
    for p in ctx.purchases:
        u = lot_units(ctx, p)
        if u > 1:
            out.append((p, u, most_units(ctx, p)))
    return out


def _rented(ctx: ModelContext) -> list[tuple[tuple[str, int], Any, int, float]]:
    """Rental starts of a chip with a lot above one accelerator: ((offer, year), rent_start, lot, U)."""
    d = ctx.data
    out = []
    if ctx.var.rent_start is None:
        return out
    for o in d.rentals:
        lot = max(1, math.ceil(float(d.min_lot[o.c]) - 1e-9))
        if lot <= 1:
            continue
        for s in o.starts:
            caps = [float(o.cap[t]) for t in o.runs[s] if math.isfinite(o.cap[t])]
            most = min(caps) if caps else rental_need(ctx, o.c)
            key = (o.id, ctx.periods[s])
            out.append((key, ctx.var.rent_start[key], lot, math.floor(most + 1e-9)))
    return out


def rental_need(ctx: ModelContext, c: int) -> float:
    """Accelerators of chip c that would serve all the demand of every period at once: more are never rented
    (a rental costs money), so this bounds a start of an offer without a cap."""
    d = ctx.data
    need = sum(float(d.demand_tps[w].max()) / float(d.tps[c, w]) for w in range(len(d.workload_ids))
               if d.tps[c, w] > 0)
    return math.ceil(need) + 1.0


def define_variables(ctx: ModelContext) -> None:
    """``lot_on`` over the purchase tuples with a lot and ``rent_on`` over the rental starts with one (none:
    no component)."""
    lotted = _lotted(ctx)
    rented = _rented(ctx)
    ctx.shared["core.lots"] = lotted
    ctx.shared["core.rent_lots"] = rented
    m = ctx.model
    ctx.var.lot_on = ctx.var.rent_on = None
    if lotted:
        m.LOT = pyo.Set(initialize=[p.key for p, _, _ in lotted], dimen=4, ordered=True,
                        doc="purchase tuples with a minimum lot")
        m.lot_on = ctx.var.lot_on = pyo.Var(m.LOT, domain=pyo.Binary, doc="the purchase is made (at least its lot)")
    if rented:
        m.RENT_LOT = pyo.Set(initialize=[k for k, _, _, _ in rented], dimen=2, ordered=True,
                             doc="rental starts with a minimum lot")
        m.rent_on = ctx.var.rent_on = pyo.Var(m.RENT_LOT, domain=pyo.Binary,
                                              doc="the rental starts (at least its lot)")


def min_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    return {p.key: Row(p.var - float(u) * ctx.var.lot_on[p.key], 0.0) for p, u, _ in ctx.shared.get("core.lots", [])}


def open_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    # U_i is finite wherever a chip can be bought (tdp_w > 0, headroom_mw finite); UNITS_MAX stands in otherwise
    return {p.key: Row(p.var - float(max(most, 0.0) if math.isfinite(most) else UNITS_MAX) * ctx.var.lot_on[p.key],
                       0.0) for p, u, most in ctx.shared.get("core.lots", [])}


def rent_min_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    return {key: Row(var - float(lot) * ctx.var.rent_on[key], 0.0)
            for key, var, lot, _ in ctx.shared.get("core.rent_lots", [])}


def rent_open_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    return {key: Row(var - float(max(most, 0.0)) * ctx.var.rent_on[key], 0.0)
            for key, var, _, most in ctx.shared.get("core.rent_lots", [])}


MIN_LOT = Family(
    name="min_lot", index=("chip", "cooling", "region", "period"), sense=">=", unit="units", per="unit",
    rows=min_rows, doc="units bought >= the lot x lot_on (a purchase is none or at least its lot)",
    report_duals=False, input_key="chips.min_lot_accelerators.{0}")
LOT_OPEN = Family(
    name="lot_open", index=("chip", "cooling", "region", "period"), sense="<=", unit="units", per="unit",
    rows=open_rows, doc="units bought <= the most the site can carry x lot_on", report_duals=False,
    input_key="chips.min_lot_accelerators.{0}")
RENT_MIN = Family(
    name="rent_lot", index=("rental", "period"), sense=">=", unit="accelerators", per="accelerator",
    rows=rent_min_rows, doc="accelerators whose rental starts >= the chip's lot x rent_on", report_duals=False)
RENT_OPEN = Family(
    name="rent_lot_open", index=("rental", "period"), sense="<=", unit="accelerators", per="accelerator",
    rows=rent_open_rows, doc="accelerators whose rental starts <= the offer's cap (or all demand) x rent_on",
    report_duals=False)
