"""The installed fleet (``[[fleet.installed]]``): accelerators already owned, checked against the selection and
turned into per-accelerator numbers in model units (issue 13 item 1; the math is in docs/formulation.md,
"Installed fleet").

An entry owns ``count`` accelerators of one chip on one cooling at one region, bought in ``year_bought`` with a
book value ``B`` at the start of the first period ``y0``. It is in service in the periods t with
``y0 <= y[t] < year_bought + lifetime`` (``Horizon``'s activity rule with the chip's lifetime). Its book value is
depreciated straight-line over the life it has left, ``L = year_bought + lifetime - y0``: one accelerator is worth
``b(y) = B / count x max(0, 1 - (y - y0) / L)`` in year y. No capex; opex as for a bought unit (energy of its
facility MW, maintenance at ``maintenance_rate`` of the chip's catalog price, cooling opex). Retiring an
accelerator at the start of period t earns ``b(y[t]) x df(y[t])`` and ends its opex from t; one kept to the
horizon end earns ``b(Y) x df(Y)``, the salvage of a bought unit.

The numbers are computed from a ``Data`` after the rules' ``adjust`` (``Data.finalize`` calls :func:`entries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenplan.economics import HOURS_PER_YEAR, MONEY, rate_into_problem
from tokenplan.errors import InputError, unknown_in_selection

if TYPE_CHECKING:
    from tokenplan.coefficients import Data



@dataclass(frozen=True)
class Installed:
    """One ``[[fleet.installed]]`` entry in model units (money in ``MONEY``, present values at y0; every
    per-period array is aligned with ``periods``, the periods the entry is in service)."""

    id: str
    c: int
    k: int
    r: int
    count: int
    retirable: bool
    periods: tuple[int, ...]       # period indices in service
    it_mw: float                   # IT MW per accelerator
    facility_mw: float             # facility MW per accelerator (x PUE x pue_factor)
    pv_energy: np.ndarray          # per accelerator kept in service in the period
    pv_maintenance: np.ndarray
    pv_cooling_opex: np.ndarray
    opex_per_year: np.ndarray      # nominal per accelerator and year of the period (energy, maintenance, cooling)
    pv_retire: np.ndarray          # salvage of one accelerator retired at the start of the period
    pv_salvage_end: float          # salvage of one accelerator kept to the horizon end
    book_per_accel: float          # b(y0), model money
    domestic: bool

    @property
    def pv_opex(self) -> np.ndarray:
        return self.pv_energy + self.pv_maintenance + self.pv_cooling_opex


def entries(data: Data) -> list[Installed]:
    """The problem's installed entries, checked (one-line ``InputError``s) and computed; warnings for chips a
    rule bans buying at the entry's region."""
    problem = data.problem
    fleet = problem.fleet
    h = data.horizon
    y0 = h.years[0]
    out: list[Installed] = []
    seen: set[str] = set()
    for n, e in enumerate(fleet.installed):
        eid = e.id or f"installed-{n + 1}"
        where = f"fleet.installed[{n}]"
        if eid in seen:
            raise InputError("duplicate installed entry id", file=problem.source, key=f"{where}.id", value=eid)
        seen.add(eid)
        c, k, r = _index(data, e, where)
        chip, cooling = data.chips[c], data.coolings[k]
        if e.cooling not in chip.cooling:
            raise InputError(f"chip {chip.id} does not support cooling {e.cooling} (it supports: "
                             f"{', '.join(chip.cooling)})", file=problem.source, key=f"{where}.cooling",
                             value=e.cooling)
        rack_kw = chip.rack_kw if chip.rack_kw is not None else chip.it_kw_per_accel * chip.unit_size
        if rack_kw > cooling.max_rack_kw:
            raise InputError(f"chip {chip.id}'s rack of {rack_kw:g} kW exceeds cooling {cooling.id}'s "
                             f"{cooling.max_rack_kw:g} kW", file=problem.source, key=f"{where}.cooling",
                             value=e.cooling)
        if e.year_bought > y0:
            raise InputError(f"year_bought must be <= the first period {y0} (a later purchase is a decision, "
                             "not an installed unit)", file=problem.source, key=f"{where}.year_bought",
                             value=e.year_bought)
        life = float(data.lifetime[c])
        left = e.year_bought + life - y0
        if left <= 0:
            raise InputError(f"the units are past their lifetime of {life:g} years (chip {chip.id}) by the first "
                             f"period {y0}", file=problem.source, key=f"{where}.year_bought", value=e.year_bought)
        rate = rate_into_problem(problem, e.currency, key=f"{where}.currency")
        out.append(_numbers(data, eid, c, k, r, e, left, rate))
        banned = [why for (cid, rid, _y), why in data.forbidden.items() if cid == chip.id and rid == e.region]
        if banned:
            data.warnings.append(
                f"installed entry {eid}: chip {chip.id} may not be bought at region {e.region} ({banned[0]}); the "
                f"{e.count:,} installed units keep running (rules bind purchases), but a domestic-only subsidised "
                "site must retire them first (docs/rules.md, 'Installed and rented chips')")
    return out


def _index(data: Data, e: Any, where: str) -> tuple[int, int, int]:
    problem = data.problem
    for key, value, known in (("region", e.region, data.region_ids), ("chip", e.chip, data.chip_ids),
                              ("cooling", e.cooling, data.cooling_ids)):
        if value not in known:
            raise unknown_in_selection(key, value, known, file=problem.source, key=f"{where}.{key}")
    return data.chip_index(e.chip), data.cooling_ids.index(e.cooling), data.region_index(e.region)


def _numbers(data: Data, eid: str, c: int, k: int, r: int, e: Any, left: float, rate: float) -> Installed:
    h = data.horizon
    y0 = h.years[0]
    end_of_life = e.year_bought + float(data.lifetime[c])
    periods = tuple(t for t, y in enumerate(h.years) if y0 <= y < end_of_life)
    it_mw = float(data.it_kw[c]) / 1000.0
    facility_mw = it_mw * float(data.pue[k]) * float(data.pue_factor[r])
    pdf = np.array([h.period_df(t) for t in periods])
    per_mwh = np.array([HOURS_PER_YEAR * 1000.0 * data.load_factor / MONEY * float(data.power_price[r, t])
                        for t in periods])
    maint_year = data.maintenance_rate * float(data.price[c]) / MONEY
    cool_year = float(data.opex_per_kw_it_year[k]) * it_mw * 1000.0 / MONEY
    book = e.book_value * rate / MONEY / e.count

    def value(year: float) -> float:
        return book * max(0.0, 1.0 - (year - y0) / left)

    in_service_at_end = bool(periods) and periods[-1] == h.n - 1  # b(Y) = 0 once the life has ended
    return Installed(
        id=eid, c=c, k=k, r=r, count=int(e.count),
        retirable=bool(data.problem.fleet.allow_retirement if e.retirable is None else e.retirable),
        periods=periods, it_mw=it_mw, facility_mw=facility_mw,
        pv_energy=facility_mw * per_mwh * pdf, pv_maintenance=maint_year * pdf, pv_cooling_opex=cool_year * pdf,
        opex_per_year=(facility_mw * per_mwh + maint_year + cool_year) * MONEY,
        pv_retire=np.array([value(h.years[t]) * h.df(h.years[t]) for t in periods]),
        pv_salvage_end=value(h.end) * h.salvage_df() if in_service_at_end else 0.0,
        book_per_accel=book, domestic=data.chips[c].origin == data.regions[r].country)
