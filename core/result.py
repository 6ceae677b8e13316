"""Result: the solved plan as tables, KPIs and shadow prices, and its JSON / CSV / Parquet forms.

``make(model, data, solution) -> Result``. Money in the result is in the problem currency (the model works
in millions). KPIs are present values at the first period's year, so that
``objective = capex + opex - subsidy - salvage``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tokenplan.coefficients import MONEY, Data
from tokenplan.files import WriteError, atomic_set
from tokenplan.model.installed import installed_kept
from tokenplan.model.rentals import rented_rows
from tokenplan.solver import Solution, loaded

#: the tidy tables of a result besides the plan (:mod:`tokenplan.accounts`), in ``--out`` as CSV and Parquet
TABLES = ("costs_by_period", "sites", "hbm", "rules")
#: the files :meth:`Result.write` writes (``--out``)
OUT_FILES = ("plan.csv", "plan.parquet", "kpis.json", *(f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")))

PLAN_COLUMNS = ["period", "region", "chip", "cooling", "units_bought", "accelerators_bought",
                "accelerators_active", "it_mw", "facility_mw", "accelerators_serving",
                "accelerators_installed", "accelerators_retired", "accelerators_rented", "accelerators_online"]



@dataclass
class Result:
    """A solved (or diagnosed) problem."""

    status: str
    objective: float | None
    currency: str
    gap: float | None
    bound: float | None
    kpis: dict[str, float]
    plan: pd.DataFrame
    binding: list[dict[str, Any]]
    diagnosis: dict[str, Any] | None
    timings: dict[str, float]
    termination: str = ""
    warnings: list[str] = field(default_factory=list)
    cost_terms: dict[str, float] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    incumbents: list[dict[str, Any]] = field(default_factory=list)
    #: purchases that rules removed before the model was built: chip, region, period (None: every), reason
    forbidden: list[dict[str, Any]] = field(default_factory=list)
    problem_name: str = ""
    #: the scenarios and ``--set`` overrides applied to the problem file (``Problem.applied``)
    applied: dict[str, list[str]] = field(default_factory=dict)
    #: what produced the result: versions, plugins, the problem's hash, options, machine, time
    #: (``tokenplan.provenance``; set by ``tokenplan.solve``)
    provenance: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    data: Data | None = None
    #: the model as HiGHS took it (``tokenplan.matrix.Matrix``; a fast re-solve patches it)
    matrix: Any = None
    #: the money and use tables (:mod:`tokenplan.accounts`): costs_by_period, sites, hbm, rules
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def costs_by_period(self) -> pd.DataFrame:
        """Per period: capex committed, licence fees, opex, subsidies, cash out (nominal and present value)."""
        return self._table("costs_by_period")

    @property
    def sites(self) -> pd.DataFrame:
        """Per site and period: IT and facility MW against the grid cap and the built capacity, blocks built."""
        return self._table("sites")

    @property
    def hbm(self) -> pd.DataFrame:
        """Per HBM pool and period: HBM bought against the supply."""
        return self._table("hbm")

    @property
    def rule_actions(self) -> pd.DataFrame:
        """What each rule did: bans with their reasons, licence fees, subsidies taken or refused and why."""
        return self._table("rules")

    def _table(self, name: str) -> pd.DataFrame:
        from tokenplan import accounts

        columns = {"costs_by_period": accounts.PERIOD_COLUMNS, "sites": accounts.SITE_COLUMNS,
                   "hbm": accounts.HBM_COLUMNS, "rules": accounts.RULE_COLUMNS}[name]
        return self.tables.get(name, pd.DataFrame(columns=columns))

    @property
    def duals(self) -> pd.DataFrame:
        """Shadow prices of binding constraints (conditional on the integer plan)."""
        rows = [{"constraint": b["constraint"], **b["where"], "shadow_price": b["shadow_price"],
                 "unit": b["unit"]} for b in self.binding]
        return pd.DataFrame(rows)

    @property
    def idle(self) -> pd.DataFrame:
        """Accelerators in service that serve no workload, per period, region and chip (see :func:`idle_table`)."""
        return idle_table(self.plan)

    @property
    def solved(self) -> bool:
        return self.objective is not None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (design section 5; keys are stable: add, do not rename)."""
        plan = [{k: _plain(v) for k, v in row.items()} for row in self.plan.to_dict(orient="records")]
        out: dict[str, Any] = {
            "status": self.status,
            "objective": self.objective,
            "currency": self.currency,
            "gap": self.gap,
            "kpis": {k: _plain(v) for k, v in self.kpis.items()},
            "plan": plan,
            "binding": self.binding,
            "diagnosis": self.diagnosis,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            # additions to the design's keys
            "bound": self.bound,
            "termination": self.termination,
            "cost_terms": self.cost_terms,
            "rules": self.rules,
            "reports": self.reports,
            "warnings": self.warnings,
            "idle": [{k: _plain(v) for k, v in row.items()} for row in self.idle.to_dict(orient="records")],
            "forbidden": self.forbidden,
            "applied": self.applied,
            "problem_name": self.problem_name,
            "tables": {name: _records(self._table(name)) for name in TABLES},
            "provenance": self.provenance,
        }
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=_plain)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write plan.csv, plan.parquet and kpis.json (KPIs, status, objective) into ``out_dir``, created if
        missing (with its parents).

        The three are written to temporary files in ``out_dir`` first and renamed into place together
        (:func:`tokenplan.files.atomic_set`): an error or an interrupt while writing leaves the files there as
        they were; a symbolic link at a file's place is replaced, its target untouched. A failure raises
        :class:`tokenplan.files.WriteError` (an ``OSError``), which says which files were replaced."""
        out = Path(out_dir)
        names = list(OUT_FILES)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(exc, out, [], [out / n for n in names]) from exc
        doc = {k: v for k, v in self.to_dict().items() if k not in ("plan", "tables")}
        text = json.dumps(doc, indent=2, allow_nan=False, default=_plain) + "\n"
        files: list[tuple[Path, Any]] = [
            (out / names[0], lambda tmp: self.plan.to_csv(tmp, index=False)),
            (out / names[1], lambda tmp: self.plan.to_parquet(tmp, index=False)),
            (out / names[2], lambda tmp: Path(tmp).write_text(text, encoding="utf-8")),
        ]
        for name in TABLES:
            table = _tidy(self._table(name))
            files.append((out / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False)))
            files.append((out / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp, index=False)))
        return atomic_set(files)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """A table Parquet can store: a column of mixed years and labels (``costs_by_period``'s ``salvage``
    row) as text."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(type).nunique() > 1:
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    return out


def _plain(v: Any) -> Any:
    if v is pd.NA:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def make(model: Any, data: Data, solution: Solution, *, warnings: list[str] | None = None,
         timings: dict[str, float] | None = None, details: bool = True) -> Result:
    """Turn a solution (values loaded in ``model``) into a :class:`Result`; without ``details``, no rules'
    reports and no money tables (``rules`` and ``tables`` empty: a study's scenario keeps neither)."""
    currency = data.problem.problem.currency
    all_timings = {**(timings or {}), **solution.timings}
    warnings = list(warnings or [])
    if solution.time_capped:
        warnings.append("the time limit, not their work limits, stopped these solver phases: "
                        f"{', '.join(solution.time_capped)}; the plan may differ on a less loaded machine or "
                        "with a longer --time-limit")
    common = dict(currency=currency, timings=all_timings, termination=solution.termination,
                  warnings=warnings, problem_name=data.problem.problem.name,
                  applied=dict(data.problem.applied), model=model, matrix=solution.matrix,
                  data=data, forbidden=forbidden_list(data),
                  incumbents=[{"seconds": s, "objective": o * MONEY, "source": src}
                              for s, o, src in solution.incumbents])
    if not solution.has_plan:
        return Result(solution.status, None, gap=None,
                      bound=None if solution.bound is None else solution.bound * MONEY,
                      kpis={}, plan=pd.DataFrame(columns=PLAN_COLUMNS), binding=[], diagnosis=None, **common)
    ctx = model.tp_ctx
    x = loaded(solution.matrix, solution.x) if solution.matrix is not None and solution.x is not None else None
    terms = {name: value * MONEY for name, value in ctx.term_values(solution.matrix, x).items()}
    cats: dict[str, float] = {"capex": 0.0, "opex": 0.0, "subsidy": 0.0, "salvage": 0.0}
    for t in ctx.cost_terms:
        cats[t.category] += terms[t.name]
    plan = plan_table(model, data)
    objective = solution.objective * MONEY
    kpis = {
        "capex": cats["capex"],
        "opex": cats["opex"],
        "subsidy": -cats["subsidy"] + 0.0,
        "salvage": -cats["salvage"] + 0.0,
        "accelerators": float(plan["accelerators_bought"].sum()),
        "it_mw": _peak(plan, "it_mw"),
        "facility_mw": _peak(plan, "facility_mw"),
        "cost_per_million_tokens": float(objective / discounted_million_tokens(data)),
    }
    if data.rentals:  # rented accelerators, per period at most (absent: the KPIs of before)
        kpis["accelerators_rented_peak"] = float(plan.groupby("period")["accelerators_rented"].sum().max()) \
            if len(plan) else 0.0
    if data.installed:  # the installed fleet (absent: the KPIs of before)
        kpis["accelerators_installed"] = float(sum(e.count for e in data.installed))
        kpis["accelerators_retired"] = float(plan["accelerators_retired"].sum())
    rules: dict[str, Any] = {}
    for rule in data.selection.rules if details else ():
        with data.selection.blame(rule, "report()"):
            section = rule.report(ctx)
        if section is not None:
            rules[rule.id] = section
    from tokenplan.accounts import tables as money_tables

    tables = money_tables(model, data, plan, rules) if details else {}
    idle = idle_table(plan)
    unit = {c.id: c.unit_size for c in data.chips}
    whole = idle[[row.accelerators_idle >= unit[row.chip] - 1e-6 for row in idle.itertuples()]] if len(idle) else idle
    if len(whole):  # less than one purchasable unit idle is the lumpiness of units, not a plan to question
        common["warnings"].append(idle_warning(whole, solution.status))
    return Result(solution.status, objective, gap=solution.gap,
                  bound=None if solution.bound is None else solution.bound * MONEY, kpis=kpis, plan=plan,
                  binding=binding(model, data, solution), diagnosis=None, cost_terms=terms, rules=rules,
                  tables=tables, **common)


def unsolved(model: Any, data: Data, status: str, *, diagnosis: dict[str, Any] | None, termination: str,
             warnings: list[str], timings: dict[str, float]) -> Result:
    """A result without a plan (e.g. infeasible before solving, with its diagnosis)."""
    return Result(status=status, objective=None, currency=data.problem.problem.currency, gap=None, bound=None,
                  kpis={}, plan=pd.DataFrame(columns=PLAN_COLUMNS), binding=[], diagnosis=diagnosis,
                  timings=timings, termination=termination, warnings=warnings, problem_name=data.problem.problem.name,
                  applied=dict(data.problem.applied), model=model, data=data, forbidden=forbidden_list(data))


def forbidden_list(data: Data) -> list[dict[str, Any]]:
    """The purchases rules removed before the model was built (``Data.forbid``), with their reasons."""
    return [{"chip": chip, "region": region, "period": year, "reason": reason}
            for (chip, region, year), reason in data.forbidden.items()]


def _peak(plan: pd.DataFrame, column: str) -> float:
    if plan.empty:
        return 0.0
    return float(plan.groupby("period")[column].sum().max())


def discounted_million_tokens(data: Data) -> float:
    """Tokens served over the horizon, each year discounted like money, in millions."""
    h = data.horizon
    total = sum(h.period_df(t) * data.tokens_per_day[:, t].sum() * 365.0 for t in range(h.n))
    return total / 1e6 if total > 0 else math.nan


def plan_table(model: Any, data: Data) -> pd.DataFrame:
    """One row per (period, region, chip, cooling) with anything bought or active."""
    ctx = model.tp_ctx
    purchases = ctx.purchases
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    def row(chip: str, cooling: str, region: str, year: int) -> dict[str, Any]:
        key = (year, region, chip, cooling)
        if key not in rows:
            rows[key] = {"period": year, "region": region, "chip": chip, "cooling": cooling,
                         "units_bought": 0, "accelerators_bought": 0, "accelerators_active": 0,
                         "it_mw": 0.0, "facility_mw": 0.0, "accelerators_serving": 0.0,
                         "accelerators_installed": 0, "accelerators_retired": 0, "accelerators_rented": 0,
                         "accelerators_online": 0.0}
        return rows[key]

    units = [0 if (v := p.var.value) is None else round(v) for p in purchases]  # .value: 20x pyo.value
    for p, n in zip(purchases, units):
        if n:
            r = row(*p.key)
            r["units_bought"] = n
            r["accelerators_bought"] = n * p.accelerators
    # the fleet in service: each purchase made, in every period it serves (in purchase order, as the sums
    # over ``data.fleet`` run)
    offline: dict[tuple[Any, ...], float] = {}
    for p, n in zip(purchases, units):
        if n:
            for year in p.active_years:
                r = row(p.chip, p.cooling, p.region, year)
                r["accelerators_active"] += n * p.accelerators
                if year == p.year and p.online_share < 1:  # due late in its period: serves part of it
                    key = (year, p.region, p.chip, p.cooling)
                    offline[key] = offline.get(key, 0.0) + n * p.accelerators * (1.0 - p.online_share)
                r["it_mw"] += n * p.it_mw
                r["facility_mw"] += n * p.facility_mw
    _installed_rows(model, data, row)
    _rental_rows(model, data, row)
    # serving is decided per chip and period (docs/formulation.md, "Why `serve` has no cooling and no
    # region"); each site's share of it is in proportion to the chip's accelerators in service there
    serving: dict[tuple[str, int], float] = {}
    for chip, workload, year in model.SERVE:
        value = model.serve[chip, workload, year].value
        serving[chip, year] = serving.get((chip, year), 0.0) + (0.0 if value is None else float(value))
    # serving capacity in full-period equivalents: what is in service, less the part of its first period a
    # late purchase is not yet online
    online_total: dict[tuple[str, int], float] = {}
    for key, r in rows.items():
        r["accelerators_online"] = max(0.0, r["accelerators_active"] - offline.get(key, 0.0))
        cp = (r["chip"], r["period"])
        online_total[cp] = online_total.get(cp, 0.0) + r["accelerators_online"]
    for r in rows.values():
        total = online_total.get((r["chip"], r["period"]), 0.0)
        served = serving.get((r["chip"], r["period"]), 0.0)
        if total > 1e-9 and served > 1e-9:
            r["accelerators_serving"] = min(served, total) * r["accelerators_online"] / total
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: (r["period"], r["region"], r["chip"],
                                                              r["cooling"])), columns=PLAN_COLUMNS)
    return table.astype({"units_bought": "int64", "accelerators_bought": "int64",
                         "accelerators_active": "int64", "accelerators_installed": "int64",
                         "accelerators_retired": "int64", "accelerators_rented": "int64"})


def _rental_rows(model: Any, data: Data, row: Any) -> None:
    """Rented accelerators in the plan rows (cooling ``rented:ID``, the offer's region): active and serving
    like the chip's own, without site MW (the cloud's power)."""
    for (year, region, chip, cooling), n, _offer in rented_rows(model, data):
        r = row(chip, cooling, region, year)
        r["accelerators_active"] += n
        r["accelerators_rented"] += n


def _installed_rows(model: Any, data: Data, row: Any) -> None:
    """The installed fleet in the plan rows: kept accelerators are active (and draw MW), retired ones are
    counted in the period they leave."""
    kept = installed_kept(model, data)
    for e in data.installed:
        for t in e.periods:
            year = data.periods[t]
            n, gone = kept[e.id, year]
            if not n and not gone:
                continue
            r = row(data.chip_ids[e.c], data.cooling_ids[e.k], data.region_ids[e.r], year)
            r["accelerators_active"] += n
            r["accelerators_installed"] += n
            r["accelerators_retired"] += gone
            r["it_mw"] += n * e.it_mw
            r["facility_mw"] += n * e.facility_mw


IDLE_COLUMNS = ["period", "region", "chip", "accelerators_active", "accelerators_serving", "accelerators_idle"]
#: idle = online (in service, less the part of its first period a late purchase is not yet online) - serving


def idle_table(plan: pd.DataFrame) -> pd.DataFrame:
    """Per period, region and chip with at least one whole accelerator in service that serves no workload:
    active, serving and idle accelerators. An optimal plan should have none beyond the MIP gap's rounding."""
    if plan.empty:
        return pd.DataFrame(columns=IDLE_COLUMNS)
    online = "accelerators_online" if "accelerators_online" in plan.columns else "accelerators_active"
    grouped = plan.groupby(["period", "region", "chip"], as_index=False)[
        list(dict.fromkeys(["accelerators_active", online, "accelerators_serving"]))].sum()
    grouped["accelerators_idle"] = grouped[online] - grouped["accelerators_serving"]
    return grouped[grouped["accelerators_idle"] >= 1.0 - 1e-6][IDLE_COLUMNS].reset_index(drop=True)


def idle_warning(idle: pd.DataFrame, status: str) -> str:
    """One line: how many accelerators are idle, where (the largest first); ``make`` warns where at least one
    whole purchasable unit is idle."""
    total = float(idle["accelerators_idle"].sum())
    top = idle.sort_values("accelerators_idle", ascending=False).head(5)
    where = "; ".join(f"{r.period} {r.region} {r.chip}: {r.accelerators_idle:,.0f}" for r in top.itertuples())
    more = f"; and {len(idle) - len(top)} more" if len(idle) > len(top) else ""
    plan = "the optimal plan" if status == "optimal" else "the plan"
    return (f"{total:,.0f} accelerators in service serve no workload in {plan}, whole units of them "
            f"(idle; result.idle, JSON 'idle'): "
            f"{where}{more}")


def binding(model: Any, data: Data, solution: Solution) -> list[dict[str, Any]]:
    """Shadow prices of the families with a nonzero dual (core and rule families that report them), in domain
    units (>= 0: the cost of one more unit of demand, or the saving from one more unit of capacity),
    conditional on the integer plan."""
    if solution.row_duals is None:
        return []
    ctx = model.tp_ctx
    families = {f.name: f for f in ctx.families if f.report_duals}
    out = []
    for con, dual in zip(solution.matrix.rows, solution.row_duals):
        family = families.get(con.parent_component().local_name)
        if family is None or abs(dual) < 1e-9:
            continue
        price = abs(float(dual)) * ctx.row_scale[family.name] * MONEY / family.model_unit
        if price < 1e-6:
            continue
        unit = family.label("{cur} per " + family.per, ctx.currency, ctx.hbm_unit)
        out.append({"constraint": family.name, "where": family.where(con.index()), "shadow_price": price,
                    "unit": unit})
    return out
