"""``policy.domestic_share``: at least a share of the accelerators bought (or of their capex) is domestic.

With ``w[i]`` = accelerators per unit (``measure = "accelerators"``) or nominal accelerator capex per unit
(``"capex"``, MONEY, after licence fees), ``dom[i]`` = 1 when the chip is domestic in the tuple's region, and
the purchases i in scope (regions of ``countries``; a period, or the whole horizon):

    sum over i of (dom[i] - share) x w[i] x buy[i] >= 0       (one row per period, or one row)

which is ``domestic >= share x total`` without a ratio. No big-M, no new variable. Disabled by default.
"""

from __future__ import annotations

from typing import Any, Literal

from tokenplan import hookimpl
from tokenplan.coefficients import MONEY, Data
from tokenplan.plugins.rules._common import REUTERS_MANDATE, param, prefix, value_of
from tokenplan.records import Rule, RuleParams

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

    def _terms(self, data: Data) -> dict[int | None, list[tuple[float, float, int]]]:
        """Scope key (period index, or None for the horizon) -> [(w, dom, buy index)]."""
        p = self.params
        out: dict[int | None, list[tuple[float, float, int]]] = {}
        for i, (c, _, r, t) in enumerate(data.buy):
            if p.countries and data.regions[r].country not in p.countries:
                continue
            w = float(data.unit_size[c]) if p.measure == "accelerators" else float(data.costs.capex_accel[i])
            key = t if p.scope == "period" else None
            out.setdefault(key, []).append((w, 1.0 if data.is_domestic(c, r) else 0.0, i))
        return out

    def apply(self, model: Any, data: Data) -> None:
        import pyomo.environ as pyo

        p, name = self.params, prefix(self.id)
        keys = model.tp_keys["buy"]
        groups = {k: v for k, v in self._terms(data).items() if any(dom < 1.0 for _, dom, _ in v)}
        index = ["horizon" if k is None else data.periods[k] for k in groups]
        by_label = dict(zip(index, groups.values()))

        def rule(m: Any, label: Any) -> Any:
            lhs = pyo.quicksum((dom - p.share) * w * m.buy[keys[i]] for w, dom, i in by_label[label]
                               if (dom - p.share) * w != 0.0)
            if isinstance(lhs, int | float):
                return pyo.Constraint.Feasible if lhs >= 0 else pyo.Constraint.Infeasible
            return lhs >= 0

        model.add_component(f"{name}", pyo.Constraint(index, rule=rule,
                                                      doc="domestic - share x total >= 0 (accelerators or MONEY)"))

    def report(self, model: Any, data: Data) -> dict[str, Any]:
        p = self.params
        keys = model.tp_keys["buy"]
        rows = []
        per_period: dict[int, dict[str, float]] = {}
        for i, (c, _, r, t) in enumerate(data.buy):
            if p.countries and data.regions[r].country not in p.countries:
                continue
            units = round(value_of(model.buy[keys[i]]))
            if not units:
                continue
            row = per_period.setdefault(data.periods[t], {"domestic_accelerators": 0, "accelerators": 0,
                                                          "domestic_capex": 0.0, "capex": 0.0})
            acc, capex = units * int(data.unit_size[c]), units * float(data.costs.capex_accel[i]) * MONEY
            dom = data.is_domestic(c, r)
            row["accelerators"] += acc
            row["capex"] += capex
            if dom:
                row["domestic_accelerators"] += acc
                row["domestic_capex"] += capex
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
