"""Build the Pyomo model from :class:`~tokenplan.coefficients.Data` (design section 3).

One ``define_*`` function per concern. Costs are :class:`CostTerm` entries appended to ``model.cost_terms``
(core terms here, rule terms in ``Rule.apply``); :func:`define_objective` sums that list and nothing else
touches the objective. Symbols and units are documented in ``docs/formulation.md``.

Row families are scaled by a power of ten (``model.row_scale``) chosen from their right-hand sides, so
that HiGHS sees bounds within 1e-4..1e6 whatever the problem's magnitudes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyomo.environ as pyo

from tokenplan.coefficients import MONEY, Data
from tokenplan.errors import blame

Category = Literal["capex", "opex", "subsidy", "salvage"]
#: families that can get slack variables in an elastic (diagnosis) model: what is asked, and the caps
DEMAND_FAMILIES = ("demand",)
CAP_FAMILIES = ("power_cap", "hbm", "chip_supply", "budget")
#: the problem key behind each family's right-hand side or big-M, formatted with the row's index
INPUT_KEYS = {"demand": "workloads.{0}.tokens_per_day", "power": "regions.{0}.existing_mw",
              "power_cap": "regions.{0}.power_mw", "cooling": "regions.{1}.power_mw", "hbm": "hbm.supply.{0}",
              "chip_supply": "chips.supply_accelerators.{0}", "budget": "budget.capex_per_period"}


def input_key(row: Any) -> str | None:
    """The problem key whose value made a row's numbers (None if the row is not a core family's)."""
    if row is None:
        return None
    template = INPUT_KEYS.get(row.parent_component().local_name)
    index = row.index()
    index = index if isinstance(index, tuple) else (index,)
    return None if template is None else template.format(*index)


@dataclass
class CostTerm:
    """One addend of the objective: a present value in MONEY, signed (subsidies and salvage negative)."""

    name: str
    category: Category
    expr: Any


def build(data: Data, *, elastic: tuple[str, ...] = ()) -> pyo.ConcreteModel:
    """Build the model. With ``elastic`` families (see ``DEMAND_FAMILIES``, ``CAP_FAMILIES``), their rows
    get slacks and the objective minimises the total relative violation instead of cost: the diagnosis
    model (each slack is weighted by one over its row's right-hand side)."""
    m = pyo.ConcreteModel(name=data.problem.problem.name)
    m.tp_data = data
    m.tp_elastic = tuple(elastic)
    m.cost_terms = []
    m.row_scale = {}
    m.slack_families = {}
    m.slack_weights = {}
    define_sets(m, data)
    define_variables(m, data)
    define_fleet(m, data)
    define_demand(m, data)
    define_assignment(m, data)
    define_power(m, data)
    define_hbm(m, data)
    define_chip_supply(m, data)
    define_cooling(m, data)
    define_budget(m, data)
    define_costs(m, data)
    for rule in data.selection.rules:
        with blame(data.selection.rule_plugin(rule), f"rule {rule.id!r} apply()"):
            rule.apply(m, data)
    define_objective(m)
    return m


def row_scale(values: Any) -> float:
    """A power of ten that brings the largest finite right-hand side of a family into [100, 1000)."""
    arr = np.abs(np.asarray(values, dtype=float).ravel())
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if arr.size == 0:
        return 1.0
    return 10.0 ** -(math.floor(math.log10(arr.max())) - 2)


# -- sets and variables --------------------------------------------------------------------------------
def keys(data: Data) -> dict[str, list[Any]]:
    """Readable index tuples (ids and years) aligned with the integer tuples in ``data``."""
    C, K, R, Y, W = data.chip_ids, data.cooling_ids, data.region_ids, data.periods, data.workload_ids
    return {
        "buy": [(C[c], K[k], R[r], Y[t]) for c, k, r, t in data.buy],
        "fleet": [(C[c], K[k], R[r], Y[t]) for c, k, r, t in data.fleet],
        "serve": [(C[c], K[k], R[r], W[w], Y[t]) for c, k, r, w, t in data.serve],
        "build": [(R[r], Y[t]) for r, t in data.build],
        "cool": [(K[k], R[r]) for k, r in data.cool_sites],
    }


def define_sets(m: pyo.ConcreteModel, data: Data) -> None:
    m.C = pyo.Set(initialize=data.chip_ids, ordered=True, doc="chips")
    m.K = pyo.Set(initialize=data.cooling_ids, ordered=True, doc="cooling options")
    m.R = pyo.Set(initialize=data.region_ids, ordered=True, doc="regions")
    m.T = pyo.Set(initialize=data.periods, ordered=True, doc="periods (first year)")
    m.W = pyo.Set(initialize=data.workload_ids, ordered=True, doc="workloads")
    m.P = pyo.Set(initialize=data.pools, ordered=True, doc="HBM pools")
    k = keys(data)
    m.tp_keys = k
    m.BUY = pyo.Set(initialize=k["buy"], dimen=4, ordered=True, doc="allowed (chip, cooling, region, period)")
    m.FLEET = pyo.Set(initialize=k["fleet"], dimen=4, ordered=True, doc="tuples with an active purchase")
    m.SERVE = pyo.Set(initialize=k["serve"], dimen=5, ordered=True, doc="fleet tuples x workloads")
    m.BUILD = pyo.Set(initialize=k["build"], dimen=2, ordered=True, doc="(region, period) facility builds")
    m.COOL = pyo.Set(initialize=k["cool"], dimen=2, ordered=True, doc="(cooling, region) sites")


def define_variables(m: pyo.ConcreteModel, data: Data) -> None:
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers, doc="purchasable units bought in the period")
    m.serve = pyo.Var(m.SERVE, domain=pyo.NonNegativeReals, doc="accelerators assigned to a workload")
    m.build = pyo.Var(m.BUILD, domain=pyo.NonNegativeIntegers, doc="facility blocks built in the period")
    m.cool_on = pyo.Var(m.COOL, domain=pyo.Binary, doc="the site has cooling infrastructure of this kind")


def define_fleet(m: pyo.ConcreteModel, data: Data) -> None:
    """fleet[c,k,r,t] = accelerators of purchases still active in t (units x unit_size)."""
    buy_keys = m.tp_keys["buy"]
    terms = {key: [(float(data.unit_size[data.buy[i][0]]), buy_keys[i]) for i in data.fleet[idx]]
             for key, idx in zip(m.tp_keys["fleet"], data.fleet)}
    m.fleet = pyo.Expression(m.FLEET, rule=lambda m, *key: pyo.quicksum(
        (u * m.buy[b] for u, b in terms[key])))


def _slack(m: pyo.ConcreteModel, family: str, rhs: dict[Any, float], scale: float) -> Any:
    """Slack variables of an elastic family (only in an elastic model); None otherwise. ``rhs``: the
    scaled right-hand side of each row, which weighs its slack (relative violations)."""
    if family not in m.tp_elastic or not rhs:
        return None
    index = list(rhs)
    var = pyo.Var(index, domain=pyo.NonNegativeReals, doc=f"violation of {family} (scaled units)")
    m.add_component(f"slack_{family}", var)
    m.slack_families[family] = (var, scale)
    m.slack_weights[family] = {i: 1.0 / max(abs(rhs.get(i, 0.0)), 1e-3) for i in index}
    return var


# -- constraint families ---------------------------------------------------------------------------------
def define_demand(m: pyo.ConcreteModel, data: Data) -> None:
    """1. demand[w,t]: sum tps[c,w] * serve[c,k,r,w,t] >= tokens_per_day / 86400 * peak_to_average."""
    scale = row_scale(data.demand_tps)
    m.row_scale["demand"] = scale
    by_wt: dict[tuple[str, int], list[Any]] = {}
    for (c, _, _, w, _t), key in zip(data.serve, m.tp_keys["serve"]):
        by_wt.setdefault((key[3], key[4]), []).append((float(data.tps[c, w]) * scale, key))
    rhs = {(w, y): float(data.demand_tps[wi, ti]) * scale for wi, w in enumerate(data.workload_ids)
           for ti, y in enumerate(data.periods) if data.demand_tps[wi, ti] > 0}
    index = list(rhs)
    slack = _slack(m, "demand", rhs, scale)

    def rule(m: pyo.ConcreteModel, w: str, y: int) -> Any:
        lhs = pyo.quicksum((a * m.serve[k] for a, k in by_wt.get((w, y), [])))
        if slack is not None:
            lhs = lhs + slack[w, y]
        if isinstance(lhs, int | float):
            return pyo.Constraint.Infeasible
        return lhs >= rhs[w, y]

    m.demand = pyo.Constraint(index, rule=rule, doc="token demand (scaled tokens/s)")


def define_assignment(m: pyo.ConcreteModel, data: Data) -> None:
    """2. assign[c,k,r,t]: sum over w of serve <= fleet."""
    by_fleet: dict[Any, list[Any]] = {}
    for key in m.tp_keys["serve"]:
        by_fleet.setdefault((key[0], key[1], key[2], key[4]), []).append(key)
    index = [key for key in m.tp_keys["fleet"] if key in by_fleet]
    m.assign = pyo.Constraint(index, rule=lambda m, *key: pyo.quicksum(
        m.serve[s] for s in by_fleet[key]) <= m.fleet[key],
        doc="accelerators serving workloads <= active fleet")


def _active_terms(m: pyo.ConcreteModel, data: Data, per_unit: np.ndarray,
                  group: Any) -> dict[Any, list[tuple[float, Any]]]:
    """(per-unit coefficient, buy key) of the purchases active in each fleet tuple, grouped by
    ``group(fleet key)`` (e.g. (region, year) for the power rows)."""
    buy_keys = m.tp_keys["buy"]
    out: dict[Any, list[tuple[float, Any]]] = {}
    for fleet_key, idx in zip(m.tp_keys["fleet"], data.fleet.values()):
        terms = out.setdefault(group(fleet_key), [])
        terms.extend((float(per_unit[i]), buy_keys[i]) for i in idx)
    return out


def _facility_capacity(m: pyo.ConcreteModel, data: Data, r: int, t: int) -> Any:
    """MW of facility blocks in service at region r in period t (excluding existing_mw)."""
    rid = data.region_ids[r]
    return pyo.quicksum(float(data.block_mw[r]) * m.build[rid, data.periods[s]]
                         for s in data.blocks_active(t))


def define_power(m: pyo.ConcreteModel, data: Data) -> None:
    """3. power[r,t]: facility MW of the fleet <= existing_mw + blocks built; power_cap[r,t]: <= grid cap."""
    by_rt = _active_terms(m, data, data.costs.facility_mw, lambda key: (key[2], key[3]))
    regions = sorted({r for r, _ in data.build})
    index = [(data.region_ids[r], y) for r in regions for y in data.periods]

    def power(m: pyo.ConcreteModel, rid: str, y: int) -> Any:
        r, t = data.region_index(rid), data.period_index(y)
        load = pyo.quicksum((a * m.buy[b] for a, b in by_rt.get((rid, y), [])))
        if isinstance(load, int | float) and load == 0:
            return pyo.Constraint.Skip
        return load - _facility_capacity(m, data, r, t) <= float(data.existing_mw[r])

    m.power = pyo.Constraint(index, rule=power, doc="facility MW <= existing + built (MW)")
    # blocks are whole: at most floor(headroom / block_mw) of them fit under the grid cap (a tighter,
    # equivalent row that keeps the relaxation honest)
    headroom = {(data.region_ids[r], y): _whole_blocks(data.power_mw[r, t] - data.existing_mw[r],
                                                       data.block_mw[r])
                for r in regions for t, y in enumerate(data.periods)}
    m.row_scale["power_cap"] = 1.0
    slack = _slack(m, "power_cap", {i: headroom[i] for i in index if math.isfinite(headroom[i])}, 1.0)

    def cap(m: pyo.ConcreteModel, rid: str, y: int) -> Any:
        if not math.isfinite(headroom[rid, y]):
            return pyo.Constraint.Skip
        lhs = _facility_capacity(m, data, data.region_index(rid), data.period_index(y))
        if slack is not None:
            lhs = lhs - slack[rid, y]
        return lhs <= headroom[rid, y]

    m.power_cap = pyo.Constraint(index, rule=cap, doc="existing + built MW <= grid cap power_mw (MW)")


def _whole_blocks(headroom_mw: float, block_mw: float) -> float:
    if not math.isfinite(headroom_mw):
        return math.inf
    return math.floor(headroom_mw / block_mw + 1e-9) * float(block_mw)


def define_hbm(m: pyo.ConcreteModel, data: Data) -> None:
    """4. hbm[p,t]: HBM of chips of pool p bought in t <= supply (stacks or GB)."""
    scale = row_scale(data.hbm_supply)
    m.row_scale["hbm"] = scale
    by_pt: dict[tuple[str, int], list[Any]] = {}
    for i, (c, _, _, t) in enumerate(data.buy):
        pool = data.chips[c].hbm_pool
        if pool:
            by_pt.setdefault((pool, data.periods[t]), []).append((float(data.costs.hbm[i]) * scale,
                                                                  m.tp_keys["buy"][i]))
    index = [(p, y) for pi, p in enumerate(data.pools) for ti, y in enumerate(data.periods)
             if math.isfinite(data.hbm_supply[pi, ti]) and (p, y) in by_pt]
    slack = _slack(m, "hbm", {(p, y): float(data.hbm_supply[data.pools.index(p), data.period_index(y)]) * scale
                              for p, y in index}, scale)

    def rule(m: pyo.ConcreteModel, p: str, y: int) -> Any:
        lhs = pyo.quicksum((a * m.buy[b] for a, b in by_pt[(p, y)]))
        if slack is not None:
            lhs = lhs - slack[p, y]
        return lhs <= float(data.hbm_supply[data.pools.index(p), data.period_index(y)]) * scale

    m.hbm = pyo.Constraint(index, rule=rule, doc="HBM bought <= supply (scaled stacks or GB)")


def define_chip_supply(m: pyo.ConcreteModel, data: Data) -> None:
    """5. chip_supply[c,t]: accelerators of chip c bought in t <= supply cap."""
    scale = row_scale(data.chip_supply)
    m.row_scale["chip_supply"] = scale
    by_ct: dict[tuple[str, int], list[Any]] = {}
    for i, (c, _, _, t) in enumerate(data.buy):
        if math.isfinite(data.chip_supply[c, t]):
            by_ct.setdefault((data.chip_ids[c], data.periods[t]), []).append(
                (float(data.unit_size[c]) * scale, m.tp_keys["buy"][i]))
    index = sorted(by_ct, key=lambda ct: (data.chip_index(ct[0]), ct[1]))
    slack = _slack(m, "chip_supply", {(c, y): float(data.chip_supply[data.chip_index(c), data.period_index(y)])
                                      * scale for c, y in index}, scale)

    def rule(m: pyo.ConcreteModel, cid: str, y: int) -> Any:
        lhs = pyo.quicksum((a * m.buy[b] for a, b in by_ct[(cid, y)]))
        if slack is not None:
            lhs = lhs - slack[cid, y]
        return lhs <= float(data.chip_supply[data.chip_index(cid), data.period_index(y)]) * scale

    m.chip_supply = pyo.Constraint(index, rule=rule, doc="accelerators bought <= supply cap (scaled)")


def define_cooling(m: pyo.ConcreteModel, data: Data) -> None:
    """6. cooling[k,r,t]: IT MW cooled by k at r <= M[k,r] * cool_on[k,r], M from the grid cap."""
    by_krt = _active_terms(m, data, data.costs.it_mw, lambda key: key[1:])
    index = [(k, r, y) for (k, r) in m.tp_keys["cool"] for y in data.periods if (k, r, y) in by_krt]
    m.cooling_big_m = {(data.cooling_ids[k], data.region_ids[r]): data.cooling_big_m(k, r)
                       for k, r in data.cool_sites}
    if "power_cap" in m.tp_elastic:  # the grid cap may give: bound by what serving all demand can take
        loose = data.it_mw_upper_bound()
        m.cooling_big_m = {key: max(value, loose) for key, value in m.cooling_big_m.items()}

    def rule(m: pyo.ConcreteModel, k: str, r: str, y: int) -> Any:
        lhs = pyo.quicksum((a * m.buy[b] for a, b in by_krt[(k, r, y)]))
        return lhs <= m.cooling_big_m[k, r] * m.cool_on[k, r]

    m.cooling = pyo.Constraint(index, rule=rule, doc="IT MW with cooling k <= M * cool_on (MW)")


def capex_expr(m: pyo.ConcreteModel, data: Data, t: int) -> Any:
    """Nominal capex of period t before subsidies (MONEY): accelerators, cooling, facility, fixed costs."""
    cost = data.costs
    y = data.periods[t]
    terms = [(float(cost.capex_accel[i] + cost.capex_cooling[i]), m.tp_keys["buy"][i])
             for i, b in enumerate(data.buy) if b[3] == t]
    expr = pyo.quicksum((a * m.buy[b] for a, b in terms))
    expr += pyo.quicksum((data.block_capex(r) * m.build[data.region_ids[r], y]
                          for r, tt in data.build if tt == t))
    if t == 0:
        expr += pyo.quicksum((float(data.site_fixed_cost[k]) / MONEY * m.cool_on[data.cooling_ids[k],
                                                                                  data.region_ids[r]]
                              for k, r in data.cool_sites))
    return expr


def define_budget(m: pyo.ConcreteModel, data: Data) -> None:
    """7. budget[t]: nominal capex of period t (before subsidies) <= budget[t]."""
    scale = row_scale(data.budget / MONEY)
    m.row_scale["budget"] = scale
    index = [y for t, y in enumerate(data.periods) if math.isfinite(data.budget[t])]
    slack = _slack(m, "budget", {y: float(data.budget[data.period_index(y)]) / MONEY * scale for y in index},
                   scale)

    def rule(m: pyo.ConcreteModel, y: int) -> Any:
        t = data.period_index(y)
        lhs = capex_expr(m, data, t) * scale
        if slack is not None:
            lhs = lhs - slack[y]
        if isinstance(lhs, int | float):
            return pyo.Constraint.Skip
        return lhs <= float(data.budget[t]) / MONEY * scale

    m.budget = pyo.Constraint(index, rule=rule, doc="capex of the period <= budget (scaled MONEY)")


# -- costs and objective -----------------------------------------------------------------------------------
def _linear(m: pyo.ConcreteModel, coefs: np.ndarray, var: Any, keys_: list[Any]) -> Any:
    return pyo.quicksum((float(a) * var[k] for a, k in zip(coefs, keys_) if a != 0.0))


def define_costs(m: pyo.ConcreteModel, data: Data) -> None:
    """Core cost terms (present values in MONEY) appended to ``m.cost_terms``."""
    cost, h, bk = data.costs, data.horizon, m.tp_keys["buy"]
    add = m.cost_terms.append
    add(CostTerm("accelerator_capex", "capex", _linear(m, cost.pv_capex_accel, m.buy, bk)))
    add(CostTerm("cooling_capex", "capex", _linear(m, cost.pv_capex_cooling, m.buy, bk)))
    fac = np.array([h.df(h.years[t]) * data.block_capex(r) for r, t in data.build])
    add(CostTerm("facility_capex", "capex", _linear(m, fac, m.build, m.tp_keys["build"])))
    fixed = np.array([data.site_fixed_cost[k] / MONEY for k, _ in data.cool_sites])
    add(CostTerm("cooling_fixed", "capex", _linear(m, fixed, m.cool_on, m.tp_keys["cool"])))
    add(CostTerm("energy", "opex", _linear(m, cost.pv_energy, m.buy, bk)))
    add(CostTerm("maintenance", "opex", _linear(m, cost.pv_maintenance, m.buy, bk)))
    add(CostTerm("cooling_opex", "opex", _linear(m, cost.pv_cooling_opex, m.buy, bk)))
    add(CostTerm("accelerator_salvage", "salvage", -_linear(m, cost.pv_salvage_accel, m.buy, bk)))
    add(CostTerm("cooling_salvage", "salvage", -_linear(m, cost.pv_salvage_cooling, m.buy, bk)))
    fac_salvage = np.array([h.salvage_df() * h.salvage_fraction(t, data.facility_lifetime) * data.block_capex(r)
                            for r, t in data.build])
    add(CostTerm("facility_salvage", "salvage", -_linear(m, fac_salvage, m.build, m.tp_keys["build"])))


def define_objective(m: pyo.ConcreteModel) -> None:
    """Minimise the net present cost: the sum of ``m.cost_terms`` (or, elastic, the relative violation)."""
    for i, term in enumerate(m.cost_terms):
        m.add_component(f"cost_{i}_{term.name}", pyo.Expression(expr=term.expr))
    if m.tp_elastic:
        m.npc = pyo.Objective(expr=pyo.quicksum(
            (m.slack_weights[f][i] * var[i] for f, (var, _) in m.slack_families.items() for i in var)),
            sense=pyo.minimize)
    else:
        m.npc = pyo.Objective(expr=pyo.quicksum(t.expr for t in m.cost_terms),
                              sense=pyo.minimize)
