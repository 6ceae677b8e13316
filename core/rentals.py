"""Rental offers (``[[rentals]]``): cloud capacity as an alternative to buying, checked against the selection
and turned into model numbers (issue 13 item 2; the math is in docs/formulation.md, "Rentals").

An offer rents accelerators of one chip, running at one region (the cloud's), at a price per accelerator-hour.
A rental started in period s runs in the periods t with ``y[s] <= y[t] < y[s] + min_term_years`` (at least
period s itself) and is paid for every year of those periods, at 8,760 hours a year (reserved capacity is
billed whether used or not; ``load_factor`` is about power, not billing), plus the years of its term after the
horizon end (a commitment settled at the horizon end, ``df`` of each year). Rented accelerators serve demand
like the chip's own; they draw no site power, HBM or cooling of the buyer (the cloud's) and buy nothing (no
capex, no salvage, no subsidy). A rental may start in a period only where a rule lets the chip be bought at the
offer's region (``Data.forbid``) and the chip is available (``year_available``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenplan.economics import HOURS_PER_YEAR, MONEY, rate_into_problem
from tokenplan.errors import InputError, unknown_in_selection

if TYPE_CHECKING:
    from tokenplan.coefficients import Data



@dataclass(frozen=True)
class Rental:
    """One offer in model units (money in ``MONEY``, present values at the first period's year)."""

    id: str
    c: int
    r: int
    origin: str
    starts: tuple[int, ...]          # periods a rental may start in
    runs: dict[int, tuple[int, ...]]  # start period -> the periods it runs in
    price_year: float                # nominal per accelerator and year, MONEY
    pv_in: np.ndarray                # [t] per accelerator rented in period t: its years' price, discounted
    pv_tail: dict[int, float]        # start period -> the discounted price of its term after the horizon end
    cap: np.ndarray                  # [t] most accelerators rented (nan: none)
    banned: dict[int, str]           # period -> why no rental may start then (a rule)

    def domestic(self, data: Data, r: int | None = None) -> bool:
        """The origin equals the region's country (the offer's region unless ``r``)."""
        return self.origin == data.regions[self.r if r is None else r].country


def offers(data: Data) -> list[Rental]:
    problem = data.problem
    h = data.horizon
    out: list[Rental] = []
    seen: set[str] = set()
    for n, o in enumerate(problem.rentals):
        where = f"rentals[{o.id}]"
        if o.id in seen:
            raise InputError("duplicate rental offer id", file=problem.source, key=f"rentals[{n}].id", value=o.id)
        seen.add(o.id)
        for key, value, known in (("chip", o.chip, data.chip_ids), ("region", o.region, data.region_ids)):
            if value not in known:
                raise unknown_in_selection(key, value, known, file=problem.source, key=f"{where}.{key}")
        rate = rate_into_problem(problem, o.currency, key=f"{where}.currency")
        c, r = data.chip_index(o.chip), data.region_index(o.region)
        chip = data.chips[c]
        price_year = o.price_per_accel_hour * rate * HOURS_PER_YEAR / MONEY
        banned: dict[int, str] = {}
        starts = []
        for t, y in enumerate(h.years):
            why = data.forbidden.get((chip.id, o.region, y)) or data.forbidden.get((chip.id, o.region, None))
            if why is not None:
                banned[t] = why
            elif chip.year_available <= y and (chip.year_last is None or y <= chip.year_last):
                starts.append(t)
        runs = {s: tuple(t for t in range(h.n) if t == s or h.years[s] <= h.years[t] < h.years[s] + o.min_term_years)
                for s in starts}
        tail = {s: price_year * sum(h.df(y) for y in range(h.end, h.years[s] + o.min_term_years)) for s in starts}
        cap = np.array([_cap(o.max_accelerators, y) for y in h.years])
        out.append(Rental(id=o.id, c=c, r=r, origin=o.origin or chip.origin or "", starts=tuple(starts), runs=runs,
                          price_year=price_year, pv_in=np.array([price_year * h.period_df(t) for t in range(h.n)]),
                          pv_tail=tail, cap=cap, banned=banned))
        if banned and len(banned) == h.n:
            data.warnings.append(f"rental offer {o.id}: chip {chip.id} may not be rented at region {o.region} in any "
                                 f"period ({next(iter(banned.values()))})")
    return out


def _cap(value: float | dict[int, float] | None, year: int) -> float:
    if value is None:
        return math.nan
    if isinstance(value, dict):
        return float(value.get(year, math.nan))
    return float(value)
