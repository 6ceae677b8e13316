"""Console rendering with rich: the plan and KPIs of a result, catalogs and the plugin list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginInfo
    from tokenplan.result import Result


def money(value: float | None, currency: str) -> str:
    if value is None:
        return "-"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.3f} {suffix} {currency}"
    return f"{value:,.2f} {currency}"


def status_line(result: Result) -> str:
    parts = [f"status: [bold]{result.status}[/bold]"]
    if result.objective is not None:
        parts.append(f"net present cost {money(result.objective, result.currency)}")
    if result.gap is not None and result.status != "optimal":
        parts.append(f"gap {result.gap:.3%}")
    if result.termination and result.termination.lower() != "optimal":
        parts.append(f"({result.termination})")
    return "  ".join(parts)


def print_diagnosis(console: Console, diagnosis: dict[str, Any]) -> None:
    """One line per cause, each with its amount and what to change; the summary for older diagnoses."""
    causes = diagnosis.get("causes")
    if not causes:
        console.print(f"[red]diagnosis:[/red] {escape(diagnosis['summary'])}")
        return
    how = "before solving" if diagnosis.get("method") == "precheck" else "elastic re-solve"
    console.print(f"[red]diagnosis[/red] ({how}):")
    for cause in causes:
        console.print(f"  - {escape(cause['message'])}")
        console.print(f"    [dim]to fix:[/dim] {escape(cause['fix'])}")
    if diagnosis.get("partial"):
        console.print(f"  [yellow]{escape(diagnosis['partial_note'])}[/yellow]")
    conflict = diagnosis.get("iis")
    if conflict:
        console.print(f"  [dim]second opinion (HiGHS IIS):[/dim] {escape(conflict['summary'])}")


def print_result(result: Result, console: Console, *, quiet: bool = False) -> None:
    """The status line; then, unless ``quiet``: the diagnosis, the plan, KPIs, binding constraints, what each
    rule did, plugin report sections, warnings and timings."""
    console.print(status_line(result))
    if quiet:
        return
    if result.diagnosis:
        print_diagnosis(console, result.diagnosis)
    if not result.solved:
        for message in result.warnings:  # an infeasible problem's cause is often among them
            console.print(f"[yellow]warning:[/yellow] {escape(message)}")
        return
    console.print(plan_table(result))
    console.print(kpi_table(result))
    if result.binding:
        console.print(binding_table(result))
    for section, content in result.rules.items():
        print_section(console, section, content, result.currency)
    for section, content in result.reports.items():
        console.print(f"[bold]{escape(section)}[/bold]: {escape(str(content))}")
    for message in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}")
    t = result.timings
    console.print(f"build {t.get('build_s', 0):.2f} s, solve {t.get('solve_s', 0):.2f} s", style="dim")


def plan_table(result: Result) -> Table:
    table = Table(title=f"Plan: {escape(result.problem_name)}", show_lines=False)
    for name, justify in (("period", "left"), ("region", "left"), ("chip", "left"), ("cooling", "left"),
                          ("units bought", "right"), ("accel. bought", "right"), ("accel. active", "right"),
                          ("IT MW", "right"), ("facility MW", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in result.plan.itertuples(index=False):
        table.add_row(str(row.period), row.region, row.chip, row.cooling, f"{row.units_bought:,}",
                      f"{row.accelerators_bought:,}", f"{row.accelerators_active:,}", f"{row.it_mw:,.2f}",
                      f"{row.facility_mw:,.2f}")
    return table


def kpi_table(result: Result) -> Table:
    k, cur = result.kpis, result.currency
    kpis = Table(title="KPIs (present values)", show_header=False)
    kpis.add_column("kpi")
    kpis.add_column("value", justify="right")
    for label, value in (("capex", money(k["capex"], cur)), ("opex", money(k["opex"], cur)),
                         ("subsidy", money(k["subsidy"], cur)), ("salvage", money(k["salvage"], cur)),
                         ("net present cost", money(result.objective, cur)),
                         ("accelerators bought", f"{k['accelerators']:,.0f}"),
                         ("peak IT MW", f"{k['it_mw']:,.2f}"), ("peak facility MW", f"{k['facility_mw']:,.2f}"),
                         ("cost per million tokens", money(k["cost_per_million_tokens"], cur))):
        kpis.add_row(label, value)
    return kpis


def binding_table(result: Result) -> Table:
    top = sorted(result.binding, key=lambda b: -b["shadow_price"])[:10]
    duals = Table(title="Binding constraints (shadow prices, conditional on the integer plan)")
    for name in ("constraint", "where", "shadow price"):
        duals.add_column(name)
    for b in top:
        where = ", ".join(f"{v}" for v in b["where"].values())
        duals.add_row(b["constraint"], where, f"{b['shadow_price']:,.4g} {b['unit']}")
    return duals


def _cell(v: Any, is_money: bool, currency: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if is_money and isinstance(v, int | float):
        return money(v, currency)
    if isinstance(v, int):
        return str(v) if 1900 <= v <= 2200 else f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def print_section(console: Console, section: str, content: Any, currency: str) -> None:
    """A rule's report: its "summary" line, then every list of rows as a table; columns named in its
    "money" list are in the problem currency."""
    if not isinstance(content, dict):
        console.print(f"[bold]{escape(section)}[/bold]: {escape(str(content))}")
        return
    console.print(f"[bold]{escape(section)}[/bold]: {escape(str(content.get('summary', '')))}")
    money_columns = set(content.get("money", []))
    for key, rows in content.items():
        if key == "actions":  # the rows of the result's rules table (Result.rule_actions), not repeated here
            continue
        if not (isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)):
            continue
        columns = list(dict.fromkeys(c for r in rows for c in r))
        sub = Table(title=f"{escape(section)}: {key.replace('_', ' ')}", title_justify="left")
        for c in columns:
            numeric = all(isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool) for r in rows)
            sub.add_column(c.replace("_", " "), justify="right" if numeric else "left")
        for r in rows:
            sub.add_row(*(escape(_cell(r.get(c), c in money_columns, currency)) for c in columns))
        console.print(sub)


def plugins_table(infos: list[PluginInfo], contributes: dict[str, str]) -> Table:
    table = Table(title="tokenplan plugins")
    for name in ("name", "distribution", "version", "status", "contributes", "hooks"):
        table.add_column(name)
    for info in infos:
        table.add_row(info.name, info.distribution or "-", info.version or "-", info.status,
                      contributes.get(info.name, ""), ", ".join(h.removeprefix("tokenplan_") for h in info.hooks))
    return table


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def chips_table(catalog: Catalog) -> Table:
    table = Table(title="Chips (* = estimate)")
    for name in ("id", "origin", "FP8 TF", "BF16 TF", "HBM GB", "TB/s", "W", "unit", "price", "cooling",
                 "plugin"):
        table.add_column(name, justify="right" if name in ("FP8 TF", "BF16 TF", "HBM GB", "TB/s", "W", "unit",
                                                            "price") else "left")
    for chip in catalog.chips():
        def mark(field: str, text: str, chip: Any = chip) -> str:
            return text + ("*" if chip.is_estimate(field) and text != "-" else "")
        price = "-" if chip.price_per_accel is None else \
            f"{chip.price_per_accel:,.0f} {chip.price_currency or ''}".strip()
        table.add_row(
            chip.id + (" (cloud)" if chip.cloud_only else ""), chip.origin,
            mark("tflops.fp8", _num(chip.tflops.get("fp8"))), mark("tflops.bf16", _num(chip.tflops.get("bf16"))),
            mark("hbm_gb", _num(chip.hbm_gb)), mark("mem_bw_tbs", _num(chip.mem_bw_tbs, "{:,.2f}")),
            mark("tdp_w", _num(chip.tdp_w)), mark("unit_size", str(chip.unit_size)), mark("price_per_accel", price),
            mark("cooling", ",".join(chip.cooling)), catalog.provider.get(("chip", chip.id), "?"))
    return table


def coolings_table(catalog: Catalog) -> Table:
    table = Table(title="Cooling options (* = estimate)")
    for name in ("id", "PUE", "max rack kW", "capex/kW IT", "opex/kW IT/yr", "site fixed", "water L/kWh",
                 "plugin"):
        table.add_column(name)
    for k in catalog.coolings():
        def mark(field: str, text: str, k: Any = k) -> str:
            return text + ("*" if k.is_estimate(field) else "")
        cur = k.currency or ""
        table.add_row(k.id, mark("pue", f"{k.pue:.2f}"), mark("max_rack_kw", f"{k.max_rack_kw:,.0f}"),
                      mark("capex_per_kw_it", f"{k.capex_per_kw_it:,.0f} {cur}"),
                      mark("opex_per_kw_it_year", f"{k.opex_per_kw_it_year:,.0f} {cur}"),
                      mark("site_fixed_cost", f"{k.site_fixed_cost:,.0f} {cur}"),
                      mark("water_l_per_kwh", _num(k.water_l_per_kwh, "{:.2f}")),
                      catalog.provider.get(("cooling", k.id), "?"))
    return table


def regions_table(catalog: Catalog) -> Table:
    table = Table(title="Regions")
    for name in ("id", "name", "country", "tags", "power price /kWh", "PUE cap", "plugin"):
        table.add_column(name)
    for r in catalog.regions():
        price = r.power_price_per_kwh
        price_text = "-" if price is None else (f"{price:g} {r.currency or ''}" if not isinstance(price, dict)
                                                else ", ".join(f"{y}: {v:g}" for y, v in price.items()))
        table.add_row(r.id, r.name or "", r.country, ", ".join(r.tags), price_text,
                      _num(r.pue_cap, "{:.2f}"), catalog.provider.get(("region", r.id), "?"))
    return table


def rules_table(catalog: Catalog) -> Table:
    table = Table(title="Rules")
    for name in ("id", "description", "parameters", "plugin"):
        table.add_column(name)
    for rule_id, cls in catalog.rules().items():
        params = ", ".join(f"{k}={v.default!r}" for k, v in cls.Params.model_fields.items())
        table.add_row(rule_id, cls.description, params, catalog.provider.get(("rule", rule_id), "?"))
    return table
