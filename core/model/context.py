"""``ModelContext``: the one interface through which the core families, the cost terms and the rules build
the model.

It offers the selection by id (chips, coolings, regions, periods, workloads), the purchases (one
:class:`Purchase` per allowed chip, cooling, region and period, with its per-unit numbers), the variables
(``ctx.var``), the shared expressions (``ctx.expr``: fleet, IT MW, facility MW, capacity, capex, energy),
discount factors, and the three ways to change the model: :meth:`ModelContext.add_family` (rows),
:meth:`ModelContext.add_cost` (objective terms) and :meth:`ModelContext.add_variable`. Money is in model units
(``ctx.money`` of the problem currency: millions).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.core as pyo

from tokenplan.coefficients import MONEY, Data, energy_per_mw
from tokenplan.model.family import Category, CostTerm, Elastic, Family, Row

if TYPE_CHECKING:
    from tokenplan.records import Chip, Cooling, Region


@dataclass(frozen=True)
class Purchase:
    """One purchasable tuple (chip, cooling, region, year) and its numbers per unit bought (money in model
    units, nominal unless ``pv_``: present value at the first period's year)."""

    position: int           # column order of ``ctx.var.buy``
    chip: str
    cooling: str
    region: str
    year: int
    var: Any                # ctx.var.buy[chip, cooling, region, year]
    accelerators: int       # accelerators per unit
    capex_accel: float      # accelerators (after rule multipliers such as licence fees)
    capex_cooling: float
    it_mw: float
    facility_mw: float      # IT MW x PUE x the region's pue_factor
    hbm: float              # stacks or GB
    pv_capex: float         # accelerators and cooling
    pv_salvage: float       # accelerators and cooling, credited at the horizon end
    salvage_fraction: float  # book value left at the horizon end, as a share of the capex
    domestic: bool          # the chip's origin is the region's country
    active_years: tuple[int, ...]
    online_share: float = 1.0  # share of the purchase period it serves (launch quarter, lead time)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.chip, self.cooling, self.region, self.year)


@dataclass(frozen=True)
class RentalStart:
    """Rentals of one offer started in one period (``[[rentals]]``): what a rule sees of them. ``var``: the
    accelerators whose rental starts then (``ctx.var.rent_start[offer, year]``); ``domestic``: the offer's
    origin is its region's country."""

    offer: str
    chip: str
    region: str
    year: int
    origin: str
    var: Any
    domestic: bool
    years: tuple[int, ...]  # the periods the rentals run in


@dataclass
class Variables:
    """The core's decision variables (Pyomo components)."""

    buy: Any = None      # [chip, cooling, region, year]: units bought in the period (integer)
    serve: Any = None    # [chip, workload, year]: accelerators of the chip serving a workload
    blocks: Any = None   # [region, year]: facility blocks built in the period (integer)
    cool_on: Any = None  # [cooling, region]: the site has this cooling infrastructure (binary)
    retire: Any = None   # [installed entry, year]: installed accelerators retired then (integer; None: none)
    rent_start: Any = None  # [rental offer, year]: accelerators whose rental starts then (integer; None: none)
    grid: Any = None     # [region, year]: grid-connection increases ordered then (integer; None: none)
    lot_on: Any = None   # [chip, cooling, region, year]: a purchase with a minimum lot is made (binary; None: none)
    rent_on: Any = None  # [rental offer, year]: a rental start with a minimum lot is made (binary; None: none)


@dataclass
class Expressions:
    """Shared expressions (Pyomo ``Expression`` components, defined once in ``tokenplan.model.shared``),
    plus ``headroom_mw`` (numbers)."""

    fleet: Any = None        # [chip, cooling, region, year]: accelerators in service
    it_mw: Any = None        # [region, year]: IT MW of the fleet in service
    facility_mw: Any = None  # [region, year]: facility MW of the fleet in service
    capacity_mw: Any = None  # [region, year]: existing MW + facility blocks in service
    capex: Any = None        # [region, year]: nominal capex paid at the site in the period (before subsidies)
    net_capex: Any = None    # [region, year]: its present value net of the salvage earned at the horizon end
    energy: Any = None       # [region, year]: present value of the site's electricity bill in the period
    #: [region, year] -> most facility MW the site can carry (existing + whole blocks under the grid cap;
    #: in a diagnosis where the grid cap may give, what serving all demand can take)
    headroom_mw: dict[tuple[str, int], float] = field(default_factory=dict)


class ModelContext:
    """See the module doc. Built by :func:`tokenplan.model.build`; rules get it in ``apply`` and ``report``."""

    money = MONEY

    def __init__(self, model: pyo.ConcreteModel, data: Data, elastic: Elastic | None = None) -> None:
        self.model = model
        self.data = data
        self.elastic = elastic
        self.families: list[Family] = []
        self.cost_terms: list[CostTerm] = []
        #: family name -> the power of ten its rows were multiplied by
        self.row_scale: dict[str, float] = {}
        #: family name -> [(slack variable, weights by index)]
        self.slacks: dict[str, list[tuple[Any, dict[Any, float]]]] = {}
        self.var = Variables()
        self.expr = Expressions()
        self.cooling_big_m: dict[tuple[str, str, int], float] = {}
        #: state that several rules share while the model is built (e.g. the capex subsidies of each site)
        self.shared: dict[str, Any] = {}
        #: who read which coefficients while the model was built (``build(..., record=True)``), else None
        self.reads: Any = None
        #: family name -> how many times rows were added to it (a shared family is never refreshed)
        self._additions: dict[str, int] = defaultdict(int)
        self._term_repn: list[tuple[str, list[Any], np.ndarray, float] | None] | None = None
        #: what rules' refreshes changed (:meth:`begin_patch`), else None
        self._patch: dict[str, list[Any]] | None = None
        h = data.horizon
        self.chips: dict[str, Chip] = {c.id: c for c in data.chips}
        self.coolings: dict[str, Cooling] = {k.id: k for k in data.coolings}
        self.regions: dict[str, Region] = {r.id: r for r in data.regions}
        self.periods: list[int] = list(h.years)
        self.workloads: list[str] = list(data.workload_ids)
        self.currency: str = data.problem.problem.currency
        self.hbm_unit: str = data.problem.hbm.unit
        self._bought: dict[tuple[str, int], list[Purchase]] = defaultdict(list)
        self._active: dict[tuple[str, int], list[Purchase]] = defaultdict(list)
        self.purchases: list[Purchase] = []

    # -- the selection -----------------------------------------------------------------------------------
    def df(self, year: float) -> float:
        """Discount factor of a year (money paid then, in present value)."""
        return self.data.horizon.df(year)

    def period_df(self, year: int) -> float:
        """Sum of the discount factors of the years of the period starting in ``year`` (annual costs)."""
        return self.data.horizon.period_df(self.periods.index(year))

    def salvage_df(self) -> float:
        """Discount factor of the horizon end, where salvage is credited."""
        return self.data.horizon.salvage_df()

    def period_years(self, year: int) -> int:
        """Length in years of the period starting in ``year``."""
        return self.data.horizon.durations[self.periods.index(year)]

    @property
    def load_factor(self) -> float:
        """Average load as a share of IT power (``problem.load_factor``)."""
        return float(self.data.load_factor)

    def energy_per_mw(self, region: str, year: int) -> float:
        """Present value of the electricity one MW of facility load uses in the period (model money)."""
        d = self.data
        return energy_per_mw(d, d.region_index(region), self.periods.index(year))

    def facility_salvage_fraction(self, year: int) -> float:
        """Book value left at the horizon end of a facility block built in the period, as a share of its
        capex."""
        d = self.data
        return d.horizon.salvage_fraction(self.periods.index(year), d.facility_lifetime)

    def cooling_fixed_costs(self, region: str) -> list[tuple[float, Any]]:
        """(nominal fixed cost in model money, ``cool_on`` binary) of each cooling the site may use; paid in
        the first period, no salvage."""
        d = self.data
        r = d.region_index(region)
        return [(float(d.site_fixed_cost[k]) / MONEY, self.var.cool_on[d.cooling_ids[k], region])
                for k, rr in d.cool_sites if rr == r]

    def block_capex(self, region: str) -> float:
        """Nominal capex of one facility block at a region (model money)."""
        return self.data.block_capex(self.data.region_index(region))

    def grid_capex(self, region: str, year: int) -> Any:
        """Nominal capex of the grid-connection increases ordered at a region in a period (model money): an
        expression, or 0 where the grid cannot be raised (``core/model/grid.py``). It is part of the site's
        capex; its book value at the horizon end is ``facility_salvage_fraction(year)`` of it."""
        d = self.data
        r = d.region_index(region)
        if self.var.grid is None or not d.has_grid(r):
            return 0
        return d.grid_capex(r) * self.var.grid[region, year]

    def capex_bound(self, region: str, year: int) -> float:
        """An upper bound of ``ctx.expr.capex[region, year]`` (a valid big-M): the site's facility-MW headroom
        times the largest capex per facility MW among its purchases, the blocks that fit, and the fixed
        costs of its coolings in the first period."""
        d = self.data
        r = d.region_index(region)
        mw = self.expr.headroom_mw[region, year]
        per_mw = max(((p.capex_accel + p.capex_cooling) / p.facility_mw for p in self.bought(region, year)
                      if p.facility_mw > 0), default=0.0)
        bound = per_mw * mw
        block = d.block_capex(r)
        if block > 0:
            bound += block * math.ceil((mw - float(d.existing_mw[r])) / float(d.block_mw[r]) - 1e-9)
        if year == self.periods[0]:
            bound += sum(float(d.site_fixed_cost[k]) / MONEY for k, rr in d.cool_sites if rr == r)
        if d.has_grid(r):
            bound += d.grid_capex(r) * d.grid_steps_max(r)
        return bound

    def site_periods(self) -> list[tuple[str, int]]:
        """Every (region, year) where something can be bought: the index of the per-site expressions."""
        return list(self.model.BUILD)

    def bought(self, region: str, year: int) -> list[Purchase]:
        """Purchases that can be made at ``region`` in the period starting in ``year``."""
        return self._bought.get((region, year), [])

    def active(self, region: str, year: int) -> list[Purchase]:
        """Purchases whose units are in service at ``region`` in the period starting in ``year``."""
        return self._active.get((region, year), [])

    def rental_starts(self) -> list[RentalStart]:
        """Every (offer, period) where a rental may start, in offer and period order (none without offers)."""
        d = self.data
        return [RentalStart(offer=o.id, chip=d.chip_ids[o.c], region=d.region_ids[o.r], year=self.periods[s],
                            origin=o.origin, var=self.var.rent_start[o.id, self.periods[s]],
                            domestic=o.origin == d.regions[o.r].country,
                            years=tuple(self.periods[t] for t in o.runs[s]))
                for o in d.rentals for s in o.starts]

    def installed_mw(self, region: str, year: int, *, domestic: bool | None = None
                     ) -> tuple[float, list[tuple[float, Any]]]:
        """Facility MW of the installed fleet (``[[fleet.installed]]``) at a region in a period, as
        ``(MW installed, [(MW per accelerator, retire variable), ...])``: the MW kept in service is the first
        less the sum of the second; ``domestic`` keeps only the entries whose chip is (or is not) domestic."""
        d = self.data
        t = self.periods.index(year)
        mw, terms = 0.0, []
        for e in d.installed:
            if d.region_ids[e.r] != region or t not in e.periods or (domestic is not None and e.domestic != domestic):
                continue
            mw += e.count * e.facility_mw
            if e.retirable:
                terms.extend((e.facility_mw, self.var.retire[e.id, self.periods[s]]) for s in e.periods if s <= t)
        return mw, terms

    def sites(self, tag: str | None = None) -> list[str]:
        """Regions (carrying ``tag``) where something can be bought, in region order."""
        buyable = {p.region for p in self.purchases}
        return [rid for rid, region in self.regions.items()
                if rid in buyable and (tag is None or tag in region.tags)]

    def _index_purchases(self) -> None:
        d, h = self.data, self.data.horizon
        cost = d.costs
        C, K, R, Y = d.chip_ids, d.cooling_ids, d.region_ids, self.periods
        var = self.var.buy
        for i, (c, k, r, t) in enumerate(d.buy):
            years = tuple(Y[s] for s in h.active_periods(t, d.lifetime[c]))
            p = Purchase(
                position=i, chip=C[c], cooling=K[k], region=R[r], year=Y[t], var=var[C[c], K[k], R[r], Y[t]],
                accelerators=int(d.unit_size[c]), capex_accel=float(cost.capex_accel[i]),
                capex_cooling=float(cost.capex_cooling[i]), it_mw=float(cost.it_mw[i]),
                facility_mw=float(cost.facility_mw[i]), hbm=float(cost.hbm[i]),
                pv_capex=float(cost.pv_capex_accel[i] + cost.pv_capex_cooling[i]),
                pv_salvage=float(cost.pv_salvage_accel[i] + cost.pv_salvage_cooling[i]),
                salvage_fraction=h.salvage_fraction(t, d.lifetime[c]),
                domestic=d.is_domestic(c, r), active_years=years, online_share=float(cost.online_share[i]))
            self.purchases.append(p)
            self._bought[p.region, p.year].append(p)
        for (_c, _k, r, t), idx in d.fleet.items():
            self._active[R[r], Y[t]].extend(self.purchases[i] for i in idx)

    # -- changing the model --------------------------------------------------------------------------------
    def add_variable(self, name: str, index: Any = None, *, kind: str = "continuous",
                     bounds: Any = (0.0, None), doc: str = "") -> Any:
        """A new variable component. ``kind``: continuous (>= 0 unless ``bounds`` say otherwise), integer
        (>= 0) or binary; ``index``: a list of index tuples, ``"any"`` (entries made when first used, for a
        variable that several rules share), or None for a single variable."""
        domain = {"continuous": pyo.Reals, "integer": pyo.NonNegativeIntegers, "binary": pyo.Binary}[kind]
        if index == "any":
            var = pyo.Var(pyo.Any, dense=False, domain=domain, bounds=bounds if kind != "binary" else None, doc=doc)
            self.model.add_component(name, var)
            return var
        args = () if index is None else (list(index),)
        var = pyo.Var(*args, domain=domain, bounds=bounds if kind != "binary" else None, doc=doc)
        self.model.add_component(name, var)
        return var

    def add_counts(self, name: str, index: list[tuple[Any, ...]], *, set_name: str, set_doc: str,
                   doc: str) -> Any:
        """Integer counts ``name`` over the index set ``set_name`` (2-tuples, in order), or None (and no
        component) when ``index`` is empty: e.g. retirements of installed units, rental starts."""
        if not index:
            return None
        m = self.model
        m.add_component(set_name, pyo.Set(initialize=index, dimen=2, ordered=True, doc=set_doc))
        var = pyo.Var(m.component(set_name), domain=pyo.NonNegativeIntegers, doc=doc)
        m.add_component(name, var)
        return var

    def add_expression(self, name: str, index: Any, rule: Any, doc: str = "") -> Any:
        """A named expression component (readable in LP files): ``rule(*index) -> expression``."""
        expr = pyo.Expression(list(index), rule=lambda m, *i: rule(*i), doc=doc)
        self.model.add_component(name, expr)
        return expr

    def component(self, name: str) -> Any:
        """An existing component by name (e.g. a variable that several rules share), or None."""
        return self.model.component(name)

    def add_cost(self, name: str, category: Category, expr: Any, *,
                 parts: dict[tuple[str | None, int], Any] | None = None, timing: str = "at") -> None:
        """Add a term to the objective: a present value in model money, signed (a subsidy is negative).

        ``parts`` (optional): the same term split by ``(region id or None, period year)``, present values that
        sum to ``expr``, so that the result's money tables show it by period and site; ``timing``: ``"at"``
        (paid in the period's first year) or ``"over"`` (spread over the period's years)."""
        if timing not in ("at", "over"):
            raise ValueError(f"timing must be 'at' or 'over', got {timing!r}")
        self.cost_terms.append(CostTerm(name, category, expr, parts=parts, timing=timing))

    def add_family(self, family: Family) -> Any:
        """Make the family's rows into a constraint named ``family.name``; return it.

        Written once for every family: the rows' scaling (``family.scaled``), their slacks when the model is
        elastic for the family's role, rows without variables (left out when they hold, built as infeasible
        when they do not), and the registration that shadow prices and the diagnosis read. A family added a
        second time (rules that share one) gets the new rows in the same constraint."""
        rows = family.rows(self)
        self._additions[family.name] += 1
        known = self.model.component(family.name)
        if known is None:
            known = pyo.Constraint(pyo.Any, doc=family.doc)
            self.model.add_component(family.name, known)
            self.families.append(family)
            self.row_scale[family.name] = _row_scale([r.rhs for r in rows.values()]) if family.scaled else 1.0
        elif family.name not in {f.name for f in self.families}:
            raise ValueError(f"a component named {family.name!r} exists and is not a constraint family")
        scale = self.row_scale[family.name]
        lower = family.sense == ">="

        def fails(row: Row) -> bool:  # a row without variables that does not hold
            return isinstance(row.lhs, int | float) and not (
                row.lhs >= row.rhs - 1e-9 if lower else row.lhs <= row.rhs + 1e-9)

        slack = self._slack(family, {i: r.rhs * scale for i, r in rows.items()
                                     if not isinstance(r.lhs, int | float) or fails(r)})
        for index, row in rows.items():
            lhs = row.lhs
            if isinstance(lhs, int | float):
                if fails(row):  # in an elastic model for its role, its slack may give; else no plan can be
                    known[index] = pyo.Constraint.Infeasible if slack is None else (
                        lhs * scale + slack[index] >= row.rhs * scale if lower
                        else lhs * scale - slack[index] <= row.rhs * scale)
                continue
            if scale != 1.0:
                lhs = scale * lhs
            if slack is not None:
                lhs = lhs + slack[index] if lower else lhs - slack[index]
            known[index] = lhs >= row.rhs * scale if lower else lhs <= row.rhs * scale
        return known

    def refresh(self, data: Data, names: list[str]) -> list[Any] | None:
        """Take ``data`` (the same sets as the model's: a fast re-solve) and remake the rows of the named
        families in place, each as :meth:`add_family` made it (scaling included). Returns the constraint data
        remade, or None when that cannot be done in place (a family with slacks or shared with a rule, rows
        that appear or vanish, a row left without variables): then the model must be rebuilt. Only families
        whose rows are a function of the context (the core families) may be refreshed."""
        if self.elastic is not None:
            return None
        self.data = data
        remade: list[Any] = []
        for name in names:
            family = self.family(name)
            if family is None:
                return None
            rows = self._remade(family)
            if rows is None:
                return None
            remade.extend(rows)
        return remade

    def refresh_bounds(self, data: Data, names: list[str]) -> list[tuple[Any, float]] | None:
        """Take ``data`` (the same sets as the model's) and set new right-hand sides on the rows of the named
        families in place, from their ``rhs`` (no left-hand side is made again). Returns, per row whose bound
        changed, (its constraint data, its bound before), or None, with nothing changed, when that cannot be
        done by bounds alone (a family without ``rhs``, with slacks or shared with a rule, rows that would
        appear or vanish, or a row scale that would change: then its rows must be remade)."""
        if self.elastic is not None:
            return None
        plans = []
        for name in names:
            family = self.family(name)
            known = self.model.component(name)
            if family is None or family.rhs is None or known is None or self._additions[name] != 1:
                return None
            self.data = data
            new = family.rhs(self)
            if set(new) != set(known.keys()):
                return None
            scale = _row_scale(list(new.values())) if family.scaled else 1.0
            if scale != self.row_scale[name]:
                return None
            plans.append((family, known, new, scale))
        changed: list[tuple[Any, float]] = []
        for family, known, new, scale in plans:
            lower = family.sense == ">="
            for index, rhs in new.items():
                con = known[index]
                before = float(con.lb if lower else con.ub)
                if before == rhs * scale:
                    continue
                con.set_value(con.body >= rhs * scale if lower else con.body <= rhs * scale)
                changed.append((con, before))
        return changed

    def _remade(self, family: Family) -> list[Any] | None:
        """Remake the rows of ``family`` (a family of this model, added once) in place, as :meth:`add_family`
        made them; None, with nothing changed, when its index differs or a row has no variables."""
        name = family.name
        known = self.model.component(name)
        if known is None or self._additions[name] != 1 or self.elastic is not None:
            return None
        rows = family.rows(self)
        if set(rows) != set(known.keys()) or any(isinstance(r.lhs, int | float) for r in rows.values()):
            return None
        scale = _row_scale([r.rhs for r in rows.values()]) if family.scaled else 1.0
        self.row_scale[name] = scale
        lower = family.sense == ">="
        remade = []
        for index, row in rows.items():
            lhs = scale * row.lhs if scale != 1.0 else row.lhs
            known[index] = lhs >= row.rhs * scale if lower else lhs <= row.rhs * scale
            remade.append(known[index])
        return remade

    # -- a rule's refresh (fast re-solves: :meth:`tokenplan.records.Rule.refresh`) ---------------------------
    def refresh_family(self, family: Family) -> bool:
        """Remake the rows of a family the model has (same name, same index, rows with variables) from
        ``family``, which replaces it; the rows are recompiled into the model HiGHS gets. False, with nothing
        changed, when that cannot be done in place (the family is unknown or shared between rules, its index
        differs, a row has no variables): the rule's refresh must then return False."""
        i = next((k for k, f in enumerate(self.families) if f.name == family.name), None)
        if i is None or self._patch is None:
            return False
        rows = self._remade(family)
        if rows is None:
            return False
        self.families[i] = family
        self._patch["rows"].extend(rows)
        return True

    def set_bounds(self, var: Any, lower: float | None, upper: float | None) -> None:
        """New bounds of a variable (an entry of a variable component) in a model being refreshed."""
        if self._patch is None:
            raise RuntimeError("set_bounds is for a rule's refresh of a built model")
        var.setlb(lower)
        var.setub(upper)
        self._patch["columns"].append(var)

    def begin_patch(self) -> None:
        """Start collecting the rows and columns that rules' refreshes change (:meth:`end_patch`)."""
        self._patch = {"rows": [], "columns": []}

    def end_patch(self) -> dict[str, list[Any]]:
        """The rows remade and the columns whose bounds changed since :meth:`begin_patch`."""
        patch, self._patch = self._patch or {"rows": [], "columns": []}, None
        return patch

    def _slack(self, family: Family, rhs: dict[Any, float]) -> Any:
        if family.elastic is None or family.elastic != self.elastic or not rhs:
            return None
        n = len(self.slacks.get(family.name, []))
        name = f"slack_{family.name}" + (f"_{n + 1}" if n else "")
        var = pyo.Var(list(rhs), domain=pyo.NonNegativeReals, doc=f"violation of {family.name} (scaled units)")
        self.model.add_component(name, var)
        weights = {i: 1.0 / max(abs(v), 1e-3) for i, v in rhs.items()}
        self.slacks.setdefault(family.name, []).append((var, weights))
        return var

    def term_values(self, matrix: Any = None, x: Any = None) -> dict[str, float]:
        """The solved value of each cost term (model money). Each term is compiled once to its coefficients
        (a fast re-solve keeps the terms), so a result costs a dot product per term, not a walk of its
        expression. With the compiled ``matrix`` and the values ``x`` loaded from it (``tokenplan.solver``'s
        ``loaded``), the values are read from ``x`` by column, not from the variables."""
        from pyomo.repn.standard_repn import generate_standard_repn

        if self._term_repn is None:
            compiled: list[tuple[str, list[Any], np.ndarray, float] | None] = []
            for term in self.cost_terms:
                repn = generate_standard_repn(term.expr, quadratic=False) if not isinstance(term.expr, int | float) \
                    else None
                if repn is None or repn.nonlinear_expr is not None:
                    compiled.append(None)
                    continue
                compiled.append((term.name, list(repn.linear_vars), np.array(repn.linear_coefs, dtype=float),
                                 float(pyo.value(repn.constant))))
            self._term_repn = compiled
        columns = self._term_columns(matrix) if matrix is not None and x is not None else None
        out: dict[str, float] = {}
        for k, (term, repn) in enumerate(zip(self.cost_terms, self._term_repn)):
            if repn is None:
                out[term.name] = self.value(term.expr)
                continue
            _, variables, coefs, constant = repn
            if columns is not None and columns[k] is not None:
                values = x[columns[k]]
            else:
                values = np.array([v.value if v.value is not None else 0.0 for v in variables], dtype=float)
            out[term.name] = float(coefs @ values) + constant
        return out

    def _term_columns(self, matrix: Any) -> list[np.ndarray | None]:
        """Per compiled cost term, the matrix columns of its variables (None: a variable is not a column)."""
        key = ("term_columns", id(self))
        cached = matrix.positions.get(key)
        if cached is None:
            col = {id(v): j for j, v in enumerate(matrix.columns)}
            cached = []
            for repn in self._term_repn or []:
                js = None if repn is None else [col.get(id(v)) for v in repn[1]]
                cached.append(None if js is None or None in js else np.array(js, dtype=np.intp))
            matrix.positions[key] = cached
        return cached

    def family(self, name: str) -> Family | None:
        return next((f for f in self.families if f.name == name), None)

    # -- helpers -----------------------------------------------------------------------------------------------
    @staticmethod
    def sum(terms: Any) -> Any:
        """A linear sum (Pyomo's quicksum)."""
        return pyo.quicksum(terms)

    @staticmethod
    def value(expr: Any) -> float:
        """The solved value of a variable or expression (0 for an empty one)."""
        v = pyo.value(expr, exception=False)
        return 0.0 if v is None else float(v)

    def is_elastic(self, role: Elastic) -> bool:
        """Is this model a diagnosis model in which the families of ``role`` may give?"""
        return self.elastic == role


def value_of(expr: Any) -> float:
    """The value of a variable or expression in a solved model (0 where it has none)."""
    v = pyo.value(expr, exception=False)
    return 0.0 if v is None else float(v)


def _row_scale(values: Any) -> float:
    """A power of ten that brings the largest finite right-hand side of a family into [100, 1000)."""
    arr = np.abs(np.asarray(values, dtype=float).ravel())
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if arr.size == 0:
        return 1.0
    return 10.0 ** -(math.floor(math.log10(arr.max())) - 2)


__all__ = ["Expressions", "ModelContext", "Purchase", "Row", "Variables"]
