"""``cn.domestic_power_discount``: up to 50% off electricity at sites in Gansu, Guizhou and Inner Mongolia that
run domestic chips only.

At every site r tagged ``cn-power-discount`` (the region pack's prices are before the discount), in every
period t (present values, MONEY):

    d[r,t] <= discount x sum over units i in service at r in t of  e[i,t] x buy[i]
    d[r,t] <= D[r,t] x take[r]                                  (domestic_only)
    foreign facility MW bought at r in t <= B[r,t] x (1 - take[r])

with ``e[i,t] = facility MW x 8760 x load_factor x price[r,t] x period_df(t)`` (the core's energy cost of one unit
in period t) and ``D[r,t] = discount x B[r,t] x 8760 x load_factor x price[r,t] x period_df(t)`` (the fleet's
facility MW in t is at most the site's bound B). The objective gets ``- sum d[r,t]`` (category "subsidy").
"""

from __future__ import annotations

from typing import Any

from tokenplan import hookimpl
from tokenplan.coefficients import HOURS_PER_YEAR, MONEY, Data
from tokenplan.plugins.rules._common import (
    DD,
    REUTERS_MANDATE,
    SiteIndex,
    foreign_accelerators,
    link_to_domestic_only,
    param,
    prefix,
    value_of,
)
from tokenplan.records import Rule, RuleParams

_FT = (f"Financial Times, 3/4-Nov-2025 (greenergydaily, semafor, sipoch relays): Gansu, Guizhou and Inner Mongolia "
       f"cut electricity bills by up to 50% for large data centres powered by domestic chips; Nvidia-based data "
       f"centres not eligible ({DD} section 6d)")


class PowerDiscountParams(RuleParams):
    tag: str = param("cn-power-discount", "Region tag of the sites that qualify (Gansu, Guizhou, Inner Mongolia "
                                          "hubs and clusters in the region pack)", _FT)
    discount: float = param(0.50, "Share of the electricity bill waived (the pack's prices are before the "
                                  "discount; the FT's ~0.4 CNY/kWh after it suggests calibrating this)",
                            _FT, ge=0, le=1)
    domestic_only: bool = param(True, "Only sites running domestic chips only (in every period) qualify",
                                f"{_FT}; {REUTERS_MANDATE}")


class DomesticPowerDiscount(Rule):
    id = "cn.domestic_power_discount"
    description = ("Up to 50% off electricity at sites tagged cn-power-discount (Gansu, Guizhou, Inner Mongolia) "
                   "that run domestic chips only (one binary per site)")
    Params = PowerDiscountParams
    params: PowerDiscountParams

    def _energy(self, data: Data, index: SiteIndex, r: int, t: int) -> tuple[float, list[tuple[float, int]]]:
        """(PV of energy per facility MW in service in period t at r, [(PV of unit i's energy in t, i)])."""
        per_mw = (HOURS_PER_YEAR * 1000.0 * data.load_factor / MONEY * float(data.power_price[r, t])
                  * data.horizon.period_df(t))
        return per_mw, [(per_mw * float(data.costs.facility_mw[i]), i) for i in index.active.get((r, t), [])]

    def apply(self, model: Any, data: Data) -> None:
        import pyomo.environ as pyo

        from tokenplan.build import CostTerm

        p, name = self.params, prefix(self.id)
        index = SiteIndex(data)
        keys_buy = model.tp_keys["buy"]
        cells: dict[tuple[str, int], tuple[list[tuple[float, int]], float]] = {}
        for r in index.sites(p.tag):
            for t, year in enumerate(data.periods):
                per_mw, terms = self._energy(data, index, r, t)
                upper = p.discount * per_mw * index.facility_mw_bound(model, r, t)
                if terms and upper > 0:
                    cells[data.region_ids[r], year] = (terms, upper)
        keys = list(cells)
        d = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=lambda m, rid, y: (0.0, cells[rid, y][1]),
                    doc=f"{self.id}: present value of the electricity discount in the period (MONEY)")
        model.add_component(f"{name}_discount", d)
        model.add_component(f"{name}_energy", pyo.Expression(keys, rule=lambda m, rid, y: pyo.quicksum(
            a * m.buy[keys_buy[i]] for a, i in cells[rid, y][0]), doc="PV of the energy bill (MONEY)"))
        energy = model.component(f"{name}_energy")
        model.add_component(f"{name}_rate", pyo.Constraint(
            keys, rule=lambda m, rid, y: d[rid, y] <= p.discount * energy[rid, y],
            doc="discount <= share x energy bill"))
        if p.domestic_only:
            link_to_domestic_only(model, data, index, name, d, {key: cells[key][1] for key in keys})
        model.cost_terms.append(CostTerm(f"{name}", "subsidy", -pyo.quicksum(d[k] for k in keys)))

    def report(self, model: Any, data: Data) -> dict[str, Any] | None:
        """Discount per site and period, which sites took it; None when no site qualifies."""
        p, name = self.params, prefix(self.id)
        d, energy = model.component(f"{name}_discount"), model.component(f"{name}_energy")
        if d is None or len(d) == 0:
            return None
        currency = data.problem.problem.currency
        index = SiteIndex(data)
        sites: dict[str, dict[str, Any]] = {}
        rows = []
        for rid, year in d:
            site = sites.setdefault(rid, {"took": False, "discount_pv": 0.0, "foreign_accelerators_bought":
                                          foreign_accelerators(model, data, index, data.region_index(rid))})
            disc, bill = value_of(d[rid, year]), value_of(energy[rid, year])
            if max(disc, bill) < 1e-12:
                continue
            rows.append({"region": rid, "period": year, "energy_pv": bill * MONEY, "discount_pv": disc * MONEY,
                         "took": disc > 1e-12})
            site["discount_pv"] += disc * MONEY
            site["took"] = site["took"] or disc > 1e-12
        took = [rid for rid, v in sites.items() if v["took"]]
        total = sum(v["discount_pv"] for v in sites.values())
        summary = (f"{len(took)} of {len(sites)} '{p.tag}' site(s) took the discount"
                   + (f" ({', '.join(took)})" if took else "") + f": {total:,.0f} {currency} present value")
        return {"summary": summary, "parameters": p.model_dump(), "discount_pv": total, "took": took,
                "money": ["energy_pv", "discount_pv"], "sites": sites,
                "by_site_period": rows}


@hookimpl
def tokenplan_rules() -> list[type[Rule]]:
    return [DomesticPowerDiscount]
