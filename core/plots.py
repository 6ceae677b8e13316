"""Plots of a solve and of a study (issue 12, item 4): matplotlib figures, saved as PNG and SVG
(``--plots``: ``OUT/plots/``; docs/reports.md, "Plots").

matplotlib is imported inside the functions, never at module level (``tokenplan.cli`` starts without it),
and figures are built with :class:`matplotlib.figure.Figure` on the Agg canvas, never through pyplot's
global state, so that building them is safe in a library, a server or a thread.

- :func:`solve_figures` ``(doc, tables)`` -> ``{"fleet", "costs", "power", "hbm"}`` (each only when its table
  has rows); ``doc`` and ``tables`` are :func:`tokenplan.outputs.from_result`'s or
  :func:`tokenplan.outputs.load_out`'s.
- :func:`study_figures` ``(summary, info)`` -> ``{"objective_vs_<axis>", "chip_mix", "shadow_prices",
  "pareto"}`` (each only when the study has what it shows); :func:`tokenplan.outputs.from_study` and
  :func:`tokenplan.outputs.load_study` give ``(summary, info)``.
- :func:`save` writes ``NAME.png`` (120 dpi) and ``NAME.svg``, each atomically; :func:`figure_png` and
  :func:`figure_svg` give the bytes and the SVG text (for inlining in a page).
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenplan.files import atomic
from tokenplan.numbers import scaled

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: the resolution of the PNG files
DPI = 120
#: the names :func:`solve_figures` may return, in order
SOLVE_FIGURES = ("fleet", "costs", "power", "hbm")
#: legend entries per column before a legend gets another column
LEGEND_ROWS = 20


# -- helpers ------------------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas (no pyplot), laid out by matplotlib's constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(max(width, 6.4), 40.0), min(max(height, 4.0), 40.0)), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _colours(n: int) -> list[Any]:
    """``n`` distinct colours: tab10, tab20, then tab20 + tab20b + tab20c, then a sampled colour map."""
    import matplotlib

    if n <= 10:
        return [matplotlib.colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [matplotlib.colormaps["tab20"](i) for i in range(n)]
    if n <= 60:
        maps = [matplotlib.colormaps[m] for m in ("tab20", "tab20b", "tab20c")]
        return [maps[i // 20](i % 20) for i in range(n)]
    cmap = matplotlib.colormaps["turbo"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def money(value: float) -> str:
    """A tick label of money: ``1.5 B``, ``462.5 M``, ``12 k``, ``0``."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else ""
    number, suffix = scaled(value)
    return f"{number:.4g} {suffix}" if suffix else f"{number:.4g}"


def _money_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(lambda v, _pos: money(v)))


def _ticks(ax: Axes, labels: list[str]) -> None:
    """Category labels on the x axis, turned when there are many or long ones (80 ids stay readable)."""
    ax.set_xticks(range(len(labels)))
    long = len(labels) > 8 or max((len(s) for s in labels), default=0) * len(labels) > 60
    size = 8 if len(labels) <= 40 else 6
    if long:
        ax.set_xticklabels(labels, rotation=90 if len(labels) > 20 else 45, ha="center" if len(labels) > 20
                           else "right", rotation_mode="anchor" if len(labels) <= 20 else "default", fontsize=size)
    else:
        ax.set_xticklabels(labels)


def _legend(ax: Axes, n: int, title: str | None = None) -> None:
    """A legend beside the axes (outside, so it hides no data), in columns of :data:`LEGEND_ROWS`."""
    if n == 0:
        return
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=max(1, math.ceil(n / LEGEND_ROWS)),
              fontsize=8 if n <= LEGEND_ROWS else 6, title=title, title_fontsize=8, frameon=False)


def _width(n_categories: int, per: float = 0.35, legend_entries: int = 0) -> float:
    """A figure width for ``n_categories`` along x plus a legend of ``legend_entries``."""
    columns = math.ceil(legend_entries / LEGEND_ROWS) if legend_entries else 0
    return 3.5 + per * n_categories + 1.6 * columns


def _natural(value: Any) -> list[Any]:
    """A sort key that puts ``chip-2`` before ``chip-10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(value))]


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _numeric(series: Any) -> Any:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce")


def _empty(table: Any) -> bool:
    return table is None or len(table) == 0


def _periods(tables: dict[str, Any]) -> list[Any]:
    """The problem's periods, in order: those of costs_by_period's year rows, else the plan's and sites'."""
    seen: set[Any] = set()
    for name in ("costs_by_period", "plan", "sites", "hbm"):
        table = tables.get(name)
        if _empty(table) or "period" not in table:
            continue
        for value in table["period"]:
            year = _year(value)
            if year is not None:
                seen.add(year)
    return sorted(seen)


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if hasattr(value, "item"):
        return _year(value.item())
    return None


# -- a solve ------------------------------------------------------------------------------------------------
def solve_figures(doc: dict[str, Any], tables: dict[str, pd.DataFrame]) -> dict[str, Figure]:
    """The figures of a solve: ``fleet``, ``costs``, ``power`` and ``hbm``, each only when its table has
    rows (an infeasible result has none: ``{}``, not an error).

    :param doc: the result's JSON document (``Result.to_dict()`` or ``kpis.json``); ``currency`` is read.
    :param tables: ``plan``, ``costs_by_period``, ``sites``, ``hbm`` (and ``rules``) as DataFrames, as the
        result has them or as read back from ``--out`` (:mod:`tokenplan.outputs`); a missing key is an empty
        table.
    """
    currency = str(doc.get("currency") or "")
    periods = _periods(tables)
    makers = {"fleet": lambda: _fleet(tables.get("plan"), periods),
              "costs": lambda: _costs(tables.get("costs_by_period"), currency),
              "power": lambda: _power(tables.get("sites"), periods),
              "hbm": lambda: _hbm(tables.get("hbm"), periods)}
    out = {}
    for key, make in makers.items():
        fig = make()
        if fig is not None:
            out[key] = fig
    return out


def _fleet(plan: Any, periods: list[Any]) -> Figure | None:
    """Accelerators in service per period, stacked by chip (one bar container per chip, labelled by it)."""
    if _empty(plan) or "accelerators_active" not in plan:
        return None
    active = plan.assign(period=[_year(p) for p in plan["period"]],
                         accelerators_active=_numeric(plan["accelerators_active"]).fillna(0))
    table = active.groupby(["period", "chip"])["accelerators_active"].sum().unstack("chip", fill_value=0)
    table = table.reindex(sorted(set(periods) | set(table.index)), fill_value=0)
    chips = [c for c in sorted(table.columns, key=_natural) if table[c].sum() > 0]
    if not chips:
        return None
    fig = _figure(_width(len(table.index), 0.6, len(chips)), 4.8)
    _stacked(fig.add_subplot(), [(str(c), [float(v) for v in table[c]]) for c in chips],
             [_label(p) for p in table.index], "Accelerators in service by chip", "period (year)",
             "accelerators in service")
    return fig


def _stacked(ax: Axes, series: list[tuple[str, list[float]]], labels: list[str], title: str, xlabel: str,
             ylabel: str) -> None:
    """Bars stacked per x position, one series per chip (a legend of chips), counts on the y axis."""
    bottom = [0.0] * len(labels)
    for (name, heights), colour in zip(series, _colours(len(series))):
        ax.bar(range(len(heights)), heights, bottom=bottom, label=name, color=colour, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights)]
    _ticks(ax, labels)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _counts(ax)
    ax.grid(axis="y", alpha=0.3)
    _legend(ax, len(series), "chip")


def _counts(ax: Axes) -> None:
    """Whole numbers on the y axis (accelerators, HBM): integer ticks, thousands separated."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) < 1e6 else money(v)))


#: the series of the costs figure: (label, costs_by_period column, sign)
COST_SERIES = (("capex", "capex", 1.0), ("opex", "opex", 1.0), ("subsidies", "subsidies", -1.0))


def _costs(cbp: Any, currency: str) -> Figure | None:
    """Capex and opex stacked above zero and subsidies below it, per period (nominal: as paid in the period),
    with the period's net cash out as a marker."""
    if _empty(cbp):
        return None
    rows = cbp[[_year(p) is not None for p in cbp["period"]]]
    if rows.empty:
        return None
    labels = [_label(_year(p)) for p in rows["period"]]
    x = list(range(len(rows)))
    fig = _figure(_width(len(rows), 0.7, 4), 4.8)
    ax = fig.add_subplot()
    above = [0.0] * len(rows)
    colours = {"capex": "tab:blue", "opex": "tab:orange", "subsidies": "tab:green"}
    for label, column, sign in COST_SERIES:
        values = [sign * float(v) for v in _numeric(rows[column]).fillna(0.0)]
        if sign > 0:
            ax.bar(x, values, bottom=above, label=label, color=colours[label], width=0.7)
            above = [a + v for a, v in zip(above, values)]
        else:
            ax.bar(x, values, label=f"{label} (negative)", color=colours[label], width=0.7)
    net = [float(v) for v in _numeric(rows["cash_out"]).fillna(0.0)]
    ax.plot(x, net, linestyle="none", marker="D", color="black", label="net cash out", zorder=3)
    ax.axhline(0.0, color="0.3", linewidth=0.8)
    _ticks(ax, labels)
    _money_axis(ax)
    ax.set_title("Costs by period (nominal, as paid)")
    ax.set_xlabel("period (year)")
    ax.set_ylabel(f"money ({currency})" if currency else "money")
    ax.grid(axis="y", alpha=0.3)
    _legend(ax, 4)
    return fig


#: the bars of the power figure: (label, sites column, style)
POWER_SERIES = (("facility MW", "facility_mw", {"color": "tab:blue"}),
                ("built MW", "built_mw", {"color": "tab:gray", "alpha": 0.6}),
                ("grid cap MW", "grid_cap_mw", {"facecolor": "none", "edgecolor": "tab:red", "linewidth": 1.2}))


def _power(sites: Any, periods: list[Any]) -> Figure | None:
    """One panel per period: per site, facility MW in service, the MW built (existing + blocks) and the grid
    cap, side by side."""
    if _empty(sites):
        return None
    sites = sites.assign(period=[_year(p) for p in sites["period"]])
    years = [p for p in periods if p in set(sites["period"])] or sorted(set(sites["period"]))
    regions = sorted({str(r) for r in sites["region"]}, key=_natural)
    n = len(years)
    fig = _figure(_width(len(regions), 0.4, 3), 1.0 + 2.6 * n + (1.2 if len(regions) > 8 else 0.0))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    width = 0.27
    for ax, year in zip(axes, years):
        rows = sites[sites["period"] == year].set_index(sites[sites["period"] == year]["region"].astype(str))
        rows = rows.reindex(regions)
        for j, (label, column, style) in enumerate(POWER_SERIES):
            values = [float(v) if v == v else 0.0 for v in _numeric(rows[column])]
            ax.bar([i + (j - 1) * width for i in range(len(regions))], values, width=width, label=label, **style)
        _clip_caps(ax, rows, width)
        ax.set_title(f"{_label(year)}", fontsize=9, loc="left")
        ax.set_ylabel("MW")
        ax.grid(axis="y", alpha=0.3)
    _ticks(axes[-1], regions)
    axes[-1].set_xlim(-0.75, len(regions) - 0.25)
    axes[-1].set_xlabel("site (region)")
    fig.suptitle("Site power: facility MW in service vs built MW and grid cap, per period")
    _legend(axes[0], 3)
    return fig


def _clip_caps(ax: Axes, rows: Any, width: float) -> None:
    """A grid cap far above what is built and used would flatten the other bars: the y axis then stops a
    little above them and each cap beyond it is written at the top of its bar (``cap 100 MW ↑``)."""
    use = _numeric(rows["facility_mw"]).fillna(0.0).tolist() + _numeric(rows["built_mw"]).fillna(0.0).tolist()
    caps = _numeric(rows["grid_cap_mw"]).tolist()
    top = 1.25 * max(use, default=0.0)
    if top <= 0 or max((c for c in caps if c == c), default=0.0) <= 3 * top:
        return
    ax.set_ylim(0, top)
    for i, cap in enumerate(caps):
        if cap == cap and cap > top:
            ax.text(i + width, top * 0.98, f"cap {cap:,.4g} MW \u2191", rotation=90, ha="center", va="top",
                    fontsize=7, color="tab:red")


def _hbm(hbm: Any, periods: list[Any]) -> Figure | None:
    """One panel per HBM pool: HBM bought per period (bars) against the pool's supply (a line, only where the
    pool has one)."""
    if _empty(hbm):
        return None
    hbm = hbm.assign(period=[_year(p) for p in hbm["period"]], used=_numeric(hbm["used"]).fillna(0.0),
                     supply=_numeric(hbm["supply"]))
    pools = sorted({str(p) for p in hbm["pool"]}, key=_natural)
    years = sorted(set(periods) | set(hbm["period"]))
    unit = str(hbm["unit"].dropna().iloc[0]) if "unit" in hbm and hbm["unit"].notna().any() else ""
    cols = min(len(pools), 4)
    rows_n = math.ceil(len(pools) / cols)
    fig = _figure(_width(len(years) * cols, 0.5, 2), 1.2 + 2.8 * rows_n)
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    for ax, pool in zip(axes, pools):
        rows = hbm[hbm["pool"].astype(str) == pool].groupby("period")[["used", "supply"]].sum(min_count=1)
        rows = rows.reindex(years)
        x = list(range(len(years)))
        ax.bar(x, [float(v) if v == v else 0.0 for v in rows["used"]], width=0.6, color="tab:purple",
               label="used")
        supply = [float(v) if v == v else math.nan for v in rows["supply"]]
        if any(v == v for v in supply):
            ax.plot(x, supply, color="tab:red", marker="_", markersize=18, markeredgewidth=2, linestyle="--",
                    label="supply")
            ax.set_title(pool, fontsize=9)
        else:
            ax.set_title(f"{pool} (no supply cap)", fontsize=9)
        _ticks(ax, [_label(y) for y in years])
        ax.set_xlabel("period (year)")
        ax.set_ylabel(f"HBM ({unit})" if unit else "HBM")
        _counts(ax)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    for ax in axes[len(pools):]:
        ax.set_visible(False)
    fig.suptitle("HBM bought vs supply, per pool")
    return fig


# -- a study ------------------------------------------------------------------------------------------------
def study_figures(summary: pd.DataFrame, info: dict[str, Any]) -> dict[str, Figure]:
    """The figures of a study, each only when the study has what it shows:

    - ``objective_vs_<axis>`` for each varied parameter: the objective against the parameter's values, one
      line per combination of the other parameters' values;
    - ``chip_mix``: accelerators bought per chip, stacked, per scenario (``accelerators.CHIP`` columns);
    - ``shadow_prices``: the largest shadow price of each constraint family per scenario, one panel per family
      (``shadow.FAMILY`` columns);
    - ``pareto``: the cost curve of a ``--pareto`` study, its knee marked.

    :param summary: the study's summary DataFrame (:func:`tokenplan.studies.summary.summary`).
    :param info: ``axes`` (the varied parameters), ``pareto`` (the curve or None), and optionally ``currency``
        (else the summary's ``currency`` column) and ``shadow_units`` (family -> unit); see
        :func:`tokenplan.outputs.study_info`.
    """
    if _empty(summary):
        return {}
    axes = [a for a in info.get("axes") or [] if a in summary.columns]
    currency = str(info.get("currency") or "")
    if not currency and "currency" in summary and summary["currency"].notna().any():
        currency = str(summary["currency"].dropna().iloc[0])
    labels = _scenario_labels(summary, axes)
    out: dict[str, Figure] = {}
    for axis in axes:
        fig = _objective_vs(summary, axis, [a for a in axes if a != axis], currency)
        if fig is not None:
            out[f"objective_vs_{axis}"] = fig
    for key, fig in (("chip_mix", _chip_mix(summary, labels)),
                     ("shadow_prices", _shadow_prices(summary, labels, info.get("shadow_units") or {})),
                     ("pareto", _pareto(info.get("pareto"), currency))):
        if fig is not None:
            out[key] = fig
    return out


def _scenario_labels(summary: Any, axes: list[str]) -> list[str]:
    if not axes:
        return [str(i) for i in summary["id"]]
    return [", ".join(_label(row[a]) for a in axes) for _, row in summary.iterrows()]


def _axis_values(values: list[Any]) -> tuple[list[float], list[str] | None]:
    """Positions along x: the values themselves when all are numbers, else categories in order of first
    appearance (and their labels)."""
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            break
    if len(numbers) == len(values) and all(math.isfinite(n) for n in numbers):
        return numbers, None
    order = list(dict.fromkeys(_label(v) for v in values))
    return [float(order.index(_label(v))) for v in values], order


def _objective_vs(summary: Any, axis: str, others: list[str], currency: str) -> Figure | None:
    objective = _numeric(summary["objective"]) if "objective" in summary else None
    if objective is None or not objective.notna().any():
        return None
    xs, categories = _axis_values(list(summary[axis]))
    groups: dict[str, list[int]] = {}
    for i, (_, row) in enumerate(summary.iterrows()):
        key = ", ".join(f"{o}={_label(row[o])}" for o in others)
        groups.setdefault(key, []).append(i)
    fig = _figure(_width(len(categories or set(xs)), 0.5, len(groups) if others else 0) + 1.5, 4.8)
    ax = fig.add_subplot()
    for (key, idx), colour in zip(groups.items(), _colours(len(groups))):
        points = sorted((xs[i], float(objective.iloc[i])) for i in idx)
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=colour, label=key or None)
    missing = int(objective.isna().sum())
    if categories is not None:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories, rotation=45 if len(categories) > 8 else 0,
                           ha="right" if len(categories) > 8 else "center")
    _money_axis(ax)
    title = f"Net present cost vs {axis}"
    if missing:
        title += f" ({missing} scenario{'s' if missing != 1 else ''} without a plan not shown)"
    ax.set_title(title)
    ax.set_xlabel(axis)
    ax.set_ylabel(f"net present cost ({currency})" if currency else "net present cost")
    ax.grid(alpha=0.3)
    if others:
        _legend(ax, len(groups))
    return fig


def _chip_mix(summary: Any, labels: list[str]) -> Figure | None:
    chips = [c for c in summary.columns if str(c).startswith("accelerators.")]
    chips = [c for c in chips if _numeric(summary[c]).fillna(0).sum() > 0]
    if not chips:
        return None
    fig = _figure(_width(len(summary), 0.4, len(chips)), 5.2 + (1.5 if len(labels) > 8 else 0.0))
    series = [(c.removeprefix("accelerators."), [float(v) for v in _numeric(summary[c]).fillna(0.0)])
              for c in sorted(chips, key=_natural)]
    _stacked(fig.add_subplot(), series, labels, "Chip mix: accelerators bought per scenario", "scenario",
             "accelerators bought")
    return fig


def _shadow_prices(summary: Any, labels: list[str], units: dict[str, str]) -> Figure | None:
    columns = [c for c in summary.columns if str(c).startswith("shadow.") and _numeric(summary[c]).notna().any()]
    if not columns:
        return None
    n = len(columns)
    fig = _figure(_width(len(summary), 0.4, 0), 1.2 + 2.4 * n + (1.5 if len(labels) > 8 else 0.0))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for ax, column, colour in zip(axes, sorted(columns), _colours(n)):
        family = column.removeprefix("shadow.")
        values = [float(v) if v == v else 0.0 for v in _numeric(summary[column])]
        ax.bar(range(len(values)), values, color=colour, width=0.7, label=family)
        ax.set_title(family, fontsize=9, loc="left")
        ax.set_ylabel(units.get(family, "shadow price"), fontsize=8)
        _money_axis(ax)
        ax.grid(axis="y", alpha=0.3)
    _ticks(axes[-1], labels)
    axes[-1].set_xlabel("scenario")
    fig.suptitle("Largest shadow price per constraint family and scenario")
    return fig


def _pareto(curve: Any, currency: str) -> Figure | None:
    if not isinstance(curve, dict) or not curve.get("points"):
        return None
    points = curve["points"]
    axis = str(curve.get("axis") or "epsilon")
    xs = [float(p["epsilon"]) for p in points]
    ys = [float(p["objective"]) for p in points]
    fig = _figure(7.5, 4.8)
    ax = fig.add_subplot()
    ax.plot(xs, ys, marker="o", color="tab:blue", label="cost curve")
    knee = curve.get("knee")
    if knee:
        kx, ky = float(knee["epsilon"]), float(knee["objective"])
        ax.plot([kx], [ky], linestyle="none", marker="*", markersize=16, color="tab:red", label="knee", zorder=3)
        ax.annotate(f"knee: {axis} = {_label(knee.get('label', kx))}", (kx, ky), xytext=(10, -18),
                    textcoords="offset points", fontsize=9, color="tab:red")
    _money_axis(ax)
    ax.set_title(f"Pareto curve: net present cost vs {axis}")
    ax.set_xlabel(axis)
    ax.set_ylabel(f"net present cost ({currency})" if currency else "net present cost")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return fig


# -- files --------------------------------------------------------------------------------------------------
def figure_png(fig: Figure) -> bytes:
    """The figure as PNG (:data:`DPI` dots per inch)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def figure_svg(fig: Figure) -> str:
    """The figure as an SVG document (text; without a date, and with element ids from a fixed salt, so the
    same figure gives the same file: a report written twice is the same report)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "tokenplan"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


def file_stem(name: str) -> str:
    """A figure's name as a file name: characters other than letters, digits, ``.``, ``_`` and ``-`` (a
    varied parameter such as ``rules."policy.domestic_share".share``) become ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "figure"


def save(figures: dict[str, Figure], directory: str | Path) -> list[Path]:
    """Write ``NAME.png`` and ``NAME.svg`` of each figure into ``directory`` (created, with its parents),
    each file atomically (:func:`tokenplan.files.atomic`: whole or absent); ``NAME`` is the figure's name
    through :func:`file_stem`. Returns the paths written, PNG then SVG of each figure in order. An
    ``OSError`` (:class:`tokenplan.files.WriteError`) if one fails."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, fig in figures.items():
        name = file_stem(key)
        png, svg = figure_png(fig), figure_svg(fig)
        atomic(out / f"{name}.png", lambda tmp, data=png: Path(tmp).write_bytes(data))
        atomic(out / f"{name}.svg", lambda tmp, text=svg: Path(tmp).write_text(text, encoding="utf-8"))
        paths += [out / f"{name}.png", out / f"{name}.svg"]
    return paths
