"""Console rendering with rich: the plan and KPIs of a result, catalogs and the plugin list.

Every table fits the console it is printed on, and no id is ever cut (:class:`Fitted`, docs/cli.md, "Console
output and terminal width"): a cell may wrap at its spaces, never inside a word; when the columns do not fit,
the table's low-value columns are left out first (their ``drop`` rank, highest first, named in the caption); when
the columns that must stay do not fit either, the table is stacked, one field per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from tokenplan.numbers import scaled, significant

if TYPE_CHECKING:
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginInfo
    from tokenplan.result import Result

def money(value: float | None, currency: str) -> str:
    """``1.181 B USD``, ``66.089 M USD``; under 1,000: :data:`tokenplan.numbers.DIGITS` significant digits
    (``0.04035 USD``, ``462.5 USD``), enough to compare plans by a small money per unit."""
    if value is None:
        return "-"
    number, suffix = scaled(value)
    if suffix:
        return f"{number:,.3f} {suffix} {currency}".rstrip()
    return f"{significant(value)} {currency}".rstrip()


def per_unit(value: float) -> str:
    """A price per unit (per kW, per accelerator): whole numbers from 1,000 on, :func:`significant` under."""
    return f"{value:,.0f}" if abs(value) >= 1000 else significant(value)


# ---- tables that fit the console -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A column of a :class:`Fitted` table.

    ``drop``: 0 for a column that is always shown (ids, the key numbers); otherwise the column may be left out
    when the table does not fit, the highest rank first. ``whole``: the cells never wrap (short numbers);
    otherwise they wrap at their spaces. No cell is ever cut inside a word, so an id is always whole."""

    header: str
    justify: str = "left"
    drop: int = 0
    whole: bool = False


def _words(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def _lines(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


class Fitted:
    """A table that fits the width it is printed in, without cutting a word (an id, a number).

    At the width of the console (or of whatever holds it): every column if they fit, each at least as wide as
    its longest word (its longest line if ``whole``); else the droppable columns are left out, the highest
    ``drop`` first, until the rest fits (the caption names what was left out); if the columns that must stay
    do not fit either, the table is stacked: each row a block of ``header value`` lines, every column shown.
    Only a single word longer than the whole width is folded onto the next line (nothing is ever lost)."""

    def __init__(self, title: str, columns: Sequence[Col], rows: Sequence[Sequence[str]], *,
                 show_header: bool = True, title_justify: str = "center") -> None:
        self.title, self.columns, self.show_header = title, list(columns), show_header
        self.rows = [[str(c) for c in row] for row in rows]
        self.title_justify = title_justify

    # what each column needs, and what it would take
    def _need(self, i: int) -> int:
        col = self.columns[i]
        cells = [r[i] for r in self.rows]
        measure = _lines if col.whole else _words
        head = _words(col.header) if self.show_header else 0
        return max([head, 1, *(measure(c) for c in cells)])

    def _natural(self, i: int) -> int:
        head = _lines(self.columns[i].header) if self.show_header else 0
        return max([head, 1, *(_lines(r[i]) for r in self.rows)])

    @staticmethod
    def _frame(n: int) -> int:
        return 3 * n + 1  # padding of one on each side, and n + 1 borders

    def shown(self, width: int) -> list[int] | None:
        """The columns shown at ``width`` (None: stacked)."""
        shown = list(range(len(self.columns)))
        while shown:
            if sum(self._need(i) for i in shown) + self._frame(len(shown)) <= width:
                return shown
            droppable = [i for i in shown if self.columns[i].drop]
            if not droppable:
                return None
            shown.remove(max(droppable, key=lambda i: (self.columns[i].drop, i)))
        return None

    def _widths(self, shown: list[int], width: int) -> list[int]:
        need = [self._need(i) for i in shown]
        want = [max(n, self._natural(i)) for n, i in zip(need, shown, strict=True)]
        spare = width - self._frame(len(shown)) - sum(need)
        deficit = [w - n for w, n in zip(want, need, strict=True)]
        total = sum(deficit)
        if total <= spare:
            return want
        give = [spare * d // total for d in deficit]
        for j in sorted(range(len(shown)), key=lambda j: -deficit[j])[:spare - sum(give)]:
            give[j] += 1
        return [n + g for n, g in zip(need, give, strict=True)]

    def table(self, width: int) -> Table | None:
        """The rich table at ``width``, or None when it is stacked."""
        shown = self.shown(width)
        if shown is None:
            return None
        left_out = [self.columns[i].header for i in range(len(self.columns)) if i not in shown]
        caption = (f"not shown at {width} columns: {', '.join(left_out)} (a wider terminal or --json shows "
                   "them)") if left_out else None
        table = Table(title=escape(self.title), caption=caption, caption_style="dim", caption_justify="left",
                      show_header=self.show_header, title_justify=self.title_justify)  # type: ignore[arg-type]
        for i, w in zip(shown, self._widths(shown, width), strict=True):
            col = self.columns[i]
            # the header may wrap at its spaces even over cells that do not
            table.add_column(Text(col.header, no_wrap=False), justify=col.justify,  # type: ignore[arg-type]
                             width=w, overflow="fold")
        for row in self.rows:
            table.add_row(*(Text(row[i], no_wrap=self.columns[i].whole) for i in shown))
        return table

    def stacked(self, width: int) -> Group:
        label = max((cell_len(c.header) for c in self.columns), default=0)
        longest = max((_words(c) for r in self.rows for c in r), default=0)
        side = label + 1 + longest <= width
        grid = Table.grid(Column(no_wrap=True, style="bold"), Column(overflow="fold"), padding=(0, 1)) if side \
            else Table.grid(Column(overflow="fold"))
        for n, row in enumerate(self.rows):
            if n:
                grid.add_row("")
            for col, cell in zip(self.columns, row, strict=True):
                if side:
                    grid.add_row(Text(col.header), Text(cell))
                else:
                    grid.add_row(Text(col.header, style="bold"))
                    grid.add_row(Text(cell))
        title = Text(self.title, style="italic", overflow="fold")
        return Group(title, grid)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        table = self.table(width)
        yield table if table is not None else self.stacked(width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)


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


#: the plan's columns; at a narrow width facility MW goes first, then units bought, accelerators active and IT MW
#: (period, region, chip, cooling and accelerators bought always stay)
PLAN_COLUMNS = [Col("period"), Col("region"), Col("chip"), Col("cooling"),
                Col("units bought", "right", drop=3, whole=True), Col("accel. bought", "right", whole=True),
                Col("accel. active", "right", drop=2, whole=True), Col("IT MW", "right", drop=1, whole=True),
                Col("facility MW", "right", drop=4, whole=True)]


#: shown only when a plan has them (``[[fleet.installed]]``, ``[[rentals]]``)
FLEET_COLUMNS = (("accelerators_installed", Col("installed", "right", drop=5, whole=True)),
                 ("accelerators_retired", Col("retired", "right", drop=6, whole=True)),
                 ("accelerators_rented", Col("rented", "right", drop=5, whole=True)))


def plan_table(result: Result) -> Fitted:
    plan = result.plan
    extra = [(name, col) for name, col in FLEET_COLUMNS if name in plan and len(plan) and plan[name].any()]
    rows = [(str(row.period), row.region, row.chip, row.cooling, f"{row.units_bought:,}",
             f"{row.accelerators_bought:,}", f"{row.accelerators_active:,}", f"{row.it_mw:,.2f}",
             f"{row.facility_mw:,.2f}", *(f"{getattr(row, name):,}" for name, _ in extra))
            for row in plan.itertuples(index=False)]
    return Fitted(f"Plan: {result.problem_name}", [*PLAN_COLUMNS, *(col for _, col in extra)], rows)


def kpi_table(result: Result) -> Fitted:
    k, cur = result.kpis, result.currency
    rows = [("capex", money(k["capex"], cur)), ("opex", money(k["opex"], cur)),
            ("subsidy", money(k["subsidy"], cur)), ("salvage", money(k["salvage"], cur)),
            ("net present cost", money(result.objective, cur)),
            ("accelerators bought", f"{k['accelerators']:,.0f}"),
            ("peak IT MW", f"{k['it_mw']:,.2f}"), ("peak facility MW", f"{k['facility_mw']:,.2f}"),
            ("cost per million tokens", money(k["cost_per_million_tokens"], cur))]
    if "accelerators_installed" in k:
        rows[6:6] = [("accelerators installed", f"{k['accelerators_installed']:,.0f}"),
                     ("accelerators retired", f"{k['accelerators_retired']:,.0f}")]
    if "accelerators_rented_peak" in k:
        rows.insert(6, ("accelerators rented (peak)", f"{k['accelerators_rented_peak']:,.0f}"))
    return Fitted("KPIs (present values)", [Col("kpi"), Col("value", "right", whole=True)], rows,
                  show_header=False)


def binding_table(result: Result) -> Fitted:
    top = sorted(result.binding, key=lambda b: -b["shadow_price"])[:10]
    rows = [(b["constraint"], ", ".join(f"{v}" for v in b["where"].values()),
             f"{b['shadow_price']:,.4g} {b['unit']}") for b in top]
    return Fitted("Binding constraints (shadow prices, conditional on the integer plan)",
                  [Col("constraint"), Col("where"), Col("shadow price")], rows)


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
        cols = [Col(c.replace("_", " "), "right" if all(isinstance(r.get(c), int | float) and
                                                        not isinstance(r.get(c), bool) for r in rows) else "left")
                for c in columns]  # a rule's report is not ranked: nothing is dropped, it is stacked if need be
        cells = [[_cell(r.get(c), c in money_columns, currency) for c in columns] for r in rows]
        console.print(Fitted(f"{section}: {key.replace('_', ' ')}", cols, cells, title_justify="left"))


def plugins_table(infos: list[PluginInfo], contributes: dict[str, str]) -> Fitted:
    """Narrow: hooks go first, then distribution, version, what each contributes (name and status stay)."""
    cols = [Col("name"), Col("distribution", drop=3), Col("version", drop=2), Col("status"),
            Col("contributes", drop=1), Col("hooks", drop=4)]
    rows = [(info.name, info.distribution or "-", info.version or "-", info.status, contributes.get(info.name, ""),
             ", ".join(h.removeprefix("tokenplan_") for h in info.hooks)) for info in infos]
    return Fitted("tokenplan plugins", cols, rows)


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    return "-" if value is None else fmt.format(value)


#: narrow: plugin goes first, then origin, BF16, unit, cooling, W, TB/s (id, FP8, HBM and price stay)
CHIP_COLUMNS = [Col("id"), Col("origin", drop=6), Col("FP8 TF", "right", whole=True),
                Col("BF16 TF", "right", drop=5, whole=True), Col("HBM GB", "right", whole=True),
                Col("TB/s", "right", drop=1, whole=True), Col("W", "right", drop=2, whole=True),
                Col("unit", "right", drop=4, whole=True), Col("price", "right"), Col("cooling", drop=3),
                Col("plugin", drop=7), Col("host W", "right", drop=9, whole=True), Col("basis", drop=10),
                Col("+bill", "right", drop=8)]


def chips_table(catalog: Catalog) -> Fitted:
    rows = []
    for chip in catalog.chips():
        def mark(field: str, text: str, chip: Any = chip) -> str:
            return text + ("*" if chip.is_estimate(field) and text != "-" else "")
        price = "-" if chip.price_per_accel is None else \
            f"{per_unit(chip.price_per_accel)} {chip.price_currency or ''}".strip()
        rows.append((
            chip.id + (" (cloud)" if chip.cloud_only else ""), chip.origin,
            mark("tflops.fp8", _num(chip.tflops.get("fp8"))), mark("tflops.bf16", _num(chip.tflops.get("bf16"))),
            mark("hbm_gb", _num(chip.hbm_gb)), mark("mem_bw_tbs", _num(chip.mem_bw_tbs, "{:,.2f}")),
            mark("tdp_w", _num(chip.tdp_w)), mark("unit_size", str(chip.unit_size)), mark("price_per_accel", price),
            mark("cooling", ", ".join(chip.cooling)), catalog.provider.get(("chip", chip.id), "?"),
            mark("host_w_per_accel", _num(chip.host_w_per_accel)), chip.price_basis or "-", _bill(chip, mark)))
    return Fitted("Chips (* = estimate)", CHIP_COLUMNS, rows)


def _bill(chip: Any, mark: Any) -> str:
    """What the system bill adds per accelerator: price (the chip's currency) and W, with its parts."""
    added = chip.bill_added()
    if not added:
        return "-"
    text = f"{per_unit(chip.bill_price_per_accel)} {chip.price_currency or ''}".strip()
    if chip.bill_w_per_accel:
        text += f", {chip.bill_w_per_accel:,.0f} W"
    return mark("bill", f"{text} ({', '.join(added)})")


#: narrow: plugin goes first, then water, site fixed cost, opex, max rack kW (id, PUE and capex stay)
COOLING_COLUMNS = [Col("id"), Col("PUE", whole=True), Col("max rack kW", drop=2, whole=True),
                   Col("capex/kW IT"), Col("opex/kW IT/yr", drop=3), Col("site fixed", drop=4),
                   Col("water L/kWh", drop=5, whole=True), Col("plugin", drop=6)]


def coolings_table(catalog: Catalog) -> Fitted:
    rows = []
    for k in catalog.coolings():
        def mark(field: str, text: str, k: Any = k) -> str:
            return text + ("*" if k.is_estimate(field) else "")
        cur = k.currency or ""
        rows.append((k.id, mark("pue", f"{k.pue:.2f}"), mark("max_rack_kw", f"{k.max_rack_kw:,.0f}"),
                     mark("capex_per_kw_it", f"{per_unit(k.capex_per_kw_it)} {cur}".strip()),
                     mark("opex_per_kw_it_year", f"{per_unit(k.opex_per_kw_it_year)} {cur}".strip()),
                     mark("site_fixed_cost", f"{k.site_fixed_cost:,.0f} {cur}".strip()),
                     mark("water_l_per_kwh", _num(k.water_l_per_kwh, "{:.2f}")),
                     catalog.provider.get(("cooling", k.id), "?")))
    return Fitted("Cooling options (* = estimate)", COOLING_COLUMNS, rows)


#: narrow: plugin goes first, then tags, name, PUE cap, country (id and power price stay)
REGION_COLUMNS = [Col("id"), Col("name", drop=4), Col("country", drop=2), Col("tags", drop=5),
                  Col("power price /kWh"), Col("PUE cap", drop=3, whole=True), Col("plugin", drop=6)]


def regions_table(catalog: Catalog) -> Fitted:
    rows = []
    for r in catalog.regions():
        price = r.power_price_per_kwh
        price_text = "-" if price is None else (f"{price:g} {r.currency or ''}".strip() if not isinstance(price, dict)
                                                else ", ".join(f"{y}: {v:g}" for y, v in price.items()))
        rows.append((r.id, r.name or "", r.country, ", ".join(r.tags), price_text, _num(r.pue_cap, "{:.2f}"),
                     catalog.provider.get(("region", r.id), "?")))
    return Fitted("Regions", REGION_COLUMNS, rows)


def rules_table(catalog: Catalog) -> Fitted:
    """Narrow: plugin goes first, then the parameters (id and description stay)."""
    rows = []
    for rule_id, cls in catalog.rules().items():
        params = ", ".join(f"{k}={v.default!r}" for k, v in cls.Params.model_fields.items())
        rows.append((rule_id, cls.description, params, catalog.provider.get(("rule", rule_id), "?")))
    return Fitted("Rules", [Col("id"), Col("description"), Col("parameters", drop=1), Col("plugin", drop=2)], rows)
