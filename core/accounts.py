"""The numbers a planner budgets with: money per plan row and per period, site power and HBM use against
their caps, and what each rule did (issue 12, item 1).

All from the solved model and the coefficients the objective was built from, so that the tables add up to
the objective: the present values of ``costs_by_period`` (every period's cash out, the salvage at the horizon
end, and any rule term not split by period) sum to the net present cost. Money is in the problem currency;
"nominal" is as paid in that year (before discounting), "pv" at the first period's year.

- ``plan`` gains, per row (period, region, chip, cooling): ``capex_accelerators`` (after rule price changes
  such as licence fees), ``licence_fees`` (the part of it a rule added), ``capex_cooling``, ``subsidy`` (the
  capex subsidies paid at the site in the period, shared among its rows in proportion to their capex) and
  ``opex_per_year`` (energy, maintenance and cooling opex of the accelerators in service, per year);
- ``costs_by_period``: per period, capex committed (accelerators, cooling, facility blocks, cooling fixed
  costs), licence fees, opex, subsidies, cash out nominal and present value; a ``salvage`` row at the end;
- ``sites``: per site and period, IT and facility MW against the grid cap and the built capacity, blocks built;
- ``hbm``: per pool and period, HBM bought against the supply;
- ``rules``: per rule, what it did: bans (with the reason), licence fees, subsidies taken or refused and why
  (the rules' ``actions`` in their report, plus every ``forbid`` with its reason).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from tokenplan.coefficients import HOURS_PER_YEAR, MONEY, Data
from tokenplan.model.context import value_of as _value
from tokenplan.model.grid import ordered as grid_ordered
from tokenplan.model.grid import site_mw as grid_site_mw
from tokenplan.model.installed import installed_kept
from tokenplan.model.rentals import rented_rows

PLAN_MONEY = ["capex_accelerators", "licence_fees", "capex_cooling", "subsidy", "opex_per_year"]
PERIOD_COLUMNS = ["period", "capex_accelerators", "licence_fees", "capex_cooling", "capex_facility",
                  "capex_grid", "capex_cooling_fixed", "capex", "opex", "subsidies", "retirement_proceeds", "cash_out",
                  "cash_out_pv"]
SITE_COLUMNS = ["period", "region", "it_mw", "facility_mw", "grid_cap_mw", "grid_raised_mw", "grid_ordered_mw",
                "built_mw", "blocks_built", "facility_share_of_cap", "facility_share_of_built"]
HBM_COLUMNS = ["pool", "period", "used", "supply", "unit", "share_of_supply"]
RULE_COLUMNS = ["rule", "action", "chip", "region", "period", "amount", "note"]




def tables(model: Any, data: Data, plan: pd.DataFrame, reports: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The money and use tables of a solved model (``plan`` is :func:`tokenplan.result.plan_table`'s, to
    which the money columns are added in place); ``reports``: the rules' report sections."""
    ctx = model.tp_ctx
    units = np.array([round(_value(p.var)) for p in ctx.purchases], dtype=float)
    money = _Money(data, units, model)
    subsidy_parts = _parts(ctx, "subsidy")
    _plan_money(ctx, data, plan, money, subsidy_parts)
    return {"plan": plan, "costs_by_period": costs_by_period(model, data, money, subsidy_parts),
            "sites": sites(model, data, plan), "hbm": hbm(ctx, data, units), "rules": rule_actions(data, reports)}


def _parts(ctx: Any, category: str) -> dict[tuple[str | None, int, str], float]:
    """The solved parts of the cost terms of ``category`` by (region, year, timing): present values."""
    out: dict[tuple[str | None, int, str], float] = {}
    for term in ctx.cost_terms:
        if term.category != category or term.parts is None:
            continue
        for (region, year), expr in term.parts.items():
            key = (region, year, term.timing)
            out[key] = out.get(key, 0.0) + _value(expr) * MONEY
    return out


def _nominal(data: Data, year: int, pv: float, timing: str) -> float:
    """A present value back to what is paid: in the period's first year (``at``), or over its years."""
    h = data.horizon
    t = h.years.index(year)
    if timing == "at":
        return pv / h.df(year)
    return pv / h.period_df(t) * h.durations[t]


def _opex_per_year(data: Data, i: int, r: int, t: int) -> float:
    """Nominal opex per year of one unit of purchase ``i`` in service at region r in period t: energy at the
    period's price, maintenance and cooling opex (the per-year figures behind the present values)."""
    cost, k = data.costs, data.buy[i][1]
    energy = cost.facility_mw[i] * HOURS_PER_YEAR * 1000.0 * data.load_factor * float(data.power_price[r, t])
    maintenance = data.maintenance_rate * cost.capex_accel[i] * MONEY
    cooling = float(data.opex_per_kw_it_year[k]) * cost.it_mw[i] * 1000.0
    return float(energy + maintenance + cooling)


class _Money:
    """What the units bought cost, computed once for the plan's rows and the periods: per purchase, the
    nominal capex of its accelerators (``accel``), the part of it a rule added (``licence``) and of its
    cooling (``cooling``); per fleet entry (chip, cooling, region, period), the nominal opex per year of the
    accelerators in service (``opex``)."""

    def __init__(self, data: Data, units: np.ndarray, model: Any = None) -> None:
        cost = data.costs
        c, _k, r, t = np.array(data.buy, dtype=int).reshape(len(data.buy), 4).T
        mult = data.price_multiplier[c, r, t]
        self.accel = units * cost.capex_accel * MONEY
        self.licence = np.where(mult > 1.0, self.accel * (1.0 - 1.0 / np.maximum(mult, 1.0)), 0.0)
        self.cooling = units * cost.capex_cooling * MONEY
        self.opex = {key: sum(units[i] * _opex_per_year(data, i, key[2], key[3]) for i in idx if units[i])
                     for key, idx in data.fleet.items()}
        self.retired: dict[int, float] = {}  # period year -> nominal proceeds of the installed units retired then
        #: plan key (year, region, chip, "rented:ID") -> nominal rental price per year of the rented accelerators
        self.rental: dict[tuple[int, str, str, str], float] = {}
        _installed_money(self, data, model)


def _installed_money(money: _Money, data: Data, model: Any) -> None:
    """The installed fleet (``[[fleet.installed]]``): the opex per year of the kept accelerators in their
    plan rows, and the proceeds of the retired ones (their book value then) in their period."""
    for key, n, o in rented_rows(model, data):
        money.rental[key] = money.rental.get(key, 0.0) + n * o.price_year * MONEY
    kept = installed_kept(model, data)
    for e in data.installed:
        for j, t in enumerate(e.periods):
            year = data.periods[t]
            n, gone = kept[e.id, year]
            key = (e.c, e.k, e.r, t)
            money.opex[key] = money.opex.get(key, 0.0) + n * float(e.opex_per_year[j])
            if gone:
                pv = gone * float(e.pv_retire[j]) * MONEY
                money.retired[year] = money.retired.get(year, 0.0) + pv / data.horizon.df(year)


def _plan_money(ctx: Any, data: Data, plan: pd.DataFrame, money_of: _Money,
                subsidies: dict[tuple[str | None, int, str], float]) -> None:
    for column in PLAN_MONEY:
        plan[column] = 0.0
    if plan.empty:
        return
    row_of = {(r.period, r.region, r.chip, r.cooling): i for i, r in enumerate(plan.itertuples())}
    money = np.zeros((len(plan), len(PLAN_MONEY)))
    capex_of_site: dict[tuple[str, int], float] = {}
    for i, p in enumerate(ctx.purchases):
        if not money_of.accel[i] and not money_of.cooling[i]:
            continue
        row = row_of[(p.year, p.region, p.chip, p.cooling)]
        money[row, 0] += money_of.accel[i]
        money[row, 1] += money_of.licence[i]
        money[row, 2] += money_of.cooling[i]
        capex_of_site[p.region, p.year] = capex_of_site.get((p.region, p.year), 0.0) + \
            money_of.accel[i] + money_of.cooling[i]
    for (c, k, r, t), opex in money_of.opex.items():
        key = (data.periods[t], data.region_ids[r], data.chip_ids[c], data.cooling_ids[k])
        if key in row_of:
            money[row_of[key], 4] += opex
    for key, per_year in money_of.rental.items():
        money[row_of[key], 4] += per_year
    # capex subsidies of a site and period (nominal), shared among its rows in proportion to their capex
    for (region, year, timing), pv in subsidies.items():
        if timing != "at" or region is None:
            continue
        paid = -_nominal(data, year, pv, timing)  # the parts are negative (they lower the cost)
        total = capex_of_site.get((region, year), 0.0)
        if abs(paid) < 1e-9 or total <= 0:
            continue
        for key, row in row_of.items():
            if key[0] == year and key[1] == region:
                money[row, 3] += paid * (money[row, 0] + money[row, 2]) / total
    for j, column in enumerate(PLAN_MONEY):
        plan[column] = money[:, j]


def costs_by_period(model: Any, data: Data, money: _Money,
                    subsidies: dict[tuple[str | None, int, str], float]) -> pd.DataFrame:
    """Per period: capex committed, opex, subsidies and cash out (nominal and present value); then a
    ``salvage`` row at the horizon end and, if a rule's term is not split by period, a row for it."""
    ctx, h = model.tp_ctx, data.horizon
    rows = {y: dict.fromkeys(PERIOD_COLUMNS[1:], 0.0) for y in h.years}
    pv_subsidy = dict.fromkeys(h.years, 0.0)
    pv_opex = dict.fromkeys(h.years, 0.0)
    for i, (_c, _k, _r, t) in enumerate(data.buy):
        y = h.years[t]
        rows[y]["capex_accelerators"] += money.accel[i]
        rows[y]["licence_fees"] += money.licence[i]
        rows[y]["capex_cooling"] += money.cooling[i]
    for (_c, _k, _r, t), per_year in money.opex.items():
        rows[h.years[t]]["opex"] += per_year * h.durations[t]
        pv_opex[h.years[t]] += per_year * h.period_df(t)
    for r, t in data.build:
        rows[h.years[t]]["capex_facility"] += _value(model.blocks[data.region_ids[r], h.years[t]]) * \
            data.block_capex(r) * MONEY
    for (rid, y), n in grid_ordered(model, data).items():
        rows[y]["capex_grid"] += n * data.grid_capex(data.region_index(rid)) * MONEY
    for k, r in data.cool_sites:  # the fixed costs of a site's cooling, counted in the first period
        on = _value(model.cool_on[data.cooling_ids[k], data.region_ids[r]])
        rows[h.years[0]]["capex_cooling_fixed"] += round(on) * float(data.site_fixed_cost[k])
    for (_region, year, timing), pv in subsidies.items():
        rows[year]["subsidies"] += -_nominal(data, year, pv, timing)
        pv_subsidy[year] += -pv
    # a rule's term that is not a subsidy split by period (a carbon price, a subsidy without parts): one row
    for y, proceeds in money.retired.items():
        rows[y]["retirement_proceeds"] += proceeds
    for (y, _r, _c, _k), per_year in money.rental.items():  # rentals: opex of their periods
        t = h.years.index(y)
        rows[y]["opex"] += per_year * h.durations[t]
        pv_opex[y] += per_year * h.period_df(t)
    others = sum(_value(t.expr) * MONEY for t in ctx.cost_terms if t.name not in CORE_TERMS
                 and t.category != "salvage" and not (t.category == "subsidy" and t.parts is not None))
    out = []
    for y in h.years:
        row = rows[y]
        row["capex"] = (row["capex_accelerators"] + row["capex_cooling"] + row["capex_facility"]
                        + row["capex_grid"] + row["capex_cooling_fixed"])
        row["cash_out"] = row["capex"] + row["opex"] - row["subsidies"] - row["retirement_proceeds"]
        capex_pv = (row["capex"] - row["capex_cooling_fixed"]) * h.df(y) + row["capex_cooling_fixed"]
        row["cash_out_pv"] = capex_pv + pv_opex[y] - pv_subsidy[y] - row["retirement_proceeds"] * h.df(y)
        out.append({"period": y, **row})
    salvage_pv = sum(_value(t.expr) * MONEY for t in ctx.cost_terms if t.category == "salvage"
                     and t.name != "installed_retirement")  # retirements: in their period's row
    out.append({"period": "salvage", **dict.fromkeys(PERIOD_COLUMNS[1:-2], 0.0),
                "cash_out": salvage_pv / h.salvage_df() if h.salvage_df() else 0.0, "cash_out_pv": salvage_pv})
    commitment = sum(_value(t.expr) * MONEY for t in ctx.cost_terms if t.name == "rental_commitment")
    if abs(commitment) > 1e-6:  # rental terms that run past the horizon end, paid for in full
        out.append({"period": "rental terms after the horizon", **dict.fromkeys(PERIOD_COLUMNS[1:-2], 0.0),
                    "cash_out": math.nan, "cash_out_pv": commitment})
    if abs(others) > 1e-6:
        out.append({"period": "other rule terms", **dict.fromkeys(PERIOD_COLUMNS[1:-2], 0.0),
                    "cash_out": math.nan, "cash_out_pv": others})
    return pd.DataFrame(out, columns=PERIOD_COLUMNS)


#: the core's own capex and opex terms (core/model/costs.py), which the period table computes itself
CORE_TERMS = ("accelerator_capex", "cooling_capex", "facility_capex", "grid_capex", "cooling_fixed", "energy",
              "maintenance",
              "installed_opex", "rental", "rental_commitment",
              "cooling_opex")


def sites(model: Any, data: Data, plan: pd.DataFrame) -> pd.DataFrame:
    """Per site and period: IT and facility MW of the fleet in service against the grid cap (``power_mw`` plus
    the grid increases energised by then, ``grid_raised_mw``) and the built capacity (existing MW plus the
    facility blocks in service), the blocks built and the grid MW ordered in the period."""
    rows = []
    grid_mw = grid_site_mw(model, data)
    load = plan.groupby(["period", "region"])[["it_mw", "facility_mw"]].sum() if len(plan) else None
    for r, t in data.build:
        rid, year = data.region_ids[r], data.periods[t]
        built = float(data.existing_mw[r]) + sum(float(data.block_mw[r]) * _value(model.blocks[rid, data.periods[s]])
                                                 for s in data.blocks_active(t, r))
        it, fac = (load.loc[(year, rid)].tolist() if load is not None and (year, rid) in load.index else [0.0, 0.0])
        ordered_mw, raised = grid_mw.get((rid, year), (0.0, 0.0))
        cap = float(data.power_mw[r, t]) + raised
        rows.append({"period": year, "region": rid, "it_mw": float(it), "facility_mw": float(fac),
                     "grid_cap_mw": cap, "grid_raised_mw": raised, "grid_ordered_mw": ordered_mw,
                     "built_mw": built,
                     "blocks_built": round(_value(model.blocks[rid, year])),
                     "facility_share_of_cap": fac / cap if cap > 0 else math.nan,
                     "facility_share_of_built": fac / built if built > 0 else math.nan})
    table = pd.DataFrame(rows, columns=SITE_COLUMNS)
    return table.sort_values(["period", "region"]).reset_index(drop=True) if len(table) else table


def hbm(ctx: Any, data: Data, units: np.ndarray) -> pd.DataFrame:
    """Per HBM pool and period: HBM of the chips bought against the pool's supply (``None``: no cap)."""
    unit = "stacks" if data.problem.hbm.unit == "stacks" else "GB"
    used = {(pool, y): 0.0 for pool in data.pools for y in data.periods}
    for i, p in enumerate(ctx.purchases):
        pool = data.chips[data.buy[i][0]].hbm_pool
        if units[i] and pool in data.pools:
            used[pool, p.year] += units[i] * p.hbm
    rows = []
    for pi, pool in enumerate(data.pools):
        for t, y in enumerate(data.periods):
            supply = float(data.hbm_supply[pi, t])
            finite = math.isfinite(supply)
            rows.append({"pool": pool, "period": y, "used": used[pool, y], "supply": supply if finite else None,
                         "unit": unit, "share_of_supply": used[pool, y] / supply if finite and supply > 0
                         else None})
    return pd.DataFrame(rows, columns=HBM_COLUMNS)


def rule_actions(data: Data, reports: dict[str, Any]) -> pd.DataFrame:
    """What each rule did: every purchase it forbade, with the reason (``Data.forbid``), and the ``actions``
    rows of its report section (licence fees paid, subsidies taken or refused and why)."""
    rows = []
    for (chip, region, year), reason in data.forbidden.items():
        rule, _, why = reason.partition(": ")
        rows.append({"rule": rule if why else "?", "action": "ban", "chip": chip, "region": region,
                     "period": year, "amount": None, "note": why or reason})
    for rule, section in reports.items():
        for action in (section or {}).get("actions", []) if isinstance(section, dict) else []:
            rows.append({"rule": rule, **{k: action.get(k) for k in RULE_COLUMNS[1:]}})
    table = pd.DataFrame(rows, columns=RULE_COLUMNS)
    table["period"] = table["period"].astype("Int64")  # years, or none for a ban in every period
    return table
