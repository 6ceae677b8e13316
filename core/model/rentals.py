"""Rentals in the model (``[[rentals]]``; numbers from :mod:`tokenplan.rentals`).

Variables ``rent_start[o, y]`` (integer accelerators): rentals of offer o started in period y. Rented in period
t: ``rented[o, t] = sum of rent_start[o, s]`` over the starts s that run in t (``Rental.runs``). Rented
accelerators enter ``assign`` like the chip's own (they serve demand); they are in no ``power``, ``hbm``,
``cooling``, ``chip_supply`` or ``budget`` row (the cloud's). Row ``rental_cap[o, t]``: ``rented[o, t] <=
max_accelerators[o, t]`` (elastic role ``cap``). Cost terms: ``rental`` (opex: every rented accelerator's
price for the years of its periods) and ``rental_commitment`` (the years of terms that run past the horizon
end, discounted: a cost, settled at the horizon end).
"""

from __future__ import annotations

import math
from typing import Any

from tokenplan.model.context import ModelContext, value_of
from tokenplan.model.family import Family, Row


def define_variables(ctx: ModelContext) -> None:
    d = ctx.data
    index = [(o.id, ctx.periods[s]) for o in d.rentals for s in o.starts]
    ctx.var.rent_start = ctx.add_counts("rent_start", index, set_name="RENT",
                                        set_doc="(rental offer, period) rental starts",
                                        doc="accelerators whose rental starts in the period")


def starts_running(ctx: ModelContext, o: Any, t: int) -> list[Any]:
    """The rental-start variables of offer ``o`` whose rentals run in period index ``t``."""
    return [ctx.var.rent_start[o.id, ctx.periods[s]] for s in o.starts if t in o.runs[s]]


def rented(ctx: ModelContext, o: Any, t: int) -> Any:
    """Accelerators rented from offer ``o`` in period index ``t`` (an expression, or 0)."""
    return ctx.sum(starts_running(ctx, o, t))


def by_chip(ctx: ModelContext) -> dict[tuple[str, int], list[Any]]:
    """(chip id, year) -> the rental-start variables whose accelerators are rented then (for ``assign``)."""
    d = ctx.data
    out: dict[tuple[str, int], list[Any]] = {}
    for o in d.rentals:
        for t in range(len(ctx.periods)):
            running = starts_running(ctx, o, t)
            if running:
                out.setdefault((d.chip_ids[o.c], ctx.periods[t]), []).extend(running)
    return out


def cap_rows(ctx: ModelContext) -> dict[tuple[Any, ...], Row]:
    out = {}
    for o in ctx.data.rentals:
        for t, y in enumerate(ctx.periods):
            running = starts_running(ctx, o, t)
            if running and math.isfinite(o.cap[t]):
                out[o.id, y] = Row(ctx.sum(running), float(o.cap[t]))
    return out


CAP = Family(
    name="rental_cap", index=("rental", "period"), sense="<=", unit="accelerators", per="accelerator",
    rows=cap_rows, doc="accelerators rented from the offer <= its max_accelerators", elastic="cap",
    input_key="rentals.{0}.max_accelerators")


def define_costs(ctx: ModelContext) -> None:
    d = ctx.data
    if not d.rentals:
        return
    inside: dict[tuple[str | None, int], Any] = {}
    tail: dict[tuple[str | None, int], Any] = {}
    last = ctx.periods[-1]
    for o in d.rentals:
        rid = d.region_ids[o.r]
        for t, y in enumerate(ctx.periods):
            running = starts_running(ctx, o, t)
            if running:
                inside[rid, y] = inside.get((rid, y), 0) + float(o.pv_in[t]) * ctx.sum(running)
        for s in o.starts:
            if o.pv_tail[s]:
                tail[rid, last] = tail.get((rid, last), 0) + float(o.pv_tail[s]) * ctx.var.rent_start[o.id,
                                                                                                   ctx.periods[s]]
    ctx.add_cost("rental", "opex", ctx.sum(inside.values()), parts=inside, timing="over")
    ctx.add_cost("rental_commitment", "opex", ctx.sum(tail.values()), parts=None, timing="at")


def rental_cooling(offer_id: str) -> str:
    """The plan's ``cooling`` column of a rental row: the cloud's, named by the offer."""
    return f"rented:{offer_id}"


def rented_rows(model: Any, data: Any) -> list[tuple[tuple[int, str, str, str], int, Any]]:
    """The rented accelerators as plan rows: ((period year, region id, chip id, ``rented:ID``), accelerators,
    the offer), where any."""
    by_id = {o.id: o for o in data.rentals}
    return [((year, data.region_ids[by_id[oid].r], data.chip_ids[by_id[oid].c], rental_cooling(oid)), n, by_id[oid])
            for (oid, year), n in rented_counts(model, data).items()]


def rented_counts(model: Any, data: Any) -> dict[tuple[str, int], int]:
    """(rental offer id, period year) -> accelerators rented then (``[[rentals]]``), where any."""
    start = getattr(model, "rent_start", None)
    out: dict[tuple[str, int], int] = {}
    if start is None:
        return out
    for o in data.rentals:
        for s in o.starts:
            n = round(value_of(start[o.id, data.periods[s]]))
            for t in o.runs[s] if n else ():
                out[o.id, data.periods[t]] = out.get((o.id, data.periods[t]), 0) + n
    return out

