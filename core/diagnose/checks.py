"""Pre-solve checks: impossibility visible without solving, named by its cause and with its numbers.

Each check is a family of its own (docs/troubleshooting.md lists the messages):

- why a demand has no chip that can serve it: ``throughput`` (no chip has tokens/s on the workload),
  ``availability`` (none is on sale that year), ``cooling`` (a chip supports none of the allowed coolings),
  ``rack_density`` (its rack is denser than every cooling it supports), ``pue_cap`` (every cooling it can use
  breaks the region's PUE cap, with ``pue_factor``), ``rule:<id>`` (a rule bans it, with the rule's reason);
- rules' own checks (:meth:`tokenplan.records.Rule.check`, e.g. a domestic share no allowed chip can meet);
- capacity: demand against what all allowed chips could serve within all grid caps (``power_cap``), all HBM
  supply (``hbm``), the capex budget (``budget``) and the chips' delivery caps (``chip_supply``); each a
  necessary condition (a bound from the best chip per workload), so a problem it flags is infeasible.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from tokenplan.coefficients import MONEY, Data
from tokenplan.diagnose.causes import Cause, diagnosis


def precheck(data: Data) -> dict[str, Any] | None:
    """A diagnosis (``method = "precheck"``) if the problem is infeasible for a reason visible without
    solving, else ``None``."""
    causes = unserved(data) + rule_checks(data) + plugin_checks(data)
    if not causes:
        causes = capacity(data)
    return diagnosis(causes, "precheck") if causes else None


# -- demand no chip can serve --------------------------------------------------------------------------
def _years(values: Iterable[int]) -> str:
    return ", ".join(str(y) for y in sorted(set(values)))


def _list(items: Iterable[str], most: int = 6) -> str:
    items = list(dict.fromkeys(items))
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")


def chip_blocks(data: Data, c: int, w: int, t: int) -> list[tuple[str, str, str, str]]:
    """Why chip ``c`` cannot serve workload ``w`` in period ``t`` anywhere: ``(family, reason, chip detail,
    region)`` per region or one for all (region ``""``); ``[]`` if it can somewhere."""
    chip, year = data.chips[c], data.periods[t]
    if not data.tps[c, w] > 0:
        return [("throughput", "", chip.id, "")]
    if year < chip.year_available:
        return [("availability", "", f"{chip.id} from {chip.year_available}", "")]
    if chip.year_last is not None and year > chip.year_last:
        return [("availability", "", f"{chip.id} until {chip.year_last}", "")]
    supported = [k for k in data.coolings if k.id in chip.cooling]
    if not supported:
        return [("cooling", "", f"{chip.id} supports {_list(chip.cooling)}", "")]
    rack_kw = chip.rack_kw if chip.rack_kw is not None else chip.it_kw_per_accel * chip.unit_size
    usable = [k for k in supported if rack_kw <= k.max_rack_kw]
    if not usable:
        limits = ", ".join(f"{k.id} {k.max_rack_kw:g} kW" for k in supported)
        return [("rack_density", "", f"{chip.id}'s rack of {rack_kw:,.4g} kW exceeds {limits}", "")]
    out = []
    for r, region in enumerate(data.regions):
        if region.pue_cap is not None and all(k.pue * region.pue_factor > region.pue_cap + 1e-12 for k in usable):
            pues = ", ".join(f"{k.id} {k.pue:g} x {region.pue_factor:g} = {k.pue * region.pue_factor:.3g}"
                             for k in usable)
            out.append(("pue_cap", f"PUE cap {region.pue_cap:g}", f"{chip.id} ({pues})", region.id))
            continue
        reason = data.forbidden.get((chip.id, region.id, year)) or data.forbidden.get((chip.id, region.id, None))
        if reason is None and not data.allowed[c, :, r, t].any():
            reason = "a rule: removed without a reason"
        if reason is None:
            return []  # buyable here: the chip is not what blocks this demand
        rule, _, why = reason.partition(": ")
        out.append((f"rule:{rule}", "", f"{chip.id}: {why}", region.id))
    return out


FIX = {
    "throughput": "allow a chip that can run this workload (chips.allow), or check its precision and memory",
    "availability": "allow a chip on sale that year (chips.allow), or move the periods (problem.periods)",
    "cooling": "allow a cooling the chips support (coolings.allow), or deny those chips",
    "rack_density": "allow a denser cooling (coolings.allow), or give the chip's rack_kw (chips.overrides)",
    "pue_cap": "raise the region's pue_cap, or allow a cooling with a lower PUE (coolings.allow)",
    "rule": "change the rule's parameters (rules.\"{rule}\"), or allow a chip it does not ban",
    "other": "see the warnings",
}


def unserved(data: Data) -> list[Cause]:
    """For every workload and period with demand but no chip that can serve it, the causes by family."""
    served = {(w, t) for (_, w, t) in data.serve}
    # (workload, family, reason) -> years, chip details, regions, largest demand (tokens/s)
    found: dict[tuple[int, str, str], dict[str, Any]] = {}
    for w in range(len(data.workload_ids)):
        for t in range(len(data.periods)):
            if not data.demand_tps[w, t] > 0 or (w, t) in served:
                continue
            blocks = [b for c in range(len(data.chips)) for b in chip_blocks(data, c, w, t)]
            for family, reason, detail, region in blocks or [("other", "", "no purchase option serves it", "")]:
                entry = found.setdefault((w, family, reason), {"years": [], "chips": [], "regions": [], "amount": 0.0})
                entry["years"].append(data.periods[t])
                entry["chips"].append(detail)
                entry["regions"] += [region] if region else []
                entry["amount"] = max(entry["amount"], float(data.demand_tps[w, t]))
    causes = []
    for (w, family, reason), entry in found.items():
        kind, _, rule = family.partition(":")
        wid, years, chips = data.workload_ids[w], _years(entry["years"]), _list(entry["chips"])
        regions = _list(entry["regions"])
        text = {
            "availability": f"workload {wid!r}: no allowed chip is available in {years}: {chips}",
            "throughput": f"workload {wid!r} in {years}: no allowed chip has throughput on it ({chips})",
            "cooling": f"workload {wid!r} in {years}: no allowed cooling fits its chips: {chips} (allowed: "
                       f"{', '.join(k.id for k in data.coolings)})",
            "rack_density": f"workload {wid!r} in {years}: rack density above every cooling's limit: {chips}",
            "pue_cap": f"workload {wid!r} in {years}: the {reason} of {regions} is below every cooling its chips "
                       f"can use: {chips}",
            "rule": f"workload {wid!r} in {years}: {rule} bans {_bans(entry['chips'])} in {regions}",
        }.get(kind, f"workload {wid!r} in {years}: {chips}")
        text += f"; {entry['amount']:,.4g} tokens/s of demand unserved"
        if data.selection.excluded and kind in ("availability", "throughput"):
            text += f" (not used: {_list(sorted(data.selection.excluded))}; see the warnings)"
        causes.append(Cause(family=family, message=text, fix=FIX.get(kind, FIX["other"]).format(rule=rule),
                            constraint="demand", where={"workload": wid, "period": min(entry["years"])},
                            amount=entry["amount"], unit="tokens/s", share=1.0))
    return causes


def _bans(details: list[str]) -> str:
    """``a, b: reason`` when the chips share a reason, else ``a (reason a), b (reason b)``."""
    by_chip = dict(d.partition(": ")[::2] for d in details)
    reasons = set(by_chip.values())
    if len(reasons) == 1:
        return f"{_list(by_chip)}: {reasons.pop()}"
    return _list(f"{chip} ({why})" for chip, why in by_chip.items())


def plugin_checks(data: Data) -> list[Cause]:
    """What plugins' ``tokenplan_validate`` reported as making the problem infeasible (``"infeasible: ..."``)."""
    return [Cause(family=f"plugin:{plugin}", message=f"{plugin}: {message}",
                  fix=f"what the plugin's documentation says, or --disable-plugin {plugin}")
            for plugin, message in data.selection.infeasible]


def rule_checks(data: Data) -> list[Cause]:
    """The rules' own pre-solve checks (:meth:`tokenplan.records.Rule.check`)."""
    out: list[Cause] = []
    for rule in data.selection.rules:
        with data.selection.blame(rule, "check()"):
            found = rule.check(data)
        out += list(found or [])
    return out


# -- capacity bounds -----------------------------------------------------------------------------------
class _Best:
    """The least resource per token/s of the purchases in service in a period that serve a workload."""

    def __init__(self, data: Data) -> None:
        self.data = data
        by_t: dict[int, list[int]] = defaultdict(list)
        for (_c, _k, _r, t), ids in data.fleet.items():
            by_t[t] += ids
        self.ids = {t: np.array(sorted(set(ids)), dtype=int) for t, ids in by_t.items()}
        self.chip = np.array([c for (c, _k, _r, _t) in data.buy], dtype=int)

    def __call__(self, t: int, w: int, per_unit: np.ndarray) -> float:
        idx = self.ids.get(t, np.zeros(0, dtype=int))
        chips = self.chip[idx]
        tps = self.data.tps[chips, w] * self.data.unit_size[chips]
        ok = tps > 0
        return float(np.min(per_unit[idx][ok] / tps[ok])) if ok.any() else np.inf


def residual_demand(data: Data) -> np.ndarray:
    """[w, t] tokens/s that purchases must serve at least: the demand less what the whole installed fleet
    in service (``[[fleet.installed]]``) and every rental offer up to its cap (``[[rentals]]``) could serve of
    that workload alone (a bound, each workload taking all of them, so the checks below stay necessary
    conditions)."""
    demand = np.array(data.demand_tps, dtype=float)
    for e in data.installed:
        for t in e.periods:
            demand[:, t] -= e.count * data.tps[e.c, :]
    for o in data.rentals:  # rented accelerators serve without power, HBM, budget or delivery caps
        for t in sorted({t for runs in o.runs.values() for t in runs}):
            cap = float(o.cap[t]) if np.isfinite(o.cap[t]) else np.inf
            demand[:, t] -= np.where(data.tps[o.c, :] > 0, cap * data.tps[o.c, :], 0.0)
    return np.maximum(demand, 0.0)


def capacity(data: Data) -> list[Cause]:
    """Demand against all grid caps, all HBM supply, the capex budgets and the delivery caps, each with the
    best chip per workload: a necessary condition for a plan."""
    cost = data.costs
    best = _Best(data)
    causes: list[Cause] = []
    W = len(data.workload_ids)
    demand = residual_demand(data)
    regions = sorted({r for r, _ in data.build})
    currency = data.problem.problem.currency
    pool_of = [data.pools.index(data.chips[c].hbm_pool) if data.chips[c].hbm_pool in data.pools else -1
               for (c, _k, _r, _t) in data.buy]
    pool_of = np.array(pool_of, dtype=int)
    for t, year in enumerate(data.periods):
        live = [w for w in range(W) if demand[w, t] > 0]
        if not live:
            continue
        # power: the grid caps of period t hold the whole fleet in service in t
        need = sum(best(t, w, cost.facility_mw) * demand[w, t] for w in live)
        have = sum(data.grid_cap_max(r, t) for r in regions)  # grid caps with every increase that can be energised
        if need > have * (1 + 1e-9):
            causes.append(Cause(
                family="power_cap", constraint="power_cap", where={"period": year}, amount=need - have, unit="MW",
                share=(need - have) / have if have else None,
                message=f"demand {year} needs at least {need:,.0f} MW with the most power-efficient chip allowed; "
                        f"all sites together have {have:,.0f} MW",
                fix=f"raise regions' power_mw for {year} by at least {need - have:,.0f} MW in all, or lower the "
                    f"demand"))
        # HBM: the fleet in t was bought in periods <= t, each within its pool's supply of that period
        if len(data.pools):
            supply = data.hbm_supply[:, : t + 1]
            capped = np.all(np.isfinite(supply), axis=1)  # pool -> a finite cumulative supply up to t
            draws = (pool_of >= 0) & capped[np.maximum(pool_of, 0)]  # purchases that draw on a capped pool
            need = sum(best(t, w, np.where(draws, cost.hbm, 0.0)) * demand[w, t] for w in live)
            have = float(np.sum(supply[capped]))
            if capped.any() and need > have * (1 + 1e-9) + 1e-9:
                unit = "HBM stacks" if data.problem.hbm.unit == "stacks" else "GB of HBM"
                causes.append(Cause(
                    family="hbm", constraint="hbm", where={"period": year}, amount=need - have, unit=unit,
                    share=(need - have) / have if have else None,
                    message=f"demand {year} needs at least {need:,.0f} {unit} with the most HBM-thrifty "
                            f"chip allowed; the capped pools supply {have:,.0f} up to {year} in all",
                    fix=f"raise hbm.supply up to {year} by at least {need - have:,.0f} {unit} in all, or lower the "
                            f"demand"))
        # budget: the accelerators in service in t were paid from the budgets of periods <= t
        budget = data.budget[: t + 1]
        if np.all(np.isfinite(budget)):
            need = sum(best(t, w, cost.capex_accel) * demand[w, t] for w in live) * MONEY
            have = float(np.sum(budget))
            if need > have * (1 + 1e-9):
                causes.append(Cause(
                    family="budget", constraint="budget", where={"period": year}, amount=need - have, unit=currency,
                    share=(need - have) / have if have else None,
                    message=f"demand {year} needs at least {need:,.0f} {currency} of accelerators at the cheapest "
                            f"chip per token/s; the budgets up to {year} total {have:,.0f} {currency}",
                    fix=f"raise budget.capex_per_period up to {year} by at least {need - have:,.0f} {currency} in all"))
        # delivery caps: each workload alone, with every chip's cumulative cap
        caps = data.chip_supply[:, : t + 1]
        capped = np.all(np.isfinite(caps), axis=1)
        in_service = {c for (c, _k, _r, tt) in data.fleet if tt == t}
        for w in live:
            chips = [c for c in in_service if data.tps[c, w] > 0]
            if not chips or not all(capped[c] for c in chips):
                continue
            most = float(sum(data.tps[c, w] * np.sum(caps[c]) for c in chips))
            if most < demand[w, t] * (1 - 1e-9):
                wid = data.workload_ids[w]
                causes.append(Cause(
                    family="chip_supply", constraint="chip_supply", where={"workload": wid, "period": year},
                    amount=float(demand[w, t] - most), unit="tokens/s", share=float(1 - most / demand[w, t]),
                    message=f"workload {wid!r} in {year} needs {demand[w, t]:,.4g} tokens/s; every accelerator the "
                            f"supply caps deliver up to {year} serves {most:,.4g}",
                    fix="raise chips.supply_accelerators, or allow chips without a delivery cap"))
    return causes
