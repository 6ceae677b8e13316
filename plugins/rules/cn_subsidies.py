"""China's capex subsidies for compute sites: ``cn.national_ai_city`` and ``cn.hub_node``.

Both are a :class:`SiteCapexSubsidy`. At every site r carrying the rule's tag and in every period t (money in
model units; ``g`` a group of the eligible capex with one salvage fraction ``f[g]``, see ``capex_groups``):

    s[r,t,g] <= (rate + local_topup) x E[r,t,g]          nominal subsidy of the group, paid at y[t]
    sum_g (df[t] - df(Y) f[g]) s[r,t,g] <= max_stacked x N[r,t]     N: the site's net capex (ctx.expr.net_capex)
    sum over the capex subsidies at the site of their net values <= N[r,t]       (stacking rules)
    sum_g s[r,t,g] <= max_per_site_year;  sum_r,g s[r,t,g] <= max_per_year       (cash caps, nominal)
    sum_g s[r,t,g] <= U[r,t] x take[r]                    (domestic_only) U: bound of the subsidy from the power
    foreign facility MW bought at r in t <= B[r,t] x (1 - take[r])   (every period: a subsidised site is
                                                                      domestic-only over the horizon)

The objective gets ``- sum df[t] s[r,t,g]`` (category "subsidy") and the clawback ``+ sum df(Y) f[g] s[r,t,g]``
(category "salvage": the salvage of a subsidised asset is the book value of what the buyer paid). A subsidy is
therefore never worth more than the capex it pays for, net of that capex's salvage: no purchase can pay for
itself. docs/rules.md has the derivations and the sources of the defaults.
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
    capex_groups,
    capex_terms,
    foreign_accelerators,
    link_to_domestic_only,
    param,
    prefix,
    take_link_family,
)
from tokenplan.records import Rule, RuleParams

if TYPE_CHECKING:
    from tokenplan.model import ModelContext

_LOCAL = (f"{DD} section 6c: Shanghai 2025 measures, up to 10% construction support for self-controlled "
          f"intelligent-compute facilities [V]; Beijing E-Town Nov-2024, up to 10% of domestic AI-server purchases "
          f"[V]")


#: Shares below this are no subsidy (a millionth of the capex); a smaller factor would put coefficients in the
#: model that HiGHS drops.
MIN_SHARE = 1e-6


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
    max_per_site_year: float | None = param(
        None, "Most subsidy one site receives in one period, in the problem currency (nominal; none: no cap)",
        "assumption: no per-site cash cap is published (seed:004 gives rates and ceilings only)", ge=0)
    max_per_year: float | None = param(
        None, "Most subsidy the programme pays over all its sites in one period, in the problem currency "
              "(nominal; none: no cap)",
        "assumption: no programme budget is published (seed:004 gives rates and ceilings only)", ge=0)

    @model_validator(mode="after")
    def _tag_given(self) -> SiteSubsidyParams:
        if not self.tag:
            raise ValueError("tag must name a region tag")
        if self.rate + self.local_topup > 1.0 + 1e-12:
            raise ValueError(f"rate + local_topup = {self.rate + self.local_topup:g} is above 1: a subsidy cannot "
                             "exceed the capex it pays for")
        return self


class SiteCapexSubsidy(Rule):
    """A capex subsidy at tagged sites, stackable with local top-ups up to a share of the project capex, with an
    optional domestic-only condition (one binary per site). Subclasses set ``id``, ``description`` and
    ``Params``."""

    Params: ClassVar[type[RuleParams]] = SiteSubsidyParams
    params: SiteSubsidyParams

    # -- model -------------------------------------------------------------------------------------------
    #: a change of these is a patch of a built model (:meth:`refresh`) while the sites, periods and groups
    #: that get a subsidy variable, and the families present, stay the same
    patchable = frozenset({"rate", "local_topup", "max_stacked", "max_per_site_year", "max_per_year"})

    def _cells(self, ctx: ModelContext) -> dict[tuple[str, int], tuple[dict[float, Any], float]]:
        """(site, period) -> (its eligible capex by salvage fraction, the bound of its subsidy): the cells that
        get a subsidy; empty when the rule pays nothing."""
        p = self.params
        stacked = p.rate + p.local_topup
        cells: dict[tuple[str, int], tuple[dict[float, Any], float]] = {}
        if min(stacked, p.max_stacked) < MIN_SHARE:
            return cells  # nothing to pay (and no coefficient HiGHS would drop)
        for rid in ctx.sites(p.tag):
            for year in ctx.periods:
                groups = capex_groups(ctx, rid, year, p.base)
                _, eligible_max = capex_terms(ctx, rid, year, p.base)
                upper = min(stacked * eligible_max, p.max_stacked * ctx.capex_bound(rid, year))
                if groups and upper > MIN_SHARE:
                    cells[rid, year] = (groups, upper)
        return cells

    def _shape(self, cells: dict[tuple[str, int], tuple[dict[float, Any], float]]) -> tuple[Any, ...]:
        """What a refresh must keep: the subsidy's index and which optional families exist."""
        p = self.params
        index = tuple((rid, y, f) for (rid, y), (groups, _) in cells.items() for f in groups)
        stacked = p.rate + p.local_topup
        return (index, min(stacked, p.max_stacked) < MIN_SHARE, p.max_stacked < stacked - 1e-12,
                p.max_per_site_year is None, p.max_per_year is None)

    def _families(self, ctx: ModelContext, cells: dict[tuple[str, int], tuple[dict[float, Any], float]], s: Any,
                  paid: Any, net: Any) -> list[Family]:
        """The rule's own families (the stacking rows and the domestic-only link aside)."""
        p, name = self.params, prefix(self.id)
        stacked = p.rate + p.local_topup
        keys = list(cells)
        index = [(rid, y, g) for (rid, y), (groups, _) in cells.items() for g in range(len(groups))]
        eligible = {(rid, y, g): e for (rid, y), (groups, _) in cells.items()
                    for g, e in enumerate(groups.values())}
        money = dict(unit="{cur}", per="{cur}", model_unit=ctx.money)
        out = [Family(
            name=f"{name}_rate", index=("region", "period", "group"), sense="<=", rows=lambda ctx: {
                i: Row(s[i] - stacked * eligible[i], 0.0) for i in index},
            doc="subsidy of a salvage group <= (rate + local_topup) x its eligible capex", report_duals=False,
            **money)]
        if p.max_stacked < stacked - 1e-12:  # otherwise implied: eligible capex <= project capex
            out.append(Family(
                name=f"{name}_cap", index=("region", "period"), sense="<=", rows=lambda ctx: {
                    key: Row(net[key] - p.max_stacked * ctx.expr.net_capex[key], 0.0) for key in keys},
                doc="net subsidy <= max_stacked x the site's net capex", report_duals=False, **money))
        if p.max_per_site_year is not None:
            cap = p.max_per_site_year
            out.append(Family(
                name=f"{name}_site_cash", index=("region", "period"), sense="<=", rows=lambda ctx: {
                    key: Row(paid[key], cap / ctx.money) for key in keys},
                doc="subsidy paid at a site in a period <= max_per_site_year",
                input_key=f"rules.{self.id}.max_per_site_year", **money))
        if p.max_per_year is not None:
            total = p.max_per_year
            out.append(Family(
                name=f"{name}_cash", index=("period",), sense="<=", rows=lambda ctx: {
                    y: Row(ctx.sum(paid[rid, yy] for rid, yy in keys if yy == y), total / ctx.money)
                    for y in ctx.periods if any(yy == y for _, yy in keys)},
                doc="subsidy the programme pays in a period <= max_per_year",
                input_key=f"rules.{self.id}.max_per_year", **money))
        return out

    def apply(self, ctx: ModelContext) -> None:
        p, name = self.params, prefix(self.id)
        sdf = ctx.salvage_df()
        cells = self._cells(ctx)
        ctx.shared[f"{self.id}:shape"] = self._shape(cells)
        if not cells and min(p.rate + p.local_topup, p.max_stacked) < MIN_SHARE:
            return
        index = [(rid, y, g) for (rid, y), (groups, _) in cells.items() for g in range(len(groups))]
        fraction = {(rid, y, g): f for (rid, y), (groups, _) in cells.items() for g, f in enumerate(groups)}
        s = ctx.add_variable(f"{name}_subsidy", index, bounds=lambda m, rid, y, g: (0.0, cells[rid, y][1]),
                             doc=f"{self.id}: nominal subsidy paid at the site in the period, per salvage group")
        keys = list(cells)
        groups_of: dict[tuple[str, int], list[tuple[str, int, int]]] = {key: [] for key in keys}
        for rid, y, g in index:
            groups_of[rid, y].append((rid, y, g))
        paid = ctx.add_expression(f"{name}_paid", keys, lambda rid, y: ctx.sum(s[i] for i in groups_of[rid, y]),
                                  doc="nominal subsidy paid at the site in the period (model money)")
        net = ctx.add_expression(f"{name}_net", keys, lambda rid, y: ctx.sum(
            (ctx.df(y) - sdf * fraction[i]) * s[i] for i in groups_of[rid, y]),
            doc="present value of the subsidy net of its clawback in the salvage (model money)")
        for family in self._families(ctx, cells, s, paid, net):
            ctx.add_family(family)
        self._stack(ctx, net, keys)
        if p.domestic_only:
            link_to_domestic_only(ctx, name, paid, {key: cells[key][1] for key in keys})
        ctx.add_cost(f"{name}_subsidy", "subsidy", -ctx.sum(ctx.df(y) * s[rid, y, g] for rid, y, g in index),
                     parts={key: -ctx.df(key[1]) * paid[key] for key in keys}, timing="at")
        ctx.add_cost(f"{name}_clawback", "salvage", ctx.sum(sdf * fraction[i] * s[i] for i in index
                                                            if fraction[i] > 0))

    def refresh(self, ctx: ModelContext, old: RuleParams) -> bool:
        """New rates, ceilings or cash caps for the same subsidised cells: the rows of the rate, the cap, the
        cash caps and the domestic-only link remade, the subsidy variables' bounds set (their cost terms do not
        depend on these parameters). Any change of the cells or of which families exist is structural."""
        p, name = self.params, prefix(self.id)
        cells = self._cells(ctx)
        if self._shape(cells) != ctx.shared.get(f"{self.id}:shape"):
            return False
        if not cells:
            return True  # no subsidy anywhere, before and after: nothing in the model depends on it
        s, paid, net = (ctx.component(f"{name}_{part}") for part in ("subsidy", "paid", "net"))
        families = self._families(ctx, cells, s, paid, net)
        if p.domestic_only:
            families.append(take_link_family(ctx, name, paid, {key: cells[key][1] for key in cells}))
        if any(ctx.family(f.name) is None for f in families):
            return False
        for family in families:
            if not ctx.refresh_family(family):
                return False  # pragma: no cover - the shape check keeps every family's index
        for (rid, y), (groups, upper) in cells.items():
            for g in range(len(groups)):
                ctx.set_bounds(s[rid, y, g], 0.0, upper)
        return True

    def _stack(self, ctx: ModelContext, net: Any, keys: list[tuple[str, int]]) -> None:
        """Capex subsidies of several rules at one site never exceed its net capex together: a row
        ``sum of the rules' net subsidies <= net capex`` at every site and period where a second (third, ...)
        subsidy applies."""
        taken = ctx.shared.setdefault("capex_subsidies", {})
        rows = {}
        for key in keys:
            before = taken.setdefault(key, [])
            if before:
                rows[(*key, len(before) + 1)] = Row(ctx.sum([*before, net[key]]) - ctx.expr.net_capex[key], 0.0)
            before.append(net[key])
        if rows:
            ctx.add_family(Family(
                name="capex_subsidies_stacked", index=("region", "period", "rules"), sense="<=", unit="{cur}",
                per="{cur}", rows=lambda ctx: rows, doc="net capex subsidies of all rules at a site <= its net capex",
                model_unit=ctx.money, report_duals=False))

    # -- report ------------------------------------------------------------------------------------------
    def report(self, ctx: ModelContext) -> dict[str, Any] | None:
        """Subsidy per site and period, which sites took it, what limited it; None when no site qualifies."""
        p, name = self.params, prefix(self.id)
        paid_expr = ctx.component(f"{name}_paid")
        if paid_expr is None or len(paid_expr) == 0:
            return None
        net_expr = ctx.component(f"{name}_net")
        money, currency = ctx.money, ctx.currency
        stacked = p.rate + p.local_topup
        by_year: dict[int, float] = {}
        for (rid, year) in paid_expr:
            by_year[year] = by_year.get(year, 0.0) + ctx.value(paid_expr[rid, year])
        rows, sites = [], {}
        for rid in [r for r in ctx.regions if r in {rid for rid, _ in paid_expr}]:
            sites[rid] = {"took": False, "subsidy": 0.0, "subsidy_pv": 0.0, "clawback_pv": 0.0,
                          "foreign_accelerators_bought": foreign_accelerators(ctx, rid)}
        for rid, year in paid_expr:
            sub = ctx.value(paid_expr[rid, year])
            elig, _ = capex_terms(ctx, rid, year, p.base)
            elig, proj = ctx.value(elig), ctx.value(ctx.expr.capex[rid, year])
            if max(sub, elig, proj) < 1e-9:
                continue
            pv = ctx.df(year) * sub
            net = ctx.value(net_expr[rid, year])
            rows.append({"region": rid, "period": year, "eligible_capex": elig * money,
                         "project_capex": proj * money, "subsidy": sub * money, "subsidy_pv": pv * money,
                         "clawback_pv": (pv - net) * money, "net_subsidy_pv": net * money,
                         "share_of_project": sub / proj if proj > 1e-12 else 0.0,
                         "limited_by": self._limit(ctx, sub, elig, stacked, year, by_year)})
            site = sites[rid]
            site["subsidy"] += sub * money
            site["subsidy_pv"] += pv * money
            site["clawback_pv"] += (pv - net) * money
            site["took"] = site["took"] or sub > 1e-9
        took = [rid for rid, v in sites.items() if v["took"]]
        total = sum(v["subsidy"] for v in sites.values())
        total_pv = sum(v["subsidy_pv"] for v in sites.values())
        clawback = sum(v["clawback_pv"] for v in sites.values())
        caps = sorted({r["limited_by"] for r in rows if "cash cap" in r["limited_by"]})
        summary = (f"{len(took)} of {len(sites)} '{p.tag}' site(s) took the subsidy"
                   + (f" ({', '.join(took)})" if took else "")
                   + f": {total:,.0f} {currency} nominal, {total_pv:,.0f} {currency} present value, of which "
                   + f"{clawback:,.0f} {currency} is clawed back in the salvage"
                   + (f"; {' and '.join(caps)} binding" if caps else ""))
        actions = [_subsidy_action(r, sites[r["region"]], p.domestic_only) for r in rows]
        return {"summary": summary, "parameters": p.model_dump(), "subsidy": total, "subsidy_pv": total_pv,
                "clawback_pv": clawback, "took": took, "cash_caps_binding": caps,
                "money": ["eligible_capex", "project_capex", "subsidy", "subsidy_pv", "clawback_pv",
                          "net_subsidy_pv"],
                "sites": sites, "by_site_period": rows, "actions": actions}

    def _limit(self, ctx: ModelContext, sub: float, elig: float, stacked: float, year: int,
               by_year: dict[int, float]) -> str:
        """Which bound held the subsidy of a site and period (for the report)."""
        p = self.params
        if sub <= 1e-9:
            return "not taken" if elig > 1e-9 else "-"

        def reached(value: float, cap: float) -> bool:
            return value >= cap * (1 - 1e-6) - 1e-9

        if p.max_per_site_year is not None and reached(sub, p.max_per_site_year / ctx.money):
            return "site cash cap"
        if p.max_per_year is not None and reached(by_year[year], p.max_per_year / ctx.money):
            return "programme cash cap"
        return "rate" if reached(sub, stacked * elig) else "cap"


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


def _subsidy_action(row: dict[str, Any], site: dict[str, Any], domestic_only: bool) -> dict[str, Any]:
    """A row of the result's rules table: the subsidy a site took in a period, or why it took none."""
    if row["subsidy"] > 1e-6:
        return {"action": "subsidy taken", "region": row["region"], "period": row["period"], "amount": row["subsidy"],
                "note": f"{row['share_of_project']:.0%} of the project capex, limited by {row['limited_by']}"}
    foreign = site.get("foreign_accelerators_bought", 0)
    why = (f"the site bought {foreign:,} foreign accelerators (domestic only)" if domestic_only and foreign
           else "not worth it to the plan" if row["eligible_capex"] > 0 else "no eligible capex")
    return {"action": "subsidy refused", "region": row["region"], "period": row["period"], "amount": 0.0, "note": why}
