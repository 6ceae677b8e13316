"""Coefficients: a :class:`~tokenplan.catalog.Selection` -> :class:`Data` (numpy arrays and sparse sets).

Everything the model needs is computed here, in model units:

- money in millions of the problem currency (``MONEY``), power in MW, throughput in tokens/s;
- ``buy`` tuples (chip c, cooling k, region r, period t) exist only where the chip is available in t,
  supports k (cooling list and rack kW), k keeps within the region's PUE cap, and no rule forbids it;
- per ``buy`` tuple: the present value of every cost it causes (capex, opex over its active periods,
  salvage), so the model's objective is a plain sum.

Rules change coefficients in :meth:`~tokenplan.records.Rule.adjust` (between :func:`compute`'s base arrays
and :meth:`Data.finalize`): ``forbid`` tuples, multiply prices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tokenplan.catalog import Selection
from tokenplan.economics import HOURS_PER_YEAR, MONEY, Horizon, horizon
from tokenplan.errors import InputError, did_you_mean
from tokenplan.installed import Installed, entries
from tokenplan.records import Chip, Cooling, Region
from tokenplan.rentals import Rental, offers

#: Model money unit (``MONEY``, millions of the problem currency) and hours per year: tokenplan.economics.
SECONDS_PER_DAY = 86400.0


def _per_year(value: float | dict[int, float] | None, periods: list[int], default: float = math.nan
              ) -> np.ndarray:
    if value is None:
        return np.full(len(periods), default)
    if isinstance(value, dict):
        return np.array([value.get(y, default) for y in periods], dtype=float)
    return np.full(len(periods), float(value))


@dataclass
class BuyCosts:
    """Per-``buy``-tuple coefficients (arrays aligned with ``Data.buy``), money in ``MONEY``."""

    capex_accel: np.ndarray   # nominal accelerator capex per unit, paid at y[t]
    capex_cooling: np.ndarray  # nominal cooling capex per unit
    it_mw: np.ndarray          # IT MW per unit
    facility_mw: np.ndarray    # facility MW per unit (x PUE x pue_factor)
    hbm: np.ndarray            # HBM per unit (stacks or GB)
    pv_capex_accel: np.ndarray
    pv_capex_cooling: np.ndarray
    pv_energy: np.ndarray
    pv_maintenance: np.ndarray
    pv_cooling_opex: np.ndarray
    pv_salvage_accel: np.ndarray
    pv_salvage_cooling: np.ndarray
    #: share of its purchase period a purchase serves (launch quarter and lead time; 1 = all of it)
    online_share: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Data:
    """The numbers of one problem, in model units, with the sparse index sets."""

    selection: Selection
    horizon: Horizon
    chips: list[Chip]
    coolings: list[Cooling]
    regions: list[Region]
    workload_ids: list[str]
    pools: list[str]
    # per chip
    unit_size: np.ndarray
    it_kw: np.ndarray          # IT kW per accelerator
    price: np.ndarray          # problem currency per accelerator (after fx)
    lifetime: np.ndarray
    hbm_per_accel: np.ndarray  # stacks or GB (nan: unknown)
    # per cooling
    pue: np.ndarray
    capex_per_kw_it: np.ndarray
    opex_per_kw_it_year: np.ndarray
    site_fixed_cost: np.ndarray  # problem currency
    # per region (x period)
    power_mw: np.ndarray       # [r, t]
    existing_mw: np.ndarray
    block_mw: np.ndarray
    facility_capex_per_mw: np.ndarray
    power_price: np.ndarray    # [r, t] per kWh
    pue_factor: np.ndarray
    # per workload x period
    tokens_per_day: np.ndarray  # [w, t]
    demand_tps: np.ndarray      # [w, t] tokens/s to provide (x peak_to_average)
    # chip x workload
    tps: np.ndarray            # [c, w] tokens/s per accelerator
    # caps (nan = unlimited)
    hbm_supply: np.ndarray     # [p, t]
    budget: np.ndarray         # [t] problem currency
    chip_supply: np.ndarray    # [c, t] accelerators
    # masks and multipliers (rules may change them in adjust)
    allowed: np.ndarray        # [c, k, r, t] bool
    price_multiplier: np.ndarray  # [c, r, t]
    load_factor: float = 0.7
    maintenance_rate: float = 0.03
    facility_lifetime: float = 20.0
    # delivery caps by supply group ([[supply_caps]]): ids, (chip indices, region indices) and caps [g, t]
    supply_cap_ids: list[str] = field(default_factory=list)
    supply_cap_members: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    supply_cap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    #: per region: years from ordering a facility block to its service (empty: 0 everywhere)
    block_lead: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: per region, grid-connection increases: MW of one (nan: the grid cap cannot be raised), most MW in all,
    #: capex per MW (problem currency), years from ordering one to its energising (empty: none anywhere)
    grid_step: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grid_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grid_capex_per_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grid_lead: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: per chip: least accelerators of one purchase when it is made (``[chips] min_lot_accelerators``; 0: none)
    min_lot: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: why tuples were removed: (chip id, region id, year or None) -> reason (for reports)
    forbidden: dict[tuple[str, str, int | None], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # filled by finalize()
    buy: list[tuple[int, int, int, int]] = field(default_factory=list)
    costs: BuyCosts | None = None
    fleet: dict[tuple[int, int, int, int], list[int]] = field(default_factory=dict)
    build: list[tuple[int, int]] = field(default_factory=list)
    cool_sites: list[tuple[int, int]] = field(default_factory=list)
    serve: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    #: the installed fleet (``[[fleet.installed]]``, tokenplan.installed), filled by finalize()
    installed: list[Installed] = field(default_factory=list)
    #: the rental offers (``[[rentals]]``, tokenplan.rentals), filled by finalize()
    rentals: list[Rental] = field(default_factory=list)

    # -- lookups -------------------------------------------------------------------------------
    @property
    def problem(self) -> Any:
        return self.selection.problem

    @property
    def periods(self) -> list[int]:
        return list(self.horizon.years)

    @property
    def chip_ids(self) -> list[str]:
        return [c.id for c in self.chips]

    @property
    def cooling_ids(self) -> list[str]:
        return [k.id for k in self.coolings]

    @property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.regions]

    def chip_index(self, chip_id: str) -> int:
        return self.chip_ids.index(chip_id)

    def region_index(self, region_id: str) -> int:
        return self.region_ids.index(region_id)

    def period_index(self, year: int) -> int:
        return self.periods.index(year)

    def is_domestic(self, c: int, r: int) -> bool:
        """A chip is domestic in a region when its origin equals the region's country."""
        return self.chips[c].origin == self.regions[r].country

    # -- changes by rules (before finalize) ----------------------------------------------------
    def forbid(self, c: int, r: int, t: int | None = None, *, reason: str) -> None:
        """Forbid buying chip ``c`` in region ``r`` (in period ``t``, or in every period)."""
        if t is None:
            self.allowed[c, :, r, :] = False
        else:
            self.allowed[c, :, r, t] = False
        self.forbidden[(self.chips[c].id, self.regions[r].id, None if t is None else self.periods[t])] = reason

    # -- sparse sets and per-tuple costs -------------------------------------------------------
    def finalize(self) -> None:
        h = self.horizon
        C, _K, R, T = self.allowed.shape
        # the allowed tuples in (region, chip, cooling, period) order, as (chip, cooling, region, period)
        where = np.argwhere(self.allowed.transpose(2, 0, 1, 3))
        self.buy = [tuple(row) for row in where[:, [1, 2, 0, 3]].tolist()]
        n = len(self.buy)
        idx = np.array(self.buy, dtype=int).reshape(n, 4)
        c_, k_, r_, t_ = idx[:, 0], idx[:, 1], idx[:, 2], idx[:, 3]
        units = self.unit_size[c_].astype(float)
        capex_accel = self.price[c_] * self.price_multiplier[c_, r_, t_] * units / MONEY
        it_mw = self.it_kw[c_] * units / 1000.0
        capex_cooling = self.capex_per_kw_it[k_] * it_mw * 1000.0 / MONEY
        facility_mw = it_mw * self.pue[k_] * self.pue_factor[r_]
        # per period and per (chip, period) once, then per tuple by indexing
        df_buy = np.array([h.df(y) for y in h.years])[t_] if n else np.zeros(0)
        salvage = np.array([[h.salvage_df() * h.salvage_fraction(t, self.lifetime[c]) for t in range(T)]
                            for c in range(C)]).reshape(C, T)[c_, t_] if n else np.zeros(0)
        # in_service[i, t]: purchase i is in service in period t (Horizon.active, for every pair at once)
        years = np.array(h.years, dtype=float)
        bought_in = years[t_] if n else np.zeros(0)
        life = self.lifetime[c_].astype(float) if n else np.zeros(0)
        in_service = (years[None, :] >= bought_in[:, None]) & (years[None, :] < bought_in[:, None] + life[:, None])
        pdf_sum = in_service @ np.array([h.period_df(t) for t in range(T)])
        energy = np.array([[energy_per_mw(self, r, t) for t in range(T)] for r in range(R)]).reshape(R, T)
        share = online_shares(self.chips, h, c_, t_)
        online = in_service.astype(float)
        if n and (share < 1).any():  # the electricity of the purchase period: only while online
            online[np.arange(n), t_] *= share
        pv_energy = facility_mw * (online * energy[r_, :]).sum(axis=1) if n else np.zeros(0)
        pv_maint = self.maintenance_rate * capex_accel * pdf_sum
        pv_cool = self.opex_per_kw_it_year[k_] * it_mw * 1000.0 / MONEY * pdf_sum
        self.fleet = _fleet(in_service, c_, k_, r_)
        self.costs = BuyCosts(
            capex_accel=capex_accel, capex_cooling=capex_cooling, it_mw=it_mw, facility_mw=facility_mw,
            hbm=np.nan_to_num(self.hbm_per_accel[c_]) * units,
            pv_capex_accel=df_buy * capex_accel, pv_capex_cooling=df_buy * capex_cooling,
            pv_energy=pv_energy, pv_maintenance=pv_maint, pv_cooling_opex=pv_cool,
            pv_salvage_accel=salvage * capex_accel, pv_salvage_cooling=salvage * capex_cooling, online_share=share)
        self.installed = entries(self)
        self.rentals = offers(self)
        regions = sorted({r for (_, _, r, _) in self.buy} | {e.r for e in self.installed})
        self.build = [(r, t) for r in regions for t in range(T)]
        self.cool_sites = sorted({(k, r) for (_, k, r, _) in self.buy}, key=lambda kr: (kr[1], kr[0]))
        W = len(self.workload_ids)
        # serving is decided per chip, workload and period: demand is one pool per workload and tokens/s
        # depend on the chip alone, so where an accelerator sits (cooling, region) does not change what it
        # serves (docs/formulation.md, "Why `serve` has no cooling and no region")
        in_service = sorted({(c, t) for (c, _k, _r, t) in self.fleet}
                            | {(e.c, t) for e in self.installed for t in e.periods}
                            | {(o.c, t) for o in self.rentals for runs in o.runs.values() for t in runs})
        self.serve = [(c, w, t) for (c, t) in in_service for w in range(W)
                      if self.tps[c, w] > 0 and self.demand_tps[w, t] > 0]

    # -- facility and cooling coefficients -----------------------------------------------------
    def block_capex(self, r: int) -> float:
        """Nominal capex of one facility block at region r (MONEY)."""
        return self.block_mw[r] * self.facility_capex_per_mw[r] / MONEY

    def blocks_active(self, t: int, r: int | None = None) -> list[int]:
        """Periods s whose facility blocks (at region r) are in service in period t: built, ``block_lead``
        years past their period's first year, and within the facility lifetime."""
        h = self.horizon
        lag = float(self.block_lead[r]) if r is not None and len(self.block_lead) else 0.0
        return [s for s in range(h.n) if h.active(s, t, self.facility_lifetime) and h.years[s] + lag <= h.years[t]]

    def has_grid(self, r: int) -> bool:
        """Can region r's grid connection be raised (``grid_increase_mw`` set)?"""
        return r < len(self.grid_step) and math.isfinite(self.grid_step[r])

    def grid_regions(self) -> list[int]:
        """Regions whose grid connection can be raised."""
        return [r for r in range(len(self.grid_step)) if self.has_grid(r)]

    def grid_steps_max(self, r: int) -> int:
        """Most grid increases region r can order over the horizon."""
        return math.floor(float(self.grid_max[r]) / float(self.grid_step[r]) + 1e-9)

    def grid_capex(self, r: int) -> float:
        """Nominal capex of one grid increase at region r (MONEY)."""
        return float(self.grid_step[r]) * float(self.grid_capex_per_mw[r]) / MONEY

    def grid_active(self, t: int, r: int) -> list[int]:
        """Periods s whose grid increases (at region r) are energised in period t: ordered in s, ``grid_lead``
        years past its first year (an increase stays)."""
        h = self.horizon
        return [s for s in range(h.n) if h.years[s] + float(self.grid_lead[r]) <= h.years[t]]

    def grid_cap_max(self, r: int, t: int) -> float:
        """The most the grid cap of region r can be in period t: ``power_mw`` plus every increase that can be
        energised by then."""
        cap = float(self.power_mw[r, t])
        if self.has_grid(r) and self.grid_active(t, r):
            cap += self.grid_steps_max(r) * float(self.grid_step[r])
        return cap

    def it_mw_upper_bound(self) -> float:
        """IT MW that serving all demand can take in any period, with the least efficient chip per
        workload and a spare unit of every chip (a loose bound, for the elastic model)."""
        need = 0.0
        for t in range(self.horizon.n):
            total = 0.0
            for w in range(len(self.workload_ids)):
                ratios = [self.it_kw[c] / 1000.0 / self.tps[c, w] for c in range(len(self.chips)) if self.tps[c, w] > 0]
                if ratios and self.demand_tps[w, t] > 0:
                    total += self.demand_tps[w, t] * max(ratios)
            need = max(need, total)
        spare = float(np.sum(self.it_kw * self.unit_size)) / 1000.0 * self.horizon.n
        return 2.0 * need + spare

    def cooling_big_m(self, k: int, r: int) -> float:
        """Most IT MW that cooling k can ever carry at region r: the grid cap (with every grid increase) over
        PUE x pue_factor."""
        cap = max(self.grid_cap_max(r, t) for t in range(self.horizon.n))
        return cap / (self.pue[k] * self.pue_factor[r])


def online_shares(chips: list[Chip], h: Horizon, c_: np.ndarray, t_: np.ndarray) -> np.ndarray:
    """Per buy tuple (chip ``c_``, period ``t_``): the share of the purchase period in which the purchase
    serves. It comes online ``delay`` months after the period starts: in the chip's launch year the start of
    its launch quarter (``3 (q - 1)`` months; none without ``quarter_available`` or in a later year) plus
    ``lead_time_months``; the share is ``max(0, 1 - delay / (12 x the period's years))`` (0: it serves from
    the next period). Capex is paid, and discounted, at the period's first year all the same."""
    if not len(c_):
        return np.zeros(0)
    years = np.array(h.years)[t_]
    months = 12.0 * np.array(h.durations, dtype=float)[t_]
    launch = np.array([c.year_available for c in chips])[c_]
    quarter = np.array([c.quarter_available or 1 for c in chips], dtype=float)[c_]
    lead = np.array([c.lead_time_months for c in chips], dtype=float)[c_]
    delay = np.where(years == launch, 3.0 * (quarter - 1.0), 0.0) + lead
    return np.clip(1.0 - delay / months, 0.0, 1.0)


def _fleet(in_service: np.ndarray, c_: np.ndarray, k_: np.ndarray, r_: np.ndarray) -> dict[tuple[int, ...], list[int]]:
    """(chip, cooling, region, period) -> the purchases in service there, in increasing order; keys in
    (region, chip, cooling, period) order."""
    ii, tt = np.nonzero(in_service)
    if not len(ii):
        return {}
    cols = (r_[ii], c_[ii], k_[ii], tt)
    order = np.lexsort((ii, tt, cols[2], cols[1], cols[0]))
    r, c, k, t = (a[order] for a in cols)
    i = ii[order]
    change = np.ones(len(i), dtype=bool)
    change[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1]) | (k[1:] != k[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(change).tolist()
    ends = [*starts[1:], len(i)]
    keys = np.stack([c, k, r, t], axis=1)[starts].tolist()
    members = i.tolist()
    return {tuple(key): members[a:b] for key, a, b in zip(keys, starts, ends)}


def energy_per_mw(data: Data, r: int, t: int) -> float:
    """Present value (MONEY) of the electricity one MW of facility load uses at region r in period t: every
    hour of every year of the period at ``load_factor``, at the period's price per kWh."""
    return (HOURS_PER_YEAR * 1000.0 * data.load_factor / MONEY * float(data.power_price[r, t])
            * data.horizon.period_df(t))


def compute(selection: Selection) -> Data:
    """Compute base arrays, let rules adjust them, and build the sparse sets (``finalize``)."""
    problem = selection.problem
    p = problem.problem
    periods = p.periods
    fx = _fx(problem)
    warnings: list[str] = []
    data = Data(
        selection=selection, horizon=horizon(periods, p.last_period_years, p.discount_rate),
        chips=selection.chips, coolings=selection.coolings, regions=selection.regions,
        workload_ids=[w.id for w in problem.workloads],
        pools=_pools(selection),
        **_chip_arrays(selection, fx), **_cooling_arrays(selection, fx), **_region_arrays(selection, fx),
        **_demand(selection), **_caps(selection), **_supply_caps(selection),
        block_lead=np.array([r.block_lead_years for r in selection.regions], dtype=float),
        **_grid_arrays(selection, fx),
        min_lot=np.array([_min_lot(selection.problem.chips.min_lot_accelerators, c.id) for c in selection.chips],
                         dtype=float),
        allowed=_allowed(selection, warnings),
        price_multiplier=np.ones((len(selection.chips), len(selection.regions), len(periods))),
        load_factor=p.load_factor, maintenance_rate=p.maintenance_rate,
        facility_lifetime=p.facility_lifetime_years, warnings=warnings,
    )
    for rule in selection.rules:
        with selection.blame(rule, "adjust()"):
            rule.adjust(data)
    data.finalize()
    return data


def _fx(problem: Any) -> Any:
    """Currency code (None: the problem's) -> its rate into the problem currency."""
    p = problem.problem

    def rate(code: str | None) -> float:
        return 1.0 if code is None or code == p.currency else p.fx[code]

    return rate


def _chip_arrays(selection: Selection, fx: Any) -> dict[str, np.ndarray]:
    chips = selection.chips
    unit_hbm = "hbm_stacks" if selection.problem.hbm.unit == "stacks" else "hbm_gb"
    return {
        "unit_size": np.array([c.unit_size for c in chips], dtype=int),
        "it_kw": np.array([c.it_kw_per_accel for c in chips], dtype=float),
        "price": np.array([(c.price_per_accel + c.bill_price_per_accel) * fx(c.price_currency) for c in chips],
                          dtype=float),
        "lifetime": np.array([c.lifetime_years for c in chips], dtype=float),
        "hbm_per_accel": np.array([math.nan if getattr(c, unit_hbm) is None else getattr(c, unit_hbm)
                                   for c in chips], dtype=float),
    }


def _cooling_arrays(selection: Selection, fx: Any) -> dict[str, np.ndarray]:
    coolings = selection.coolings
    return {
        "pue": np.array([k.pue for k in coolings]),
        "capex_per_kw_it": np.array([k.capex_per_kw_it * fx(k.currency) for k in coolings]),
        "opex_per_kw_it_year": np.array([k.opex_per_kw_it_year * fx(k.currency) for k in coolings]),
        "site_fixed_cost": np.array([k.site_fixed_cost * fx(k.currency) for k in coolings]),
    }


def _region_arrays(selection: Selection, fx: Any) -> dict[str, np.ndarray]:
    problem, regions = selection.problem, selection.regions
    periods = problem.problem.periods
    power_mw = np.array([_per_year(r.power_mw, periods) for r in regions])
    existing = np.array([r.existing_mw for r in regions])
    for i, r in enumerate(regions):
        for t, year in enumerate(periods):
            if existing[i] > power_mw[i, t]:
                raise InputError(f"existing_mw {existing[i]:g} exceeds the grid cap power_mw = "
                                 f"{power_mw[i, t]:g} in {year}", file=problem.source,
                                 key=f"regions[{r.id}].existing_mw", value=r.existing_mw)
    return {
        "power_mw": power_mw, "existing_mw": existing,
        "block_mw": np.array([r.block_mw for r in regions]),
        "facility_capex_per_mw": np.array([r.facility_capex_per_mw * fx(r.currency) for r in regions]),
        "power_price": np.array([_per_year(r.power_price_per_kwh, periods) * fx(r.currency) for r in regions]),
        "pue_factor": np.array([r.pue_factor for r in regions]),
    }


def _min_lot(lots: dict[str, int], chip_id: str) -> float:
    """A chip's minimum lot: its own entry, else the ``"*"`` entry, else none (0)."""
    return float(lots.get(chip_id, lots.get("*", 0)))


def _grid_arrays(selection: Selection, fx: Any) -> dict[str, np.ndarray]:
    """Grid-connection increases per region (nan where a region has none)."""
    regions = selection.regions

    def column(get: Any) -> np.ndarray:
        return np.array([math.nan if r.grid_increase_mw is None else float(get(r)) for r in regions], dtype=float)

    return {"grid_step": column(lambda r: r.grid_increase_mw), "grid_max": column(lambda r: r.grid_increase_max_mw),
            "grid_capex_per_mw": column(lambda r: r.grid_capex_per_mw * fx(r.currency)),
            "grid_lead": column(lambda r: r.grid_lead_years)}


def _demand(selection: Selection) -> dict[str, np.ndarray]:
    """Tokens per day, tokens/s to provide (x peak_to_average) and tokens/s per accelerator."""
    workloads, chips = selection.problem.workloads, selection.chips
    periods = selection.problem.problem.periods
    tokens = np.array([_per_year(w.tokens_per_day, periods) for w in workloads])
    peak = np.array([w.peak_to_average for w in workloads])
    tps = np.zeros((len(chips), len(workloads)))
    for ci, chip in enumerate(chips):
        for wi, w in enumerate(workloads):
            value = selection.catalog.throughput(chip, w, selection.throughput_params)
            tps[ci, wi] = 0.0 if value is None else value
    return {"tokens_per_day": tokens, "demand_tps": tokens / SECONDS_PER_DAY * peak[:, None], "tps": tps}


def _pools(selection: Selection) -> list[str]:
    """The HBM pools: those of the chips and those the problem gives a supply for, sorted."""
    return sorted({c.hbm_pool for c in selection.chips if c.hbm_pool} | set(selection.problem.hbm.supply))


def _caps(selection: Selection) -> dict[str, np.ndarray]:
    """HBM supply per pool, budget and chip supply per period (nan: unlimited)."""
    problem, chips = selection.problem, selection.chips
    periods = problem.problem.periods
    T = len(periods)
    pools = _pools(selection)
    return {
        "hbm_supply": np.array([_per_year(problem.hbm.supply.get(pool), periods) for pool in pools]).reshape(
            len(pools), T),
        "budget": _per_year(problem.budget.capex_per_period, periods),
        "chip_supply": np.array([_per_year(problem.chips.supply_accelerators.get(c.id), periods) for c in chips]
                                ).reshape(len(chips), T),
    }


def _supply_caps(selection: Selection) -> dict[str, Any]:
    """``[[supply_caps]]``: ids, members (indices of the problem's chips and regions) and caps [g, t] (nan:
    no cap that period). A chip id that names no chip at all and a region id that names no region of the
    problem are errors; a known chip the problem does not buy (denied, not allowed) is left out of the group."""
    problem = selection.problem
    periods = problem.problem.periods
    known = {c.id for c in selection.catalog.chips()} | {c.id for c in problem.chips.custom}
    chip_ix = {c.id: i for i, c in enumerate(selection.chips)}
    region_ix = {r.id: i for i, r in enumerate(selection.regions)}
    ids: list[str] = []
    members: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for cap in problem.supply_caps:
        key = f"supply_caps[{cap.id}]"
        if cap.id in ids:
            raise InputError("two supply caps have this id", file=problem.source, key=f"{key}.id", value=cap.id)
        for chip_id in cap.chips:
            if chip_id not in known:
                raise InputError(f"unknown chip id{did_you_mean(chip_id, sorted(known))}", file=problem.source,
                                 key=f"{key}.chips", value=chip_id)
        for region_id in cap.regions or []:
            if region_id not in region_ix:
                raise InputError(f"not a region of this problem{did_you_mean(region_id, region_ix)}",
                                 file=problem.source, key=f"{key}.regions", value=region_id)
        chips = tuple(sorted({chip_ix[c] for c in cap.chips if c in chip_ix}))
        regions = tuple(sorted(region_ix[r] for r in set(cap.regions))) if cap.regions else tuple(
            range(len(selection.regions)))
        ids.append(cap.id)
        members.append((chips, regions))
    caps = np.array([_per_year(cap.accelerators, periods) for cap in problem.supply_caps]).reshape(
        len(ids), len(periods))
    return {"supply_cap_ids": ids, "supply_cap_members": members, "supply_cap": caps}


def _allowed(selection: Selection, warnings: list[str]) -> np.ndarray:
    """[c, k, r, t]: the chip is available in the period, supports the cooling (its list and its rack kW), and
    the cooling keeps within the region's PUE cap. Chips that can never be bought get a warning."""
    chips, coolings, regions = selection.chips, selection.coolings, selection.regions
    periods = selection.problem.problem.periods
    allowed = np.zeros((len(chips), len(coolings), len(regions), len(periods)), dtype=bool)
    for ci, chip in enumerate(chips):
        years_ok = np.array([chip.year_available <= y and (chip.year_last is None or y <= chip.year_last)
                             for y in periods])
        rack_kw = chip.rack_kw if chip.rack_kw is not None else chip.it_kw_per_accel * chip.unit_size
        usable = [k for k in coolings if k.id in chip.cooling and rack_kw <= k.max_rack_kw]
        if not usable:
            limits = ", ".join(f"{k.id} {k.max_rack_kw:g} kW" for k in coolings if k.id in chip.cooling)
            hint = " (one unit; set rack_kw if a unit spans several racks)" if chip.rack_kw is None else ""
            warnings.append(f"chip {chip.id} cannot be bought: its rack of {rack_kw:g} kW{hint} exceeds every "
                            f"allowed cooling it supports ({limits or 'none allowed'})")
        elif not years_ok.any():
            warnings.append(f"chip {chip.id} cannot be bought: not available in any period")
        for ki, k in enumerate(coolings):
            if k not in usable:
                continue
            for ri, region in enumerate(regions):
                if region.pue_cap is not None and k.pue * region.pue_factor > region.pue_cap + 1e-12:
                    continue
                allowed[ci, ki, ri, :] = years_ok
    return allowed
