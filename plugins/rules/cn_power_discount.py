"""``cn.domestic_power_discount``: up to 50% off electricity at sites in Gansu, Guizhou and Inner Mongolia that
run domestic chips only.

At every site r tagged ``cn-power-discount`` (the region pack's prices are before the discount), in every
period t (present values, MONEY):

    d[r,t] <= discount x sum over units i in service at r in t of  e[i,t] x buy[i]
    d[r,t] <= D[r,t] x take[r]                                  (domestic_only)
    foreign facility MW bought at r in t <= B[r,t] x (1 - take[r])

with ``e[i,t] = facility MW x 8760 x load_factor x price[r,t] x period_df(t)`` (the core's energy cost of one unit
in period t: ``ctx.expr.energy`` sums it over the site) and ``D[r,t] = discount x B[r,t] x 8760 x load_factor x
price[r,t] x period_df(t)`` (the fleet's facility MW in t is at most the site's headroom B). The objective gets
``- sum d[r,t]`` (category "subsidy").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenplan import hookimpl
from tokenplan.model import Family, Row
from tokenplan.plugins.rules._common import (
    DD,
    REUTERS_MANDATE,
    foreign_accelerators,
    link_to_domestic_only,
    param,
    prefix,
)
from tokenplan.records import Rule, RuleParams

if TYPE_CHECKING:
    from tokenplan.model import ModelContext

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

    def apply(self, ctx: ModelContext) -> None:
        p, name = self.params, prefix(self.id)
        cells: dict[tuple[str, int], float] = {}
        for rid in ctx.sites(p.tag):
            for year in ctx.periods:
                upper = p.discount * ctx.energy_per_mw(rid, year) * ctx.expr.headroom_mw[rid, year]
                if ctx.active(rid, year) and upper > 0 and p.discount >= 1e-6:
                    cells[rid, year] = upper
        keys = list(cells)
        d = ctx.add_variable(f"{name}_discount", keys, bounds=lambda m, rid, y: (0.0, cells[rid, y]),
                             doc=f"{self.id}: present value of the electricity discount in the period (model money)")
        energy = ctx.expr.energy
        ctx.add_family(Family(
            name=f"{name}_rate", index=("region", "period"), sense="<=", unit="{cur}", per="{cur}",
            rows=lambda ctx: {key: Row(d[key] - p.discount * energy[key], 0.0) for key in keys},
            doc="discount <= share x energy bill", model_unit=ctx.money, report_duals=False))
        if p.domestic_only:
            link_to_domestic_only(ctx, name, d, cells)
        ctx.add_cost(f"{name}", "subsidy", -ctx.sum(d[k] for k in keys), parts={k: -d[k] for k in keys},
                     timing="over")

    def report(self, ctx: ModelContext) -> dict[str, Any] | None:
        """Discount per site and period, which sites took it; None when no site qualifies."""
        p, name = self.params, prefix(self.id)
        d = ctx.component(f"{name}_discount")
        if d is None or len(d) == 0:
            return None
        money, currency = ctx.money, ctx.currency
        sites: dict[str, dict[str, Any]] = {}
        rows = []
        for rid, year in d:
            site = sites.setdefault(rid, {"took": False, "discount_pv": 0.0,
                                          "foreign_accelerators_bought": foreign_accelerators(ctx, rid)})
            disc, bill = ctx.value(d[rid, year]), ctx.value(ctx.expr.energy[rid, year])
            if max(disc, bill) < 1e-12:
                continue
            rows.append({"region": rid, "period": year, "energy_pv": bill * money, "discount_pv": disc * money,
                         "took": disc > 1e-12})
            site["discount_pv"] += disc * money
            site["took"] = site["took"] or disc > 1e-12
        took = [rid for rid, v in sites.items() if v["took"]]
        total = sum(v["discount_pv"] for v in sites.values())
        summary = (f"{len(took)} of {len(sites)} '{p.tag}' site(s) took the discount"
                   + (f" ({', '.join(took)})" if took else "") + f": {total:,.0f} {currency} present value")
        actions = [{"action": "power discount taken" if r["took"] else "power discount refused",
                    "region": r["region"], "period": r["period"], "amount": r["discount_pv"],
                    "note": "present value" if r["took"] else
                    (f"the site bought {sites[r['region']]['foreign_accelerators_bought']:,} foreign accelerators "
                     f"(domestic only)" if p.domestic_only and sites[r["region"]]["foreign_accelerators_bought"]
                     else "not worth it to the plan")} for r in rows]
        return {"summary": summary, "parameters": p.model_dump(), "discount_pv": total, "took": took,
                "money": ["energy_pv", "discount_pv"], "sites": sites,
                "by_site_period": rows, "actions": actions}


@hookimpl
def tokenplan_rules() -> list[type[Rule]]:
    return [DomesticPowerDiscount]
