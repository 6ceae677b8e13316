"""China's capex subsidies for compute sites: ``cn.national_ai_city`` and ``cn.hub_node``.

Both are a :class:`SiteCapexSubsidy`. At every site r carrying the rule's tag and in every period t (nominal
money paid at ``y[t]``, MONEY):

    s[r,t] <= (rate + local_topup) x E[r,t]            E: eligible capex (``base``)
    s[r,t] <= max_stacked x P[r,t]                     P: the site's project capex in the period
    s[r,t] <= U[r,t] x take[r]                         (domestic_only) U: bound of s from the site's power
    foreign facility MW bought at r in t <= B[r,t] x (1 - take[r])   (every period: a subsidised site is
                                                                      domestic-only over the horizon)

and the objective gets the cost term ``- sum df(y[t]) x s[r,t]`` (category "subsidy"). docs/rules.md has the
derivations and the sources of the defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import model_validator

from tokenplan import hookimpl
from tokenplan.model import Family, Row
from tokenplan.plugins.rules._common import (
    DD,
    REUTERS_MANDATE,
    SEED_004,
    Base,
    capex_terms,
    foreign_accelerators,
    link_to_domestic_only,
    param,
    prefix,
)
from tokenplan.records import Rule, RuleParams

if TYPE_CHECKING:
    from tokenplan.model import ModelContext

_LOCAL = (f"{DD} section 6c: Shanghai 2025 measures, up to 10% construction support for self-controlled "
          f"intelligent-compute facilities [V]; Beijing E-Town Nov-2024, up to 10% of domestic AI-server purchases "
          f"[V]")


class SiteSubsidyParams(RuleParams):
    """Parameters every site capex subsidy has (each rule sets its own defaults and sources)."""

    tag: str = param("", "Region tag of the sites that qualify", "the rule")
    rate: float = param(0.0, "Subsidy as a share of the eligible capex", "the rule", ge=0, le=1)
    local_topup: float = param(0.0, "Local top-ups stacked on the rate, share of the eligible capex", "the rule",
                               ge=0, le=1)
    max_stacked: float = param(1.0, "Ceiling of the stacked subsidy, share of the site's project capex "
                                    "(accelerators, cooling, facility blocks, fixed cooling costs) in the period",
                               "the rule", ge=0, le=1)
    base: Base = param("project", "What the rate applies to: 'domestic_accelerators', 'accelerators' or "
                                  "'project' (all capex at the site)", "the rule")
    domestic_only: bool = param(True, "A subsidised site buys domestic chips only, in every period",
                                REUTERS_MANDATE)

    @model_validator(mode="after")
    def _tag_given(self) -> SiteSubsidyParams:
        if not self.tag:
            raise ValueError("tag must name a region tag")
        return self


class SiteCapexSubsidy(Rule):
    """A capex subsidy at tagged sites, stackable with local top-ups up to a share of the project capex, with an
    optional domestic-only condition (one binary per site). Subclasses set ``id``, ``description`` and
    ``Params``."""

    Params: ClassVar[type[RuleParams]] = SiteSubsidyParams
    params: SiteSubsidyParams

    # -- model -------------------------------------------------------------------------------------------
    def apply(self, ctx: ModelContext) -> None:
        p, name = self.params, prefix(self.id)
        stacked = p.rate + p.local_topup
        cells: dict[tuple[str, int], tuple[Any, Any, float]] = {}
        for rid in ctx.sites(p.tag):
            for year in ctx.periods:
                eligible, eligible_max = capex_terms(ctx, rid, year, p.base)
                project, project_max = capex_terms(ctx, rid, year, "project")
                upper = min(stacked * eligible_max, p.max_stacked * project_max)
                if not isinstance(eligible, float) and upper > 0:
                    cells[rid, year] = (eligible, project, upper)
        keys = list(cells)
        s = ctx.add_variable(f"{name}_subsidy", keys, bounds=lambda m, rid, y: (0.0, cells[rid, y][2]),
                             doc=f"{self.id}: subsidy paid at the site in the period (nominal model money)")
        eligible = ctx.add_expression(f"{name}_eligible", keys, lambda rid, y: cells[rid, y][0],
                                      doc="eligible capex (nominal model money)")
        project = ctx.add_expression(f"{name}_project_capex", keys, lambda rid, y: cells[rid, y][1],
                                     doc="project capex (nominal model money)")
        money = dict(sense="<=", unit="{cur}", per="{cur}", model_unit=ctx.money)
        ctx.add_family(Family(
            name=f"{name}_rate", index=("region", "period"), rows=lambda ctx: {
                key: Row(s[key] - stacked * eligible[key], 0.0) for key in keys},
            doc="subsidy <= (rate + local_topup) x eligible capex", report_duals=False, **money))
        if p.max_stacked < stacked - 1e-12:  # otherwise implied: eligible capex <= project capex
            ctx.add_family(Family(
                name=f"{name}_cap", index=("region", "period"), rows=lambda ctx: {
                    key: Row(s[key] - p.max_stacked * project[key], 0.0) for key in keys},
                doc="subsidy <= max_stacked x project capex", report_duals=False, **money))
        if p.domestic_only:
            link_to_domestic_only(ctx, name, s, {key: cells[key][2] for key in keys})
        ctx.add_cost(f"{name}_subsidy", "subsidy", -ctx.sum(ctx.df(y) * s[rid, y] for rid, y in keys))

    # -- report ------------------------------------------------------------------------------------------
    def report(self, ctx: ModelContext) -> dict[str, Any] | None:
        """Subsidy per site and period, which sites took it; None when no site qualifies."""
        p, name = self.params, prefix(self.id)
        s = ctx.component(f"{name}_subsidy")
        if s is None or len(s) == 0:
            return None
        eligible = ctx.component(f"{name}_eligible")
        project = ctx.component(f"{name}_project_capex")
        money, currency = ctx.money, ctx.currency
        stacked = p.rate + p.local_topup
        rows, sites = [], {}
        for rid in [r for r in ctx.regions if r in {rid for rid, _ in s}]:
            sites[rid] = {"took": False, "subsidy": 0.0, "subsidy_pv": 0.0,
                          "foreign_accelerators_bought": foreign_accelerators(ctx, rid)}
        for rid, year in s:
            sub, elig, proj = ctx.value(s[rid, year]), ctx.value(eligible[rid, year]), ctx.value(project[rid, year])
            if max(sub, elig, proj) < 1e-9:
                continue
            if sub > 1e-9:
                limited = "cap" if p.max_stacked * proj < stacked * elig - 1e-9 else "rate"
            else:
                limited = "not taken" if elig > 1e-9 else "-"
            pv = ctx.df(year) * sub
            rows.append({"region": rid, "period": year, "eligible_capex": elig * money,
                         "project_capex": proj * money, "subsidy": sub * money, "subsidy_pv": pv * money,
                         "share_of_project": sub / proj if proj > 1e-12 else 0.0, "limited_by": limited})
            site = sites[rid]
            site["subsidy"] += sub * money
            site["subsidy_pv"] += pv * money
            site["took"] = site["took"] or sub > 1e-9
        took = [rid for rid, v in sites.items() if v["took"]]
        total = sum(v["subsidy"] for v in sites.values())
        total_pv = sum(v["subsidy_pv"] for v in sites.values())
        summary = (f"{len(took)} of {len(sites)} '{p.tag}' site(s) took the subsidy"
                   + (f" ({', '.join(took)})" if took else "")
                   + f": {total:,.0f} {currency} nominal, {total_pv:,.0f} {currency} present value")
        return {"summary": summary, "parameters": p.model_dump(), "subsidy": total, "subsidy_pv": total_pv,
                "took": took, "money": ["eligible_capex", "project_capex", "subsidy", "subsidy_pv"],
                "sites": sites, "by_site_period": rows}


# -- the two rules -----------------------------------------------------------------------------------------
class NationalAiCityParams(SiteSubsidyParams):
    tag: str = param("cn-ai-city", "Region tag of the cities carrying national AI tasks (Beijing, Shanghai, "
                                   "Shenzhen, Hangzhou in the region pack)", SEED_004)
    rate: float = param(0.40, "National subsidy, share of the capex of domestic accelerators",
                        f"{SEED_004}: domestic-compute projects in cities carrying national AI tasks get a 40% "
                        f"national subsidy (domain-brief.md section 3)", ge=0, le=1)
    local_topup: float = param(0.10, "Local top-ups stacked on the national rate, share of the eligible capex",
                               _LOCAL, ge=0, le=1)
    max_stacked: float = param(0.70, "Ceiling of national + local subsidies, share of the site's project capex "
                                     "in the period",
                               f"{SEED_004}: stacked with local subsidies up to 70-80% of total project "
                               f"investment (lower end taken)", ge=0, le=1)
    base: Base = param("domestic_accelerators", "What the rate applies to",
                       f"{SEED_004}: the subsidy is for domestic-compute projects")


class NationalAiCity(SiteCapexSubsidy):
    id = "cn.national_ai_city"
    description = ("40% of the capex of domestic chips at cities carrying national AI tasks (tag cn-ai-city), "
                   "local top-ups stacked up to 70% of project capex; a subsidised site is domestic-only")
    Params = NationalAiCityParams


class HubNodeParams(SiteSubsidyParams):
    tag: str = param("cn-hub", "Region tag of the 'East Data, West Computing' hub nodes and clusters",
                     f"{SEED_004}; {DD} section 6a")
    rate: float = param(0.10, "Base subsidy, share of the site's project capex",
                        f"{SEED_004}: the eight compute hub nodes get a 10-15% base subsidy (lower end taken)",
                        ge=0, le=1)
    local_topup: float = param(0.0, "Ultra-long special treasury bonds and local top-ups stacked on the base "
                                    "rate (0: none assumed; 0.30 reaches the 40% ceiling)",
                               f"{SEED_004}: up to 40% with ultra-long special treasury bonds and local subsidies "
                               f"(no per-site figure published)", ge=0, le=1)
    max_stacked: float = param(0.40, "Ceiling of base + top-ups, share of the site's project capex in the period",
                               f"{SEED_004}: up to 40%", ge=0, le=1)
    base: Base = param("project", "What the rate applies to", f"{SEED_004}: subsidy of the project investment")


class HubNode(SiteCapexSubsidy):
    id = "cn.hub_node"
    description = ("10% base capex subsidy at the hub nodes (tag cn-hub), up to 40% with treasury bonds and "
                   "local top-ups; a subsidised site is domestic-only")
    Params = HubNodeParams


@hookimpl
def tokenplan_rules() -> list[type[Rule]]:
    return [NationalAiCity, HubNode]
