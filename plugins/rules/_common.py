"""What the built-in rules share: parameter fields with sources, tight big-M bounds, site capex as linear
terms, and the domestic-only site choice (one binary per site, shared by the rules).

Units follow the model: money in model money (``ctx.money``: millions of the problem currency), power in MW.
Everything here goes through the public :class:`tokenplan.model.ModelContext`. See docs/rules.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from tokenplan.model import Family, Row

if TYPE_CHECKING:
    from tokenplan.model import ModelContext, Purchase

DD = "shared/reference/domain-data.md"
SEED_004 = "seed:004_dcc5131f58164046.txt"
SEED_002 = "seed:002_b11c3acae4a53b12.txt"
REUTERS_MANDATE = (f"Reuters exclusive, 5-Nov-2025 (techspot, stratnewsglobal, gigazine relays): new data-centre "
                   f"projects that received any state funding must use only domestic AI chips ({DD} section 6d); "
                   f"{SEED_004}: projects with subsidies must use domestic chips only ('window guidance')")

#: What a capex subsidy applies to (see :func:`capex_terms`).
Base = Literal["domestic_accelerators", "accelerators", "project"]


def param(default: Any, description: str, source: str, **constraints: Any) -> Any:
    """A rule parameter: a default, a description and, in the JSON schema, its source."""
    return Field(default, description=description, json_schema_extra={"source": source}, **constraints)


def prefix(rule_id: str) -> str:
    """Component-name prefix of a rule (``cn.hub_node`` -> ``cn_hub_node``): readable names in LP files."""
    return rule_id.replace(".", "_").replace("-", "_")


def capex_terms(ctx: ModelContext, region: str, year: int, base: Base) -> tuple[Any, float]:
    """Nominal capex paid at a site in a period (model money) as an expression, and the largest value it can
    take (a valid big-M).

    - ``domestic_accelerators``: accelerators of chips domestic at the site (price x multipliers x units);
    - ``accelerators``: all accelerators bought there;
    - ``project``: the site's whole capex in the period (``ctx.expr.capex``): accelerators, cooling capex,
      facility blocks built, grid-connection increases ordered, and (first period) the cooling fixed costs;
      bound ``ctx.capex_bound``.

    Bound of the accelerator bases: units bought in the period are in service in it, so their facility MW
    is at most the site's headroom (``ctx.expr.headroom_mw``); their capex is at most that times the largest
    capex per facility MW among the site's options.
    """
    if base == "project":
        return ctx.expr.capex[region, year], ctx.capex_bound(region, year)
    chosen = [(eligible_capex(p, base), p) for p in ctx.bought(region, year) if eligible_capex(p, base) > 0]
    per_mw = max((coef / p.facility_mw for coef, p in chosen if p.facility_mw > 0), default=0.0)
    expr = ctx.sum(coef * p.var for coef, p in chosen) if chosen else 0.0
    return expr, per_mw * ctx.expr.headroom_mw[region, year]


def eligible_capex(p: Purchase, base: Base) -> float:
    """Nominal capex of one unit of a purchase that a subsidy of ``base`` applies to (0: not eligible)."""
    if base == "domestic_accelerators" and not p.domestic:
        return 0.0
    return p.capex_accel + (p.capex_cooling if base == "project" else 0.0)


def capex_groups(ctx: ModelContext, region: str, year: int, base: Base) -> dict[float, Any]:
    """The nominal capex of :func:`capex_terms`, split by salvage fraction (the share of it that is still book
    value at the horizon end): fraction -> expression. A subsidy of a group is clawed back at that fraction
    (the salvage of what the buyer paid), exactly, whatever the mix of lifetimes at the site."""
    groups: dict[float, list[Any]] = {}
    for p in ctx.bought(region, year):
        coef = eligible_capex(p, base)
        if coef > 0:
            groups.setdefault(round(p.salvage_fraction, 12), []).append(coef * p.var)
    if base == "project":
        block = ctx.block_capex(region)
        if block > 0:
            groups.setdefault(round(ctx.facility_salvage_fraction(year), 12), []).append(
                block * ctx.var.blocks[region, year])
        grid = ctx.grid_capex(region, year)  # grid-connection increases: written off like the facility
        if not isinstance(grid, int | float):
            groups.setdefault(round(ctx.facility_salvage_fraction(year), 12), []).append(grid)
        if year == ctx.periods[0]:
            for cost, on in ctx.cooling_fixed_costs(region):
                if cost > 0:
                    groups.setdefault(0.0, []).append(cost * on)
    return {f: ctx.sum(terms) for f, terms in sorted(groups.items())}


#: Names of the components the domestic-only condition shares between rules.
DOMESTIC_ONLY_VAR = "domestic_only_site"
DOMESTIC_ONLY_ROWS = "domestic_only"


def domestic_only_choice(ctx: ModelContext, sites: list[str]) -> dict[str, Any]:
    """The domestic-only condition of site benefits: one binary per site, shared by every rule that asks.

    ``domestic_only_site[r]`` = 1: the site buys no foreign chip in any period (and may take every benefit
    that requires it). Rows ``domestic_only[r, y]``: facility MW of foreign units bought at r in y
    <= B[r, y] x (1 - domestic_only_site[r]), with B the site's facility-MW headroom
    (``ctx.expr.headroom_mw``): tight, since the foreign units bought in y are in service in y and share the
    site's power with everything else. A rule then bounds its benefit by ``U x domestic_only_site[r]``.

    Sharing is exact: a benefit is never negative, so a site that is domestic-only for one rule loses nothing
    by taking every other benefit that asks the same, and one binary per site keeps the relaxation tighter
    than one per rule. Returns region id -> the binary, or 1.0 for a site without any foreign option.
    """
    var = ctx.component(DOMESTIC_ONLY_VAR)
    if var is None:
        var = ctx.add_variable(DOMESTIC_ONLY_VAR, "any", kind="binary",
                               doc="the site buys domestic chips only, in every period (and takes the benefits)")
    rows = ctx.component(DOMESTIC_ONLY_ROWS)
    out: dict[str, Any] = {}
    new: dict[tuple[str, int], Row] = {}
    for rid in sites:
        foreign = {y: [p for p in ctx.bought(rid, y) if not p.domestic] for y in ctx.periods}
        # installed foreign accelerators still running count like foreign ones bought (docs/rules.md,
        # "Installed and rented chips"): a domestic-only site must retire them first
        owned = {y: ctx.installed_mw(rid, y, domestic=False) for y in ctx.periods}
        if not any(foreign.values()) and not any(mw for mw, _ in owned.values()):
            out[rid] = 1.0
            continue
        out[rid] = var[rid]
        if rows is not None and any((rid, y) in rows for y in ctx.periods):
            continue  # another rule made the rows already
        for y, chosen in foreign.items():
            mw, retired = owned[y]
            if chosen or mw:
                bound = max(ctx.expr.headroom_mw[rid, y], mw)
                new[rid, y] = Row(ctx.sum(p.facility_mw * p.var for p in chosen) - ctx.sum(a * v for a, v in retired)
                                  + bound * var[rid], bound - mw)
    if new:
        ctx.add_family(Family(
            name=DOMESTIC_ONLY_ROWS, index=("region", "period"), sense="<=", unit="MW", per="MW",
            rows=lambda ctx: new,
            doc="foreign facility MW bought or installed and kept <= B x (1 - domestic_only_site) (MW)",
            report_duals=False))
    return out


def link_to_domestic_only(ctx: ModelContext, name: str, benefit: Any, bound: dict[tuple[str, int], float]) -> None:
    """Rows ``<name>_take_link[r, y]``: ``benefit[r, y] <= bound[r, y] x domestic_only_site[r]`` for every
    key of ``bound`` whose site has a foreign option (a site without one is domestic-only anyway)."""
    domestic_only_choice(ctx, list(dict.fromkeys(rid for rid, _ in bound)))
    ctx.add_family(take_link_family(ctx, name, benefit, bound))


def take_link_family(ctx: ModelContext, name: str, benefit: Any, bound: dict[tuple[str, int], float]) -> Family:
    """The family of :func:`link_to_domestic_only` (its binaries made already); a rule's refresh remakes it
    with new bounds."""
    take = {rid: ctx.component(DOMESTIC_ONLY_VAR)[rid] if _has_foreign(ctx, rid) else 1.0
            for rid in dict.fromkeys(rid for rid, _ in bound)}
    rows = {(rid, y): Row(benefit[rid, y] - b * take[rid], 0.0) for (rid, y), b in bound.items()
            if not isinstance(take[rid], float)}
    return Family(name=f"{name}_take_link", index=("region", "period"), sense="<=", unit="{cur}", per="{cur}",
                  rows=lambda ctx: rows, doc="benefit <= its bound x domestic_only_site", model_unit=ctx.money,
                  report_duals=False)


def _has_foreign(ctx: ModelContext, rid: str) -> bool:
    """Has the site a foreign option in some period (then its domestic-only choice is a binary)?"""
    return any(not p.domestic for y in ctx.periods for p in ctx.bought(rid, y)) or \
        any(ctx.installed_mw(rid, y, domestic=False)[0] for y in ctx.periods)


def foreign_accelerators(ctx: ModelContext, region: str) -> int:
    """Foreign accelerators bought at a site over the horizon (solved values)."""
    return sum(round(ctx.value(p.var)) * p.accelerators for y in ctx.periods for p in ctx.bought(region, y)
               if not p.domestic)
