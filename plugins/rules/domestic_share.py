"""``policy.domestic_share``: at least a share of the accelerators bought (or of their capex) is domestic.

With ``w[i]`` = accelerators per unit (``measure = "accelerators"``) or nominal accelerator capex per unit
(``"capex"``, model money, after licence fees), ``dom[i]`` = 1 when the chip is domestic in the tuple's region, and
the purchases i in scope (regions of ``countries``; a period, or the whole horizon):

    sum over i of (dom[i] - share) x w[i] x buy[i] >= 0       (one row per period, or one row)

With ``measure = "accelerators"``, rentals (``[[rentals]]``) count too: each accelerator whose rental starts in
scope (the offer's region in ``countries``) with ``w`` = 1 and ``dom`` = 1 when the offer's origin is that
region's country. Rentals have no capex, so ``measure = "capex"`` does not see them.

which is ``domestic >= share x total`` without a ratio. No big-M, no new variable. Disabled by default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from tokenplan import hookimpl
from tokenplan.model import Family, Row
from tokenplan.plugins.rules._common import REUTERS_MANDATE, param, prefix
from tokenplan.records import Rule, RuleParams

if TYPE_CHECKING:
    from tokenplan import Cause
    from tokenplan.model import Data, ModelContext, Purchase

_WHAT_IF = ("no published national share target; a what-if and Pareto-study parameter (the Nov-2025 mandate is "
            f"100% for state-funded projects: {REUTERS_MANDATE})")


class DomesticShareParams(RuleParams):
    enabled: bool = param(False, "The policy is off unless a problem or study switches it on", _WHAT_IF)
    share: float = param(0.5, "Minimum domestic share", _WHAT_IF, ge=0, le=1)
    measure: Literal["accelerators", "capex"] = param(
        "accelerators", "Share of accelerators bought, or of accelerator capex (nominal, after licence fees)",
        "design.md section 2 (policy.domestic_share)")
    scope: Literal["period", "horizon"] = param("horizon", "One row per period, or one over the whole horizon",
                                                "design.md section 2 (policy.domestic_share)")
    countries: list[str] = param([], "Countries of the regions that count (empty: every region)", "the rule")


class DomesticShare(Rule):
    id = "policy.domestic_share"
    description = "At least a share of the accelerators bought (or of their capex) is domestic (off by default)"
    Params = DomesticShareParams
    params: DomesticShareParams

    def _terms(self, ctx: ModelContext) -> dict[int | None, list[tuple[float, float, Purchase]]]:
        """Scope key (period, or None for the horizon) -> [(w, dom, purchase)]."""
        p = self.params
        out: dict[int | None, list[tuple[float, float, Purchase]]] = {}
        for pu in ctx.purchases:
            if p.countries and ctx.regions[pu.region].country not in p.countries:
                continue
            w = float(pu.accelerators) if p.measure == "accelerators" else pu.capex_accel
            key = pu.year if p.scope == "period" else None
            out.setdefault(key, []).append((w, 1.0 if pu.domestic else 0.0, pu))
        if p.measure == "accelerators":  # rentals count by their origin, when they start (no capex: not in "capex")
            for rs in ctx.rental_starts():
                if p.countries and ctx.regions[rs.region].country not in p.countries:
                    continue
                key = rs.year if p.scope == "period" else None
                out.setdefault(key, []).append((1.0, 1.0 if rs.domestic else 0.0, rs))
        return out

    #: a new share remakes the rows (the same scopes and purchases: a patch while no term's coefficient
    #: becomes 0, i.e. for shares strictly between 0 and 1)
    patchable = frozenset({"share"})

    def _family(self, ctx: ModelContext) -> Family:
        p, name = self.params, prefix(self.id)
        groups = {k: v for k, v in self._terms(ctx).items() if any(dom < 1.0 for _, dom, _ in v)}

        def rows(ctx: ModelContext) -> dict[Any, Row]:
            out = {}
            for key, terms in groups.items():
                lhs = ctx.sum((dom - p.share) * w * pu.var for w, dom, pu in terms if (dom - p.share) * w != 0.0)
                out["horizon" if key is None else key] = Row(lhs, 0.0)
            return out

        unit, per = ("accelerators", "accelerator") if p.measure == "accelerators" else ("{cur}", "{cur}")
        return Family(
            name=name, index=("scope",), sense=">=", unit=unit, per=per, rows=rows,
            doc="domestic - share x total >= 0 (accelerators, or model money)", elastic="cap",
            model_unit=1.0 if p.measure == "accelerators" else ctx.money, input_key=f"rules.{self.id}.share")

    def apply(self, ctx: ModelContext) -> None:
        ctx.add_family(self._family(ctx))

    def refresh(self, ctx: ModelContext, old: RuleParams) -> bool:
        """A new share: the rows remade (a share of 0 or 1 drops terms: the resolver then rebuilds)."""
        return ctx.refresh_family(self._family(ctx))

    def check(self, data: Data) -> list[Cause]:
        """A positive share where every purchase option of a scope is foreign: nothing can be bought there,
        so the demand cannot be served (when every option of the period is in the scope)."""
        from tokenplan import Cause

        p = self.params
        if p.share <= 0 or not data.buy:
            return []
        causes = []
        scopes: dict[int | None, list[tuple[int, int, int]]] = {}
        for c, _k, r, t in data.buy:
            scopes.setdefault(t if p.scope == "period" else None, []).append((c, r, t))
        for key, options in scopes.items():
            if not all(not p.countries or data.regions[r].country in p.countries for _, r, _ in options):
                continue  # a region outside the scope can serve without the share
            if any(data.is_domestic(c, r) for c, r, _ in options):
                continue
            periods = sorted({t for _, _, t in options})
            if not any(data.demand_tps[:, t].sum() > 0 for t in periods):
                continue
            foreign = sorted({f"{data.chips[c].id} ({data.chips[c].origin})" for c, _, _ in options})
            countries = sorted({data.regions[r].country for _, r, _ in options})
            when = "over the horizon" if key is None else f"in {data.periods[key]}"
            shown = ", ".join(foreign[:6]) + (f" and {len(foreign) - 6} more" if len(foreign) > 6 else "")
            causes.append(Cause(
                family=self.id, constraint=prefix(self.id),
                where={"scope": "horizon" if key is None else data.periods[key]},
                message=f"{self.id} requires {p.share:.0%} domestic {p.measure} {when} in "
                        f"{', '.join(countries)}, but no allowed chip is domestic there: {shown}",
                fix=f"lower rules.\"{self.id}\".share, or allow a chip made in {', '.join(countries)} (chips.allow)"))
        return causes

    def report(self, ctx: ModelContext) -> dict[str, Any]:
        p = self.params
        rows = []
        per_period: dict[int, dict[str, float]] = {}
        for pu in ctx.purchases:
            if p.countries and ctx.regions[pu.region].country not in p.countries:
                continue
            units = round(ctx.value(pu.var))
            if not units:
                continue
            row = per_period.setdefault(pu.year, {"domestic_accelerators": 0, "accelerators": 0,
                                                  "domestic_capex": 0.0, "capex": 0.0})
            acc, capex = units * pu.accelerators, units * pu.capex_accel * ctx.money
            row["accelerators"] += acc
            row["capex"] += capex
            if pu.domestic:
                row["domestic_accelerators"] += acc
                row["domestic_capex"] += capex
        for rs in ctx.rental_starts():  # rented accelerators, counted when their rental starts, by origin
            units = round(ctx.value(rs.var))
            if not units or (p.countries and ctx.regions[rs.region].country not in p.countries):
                continue
            row = per_period.setdefault(rs.year, {"domestic_accelerators": 0, "accelerators": 0,
                                                  "domestic_capex": 0.0, "capex": 0.0})
            row["accelerators"] += units
            row["domestic_accelerators"] += units if rs.domestic else 0
        total = {"domestic_accelerators": 0, "accelerators": 0, "domestic_capex": 0.0, "capex": 0.0}
        for year, row in sorted(per_period.items()):
            for k in total:
                total[k] += row[k]
            rows.append({"period": year, **row, **_shares(row)})
        shares = _shares(total)
        measured = shares["accelerator_share"] if p.measure == "accelerators" else shares["capex_share"]
        summary = (f"domestic share {measured:.1%} of {p.measure} over the horizon (minimum {p.share:.0%} per "
                   f"{p.scope})")
        return {"summary": summary, "parameters": p.model_dump(), **shares,
                "money": ["domestic_capex", "capex"], "by_period": rows}


def _shares(row: dict[str, float]) -> dict[str, float]:
    return {"accelerator_share": row["domestic_accelerators"] / row["accelerators"] if row["accelerators"] else 0.0,
            "capex_share": row["domestic_capex"] / row["capex"] if row["capex"] else 0.0}


@hookimpl
def tokenplan_rules() -> list[type[Rule]]:
    return [DomesticShare]
