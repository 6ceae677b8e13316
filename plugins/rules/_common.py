"""What the built-in rules share: parameter fields with sources, per-site indices, tight big-M bounds, site
capex as linear terms, and the domestic-only site choice (one binary per site and rule).

Units follow the model: money in MONEY (millions of the problem currency), power in MW. See docs/rules.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

if TYPE_CHECKING:
    from tokenplan.coefficients import Data

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


def value_of(expr: Any) -> float:
    """The value of a solved expression (0 for an empty one)."""
    import pyomo.environ as pyo

    v = pyo.value(expr, exception=False)
    return 0.0 if v is None else float(v)


@dataclass
class SiteIndex:
    """Purchases by site and period: ``bought[r, t]`` (buy indices purchased at r in t) and ``active[r, t]``
    (buy indices whose units are in service at r in t)."""

    data: Data
    bought: dict[tuple[int, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    active: dict[tuple[int, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    _loose_it_mw: float | None = None

    def __post_init__(self) -> None:
        for i, (_, _, r, t) in enumerate(self.data.buy):
            self.bought[r, t].append(i)
        for (_, _, r, t), idx in self.data.fleet.items():
            self.active[r, t].extend(idx)

    def sites(self, tag: str | None = None) -> list[int]:
        """Regions (carrying ``tag``) where something can be bought; the others cannot gain from a rule."""
        buyable = {r for _, _, r, _ in self.data.buy}
        return [r for r, region in enumerate(self.data.regions)
                if r in buyable and (tag is None or tag in region.tags)]

    def is_foreign(self, i: int) -> bool:
        c, _, r, _ = self.data.buy[i]
        return not self.data.is_domestic(c, r)

    def facility_mw_bound(self, model: Any, r: int, t: int) -> float:
        """Most facility MW the site can carry in period t: existing MW plus the whole blocks that fit under
        the grid cap (the core's power and power_cap rows). In an elastic (diagnosis) model whose grid cap
        may give, the bound that serving all demand needs (as the core's cooling rows do)."""
        data = self.data
        existing, cap, block = float(data.existing_mw[r]), float(data.power_mw[r, t]), float(data.block_mw[r])
        bound = existing + math.floor((cap - existing) / block + 1e-9) * block if math.isfinite(cap) else math.inf
        if "power_cap" in getattr(model, "tp_elastic", ()) or not math.isfinite(bound):
            if self._loose_it_mw is None:
                self._loose_it_mw = data.it_mw_upper_bound()
            loose = existing + self._loose_it_mw * float(np.max(data.pue)) * float(data.pue_factor[r])
            bound = loose if not math.isfinite(bound) else max(bound, loose)
        return bound


def capex_terms(model: Any, data: Data, index: SiteIndex, r: int, t: int, base: Base
                ) -> tuple[list[tuple[float, Any]], float]:
    """Nominal capex paid at site r in period t (MONEY) as ``(coefficient, variable)`` pairs, and the largest
    value it can take (a valid big-M).

    - ``domestic_accelerators``: accelerators of chips domestic at the site (price x multipliers x units);
    - ``accelerators``: all accelerators bought there;
    - ``project``: the site's whole capex in the period: accelerators, cooling capex, facility blocks built,
      and (first period) the cooling fixed costs.

    Bound: units bought in t are in service in t, so their facility MW is at most the site's bound B[r,t]
    (:meth:`SiteIndex.facility_mw_bound`); their capex is at most B x the largest capex per facility MW among
    the site's options. Blocks built in t add at most ``facility_capex_per_mw`` x (B - existing MW); fixed
    cooling costs at most their sum.
    """
    cost, keys = data.costs, model.tp_keys["buy"]
    terms: list[tuple[float, Any]] = []
    per_mw = 0.0
    for i in index.bought.get((r, t), []):
        if base == "domestic_accelerators" and index.is_foreign(i):
            continue
        coef = float(cost.capex_accel[i]) + (float(cost.capex_cooling[i]) if base == "project" else 0.0)
        if coef <= 0.0:
            continue
        terms.append((coef, model.buy[keys[i]]))
        if cost.facility_mw[i] > 0:
            per_mw = max(per_mw, coef / float(cost.facility_mw[i]))
    mw = index.facility_mw_bound(model, r, t)
    bound = per_mw * mw
    if base == "project":
        rid, year = data.region_ids[r], data.periods[t]
        block = data.block_capex(r)
        if block > 0 and (rid, year) in model.build:
            terms.append((block, model.build[rid, year]))
            bound += block * math.ceil((mw - float(data.existing_mw[r])) / float(data.block_mw[r]) - 1e-9)
        if t == 0:
            from tokenplan.coefficients import MONEY

            for k, rr in data.cool_sites:
                fixed = float(data.site_fixed_cost[k]) / MONEY
                if rr == r and fixed > 0:
                    terms.append((fixed, model.cool_on[data.cooling_ids[k], rid]))
                    bound += fixed
    return terms, bound


def linear(terms: list[tuple[float, Any]], scale: float = 1.0) -> Any:
    """Sum of ``scale x coefficient x variable``."""
    import pyomo.environ as pyo

    return pyo.quicksum(scale * a * v for a, v in terms)


#: Names of the components the domestic-only condition shares between rules.
DOMESTIC_ONLY_VAR = "domestic_only_site"
DOMESTIC_ONLY_ROWS = "domestic_only"


def domestic_only_choice(model: Any, data: Data, index: SiteIndex, sites: list[int]) -> dict[int, Any]:
    """The domestic-only condition of site benefits: one binary per site, shared by every rule that asks.

    ``domestic_only_site[r]`` = 1: the site buys no foreign chip in any period (and may take every benefit
    that requires it). Rows ``domestic_only[r, y]``: facility MW of foreign units bought at r in y
    <= B[r, y] x (1 - domestic_only_site[r]), with B the site's facility-MW bound
    (:meth:`SiteIndex.facility_mw_bound`): tight, since the foreign units bought in y are in service in y and
    share the site's power with everything else. A rule then bounds its benefit by ``U x domestic_only_site[r]``.

    Sharing is exact: a benefit is never negative, so a site that is domestic-only for one rule loses nothing
    by taking every other benefit that asks the same, and one binary per site keeps the relaxation tighter
    than one per rule. Returns region index -> the binary, or 1.0 for a site without any foreign option.
    """
    import pyomo.environ as pyo

    var = model.component(DOMESTIC_ONLY_VAR)
    if var is None:
        var = pyo.Var(pyo.Any, dense=False, domain=pyo.Binary,
                      doc="the site buys domestic chips only, in every period (and takes the benefits)")
        model.add_component(DOMESTIC_ONLY_VAR, var)
        model.add_component(DOMESTIC_ONLY_ROWS, pyo.Constraint(
            pyo.Any, doc="foreign facility MW bought <= B x (1 - domestic_only_site) (MW)"))
    rows = model.component(DOMESTIC_ONLY_ROWS)
    cost, keys = data.costs, model.tp_keys["buy"]
    out: dict[int, Any] = {}
    for r in sites:
        rid = data.region_ids[r]
        foreign = {t: [i for i in index.bought.get((r, t), []) if index.is_foreign(i)]
                   for t in range(data.horizon.n)}
        if not any(foreign.values()):
            out[r] = 1.0
            continue
        out[r] = var[rid]
        if any((rid, y) in rows for y in data.periods):
            continue  # another rule made the rows already
        for t, idx in foreign.items():
            if idx:
                mw = pyo.quicksum(float(cost.facility_mw[i]) * model.buy[keys[i]] for i in idx)
                rows[rid, data.periods[t]] = mw <= index.facility_mw_bound(model, r, t) * (1 - var[rid])
    return out


def link_to_domestic_only(model: Any, data: Data, index: SiteIndex, name: str, benefit: Any,
                          bound: dict[tuple[str, int], float]) -> None:
    """Rows ``<name>_take_link[r, y]``: ``benefit[r, y] <= bound[r, y] x domestic_only_site[r]`` for every
    key of ``bound`` whose site has a foreign option (a site without one is domestic-only anyway)."""
    import pyomo.environ as pyo

    keys = list(bound)
    sites = sorted({data.region_index(rid) for rid, _ in keys})
    take = domestic_only_choice(model, data, index, sites)
    linked = [key for key in keys if not isinstance(take[data.region_index(key[0])], float)]
    model.add_component(f"{name}_take_link", pyo.Constraint(
        linked, rule=lambda m, rid, y: benefit[rid, y] <= bound[rid, y] * take[data.region_index(rid)],
        doc="benefit <= its bound x domestic_only_site (MONEY)"))


def foreign_accelerators(model: Any, data: Data, index: SiteIndex, r: int) -> int:
    """Foreign accelerators bought at site r over the horizon (solved values)."""
    keys = model.tp_keys["buy"]
    return sum(round(value_of(model.buy[keys[i]])) * int(data.unit_size[data.buy[i][0]])
               for t in range(data.horizon.n) for i in index.bought.get((r, t), []) if index.is_foreign(i))
