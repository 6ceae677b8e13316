"""A study on the console: the line before it runs, the progress while it runs (rich), the comparison table
of ``tokenplan study show``."""

from __future__ import annotations

import math
import time
from typing import Any

from rich.markup import escape

from tokenplan.numbers import scaled, significant
from tokenplan.report import Col, Fitted


def announce(console: Any, spec: Any, scenarios: list[Any], done: int, workers: int, where: str) -> None:
    todo = len(scenarios) - done
    axes = " x ".join(f"{name} ({len(levels)})" for name, levels in spec.axes)
    resumed = f", {done} done before" if done else ""
    console.print(f"study {escape(spec.name)}: {len(scenarios)} scenarios ({escape(axes)}, {spec.combine}){resumed}; "
                  f"{todo} to run on {workers} {where} worker{'s' if workers != 1 else ''}")


class Live:
    """The progress bar: done / failed / running, ETA, best and worst objective so far."""

    def __init__(self, console: Any, total: int, currency: str = "") -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.currency = currency
        self.started = time.monotonic()
        self.first_done: int | None = None
        self.progress = Progress(TextColumn("scenarios"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[info]}"), console=console, transient=False)
        self.task = self.progress.add_task("study", total=total, info="")

    def __enter__(self) -> Live:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def update(self, p: Any) -> None:
        if self.first_done is None:
            self.first_done = p.done
        ran = p.done - self.first_done
        elapsed = time.monotonic() - self.started
        left = p.total - p.done
        eta = f"ETA {_seconds(elapsed / ran * left)}" if ran and left else ("ETA -" if left else "")
        best = "-" if p.best is None else money(p.best)
        worst = "-" if p.worst is None else money(p.worst)
        counts = ", ".join(part for part in (f"failed {p.failed}", f"running {p.running}", eta) if part)
        info = f"{counts}; best {best}, worst {worst} {escape(self.currency)}".strip()
        self.progress.update(self.task, completed=p.done, info=info)


def _seconds(s: float) -> str:
    if not math.isfinite(s):
        return "-"
    m, sec = divmod(round(s), 60)
    return f"{m}:{sec:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{sec:02d}"


def table(study: Any, *, limit: int | None = None) -> Fitted:
    """The comparison table: varied parameters, status, objective and its delta against the base scenario,
    gap, accelerators, domestic share. Narrow: the gap goes first, then the domestic share and the
    accelerators (the varied parameters, status, objective and delta stay)."""
    frame = study.summary
    currency = next((c for c in frame.get("currency", []) if isinstance(c, str) and c), "")
    columns = [*(Col(str(name)) for name in study.axes), Col("status"),
               Col(f"objective {currency}".strip(), "right", whole=True), Col("delta", "right", whole=True),
               Col("gap", "right", drop=3, whole=True), Col("accelerators", "right", drop=1, whole=True),
               Col("domestic", "right", drop=2, whole=True)]
    rows = frame if limit is None else frame.head(limit)
    cells = []
    for _, row in rows.iterrows():
        mark = "*" if row["id"] == study.base_id else ""
        objective = row.get("objective")
        has = objective is not None and not (isinstance(objective, float) and math.isnan(objective))
        delta = row.get("delta_pct")
        delta_text = "" if not has or delta is None or (isinstance(delta, float) and math.isnan(delta)) else (
            f"{delta:+.2f} %")
        gap = row.get("gap")
        cells.append([*(str(row[name]) for name in study.axes),
                      str(row["status"]) + mark,
                      money(objective) if has else "-", delta_text,
                      f"{100 * gap:.3f} %" if isinstance(gap, float) and not math.isnan(gap) else "-",
                      f"{row['accelerators']:,.0f}" if has and "accelerators" in row else "-",
                      f"{100 * row['domestic_share']:.1f} %" if has and isinstance(row.get("domestic_share"), float)
                      and not math.isnan(row["domestic_share"]) else "-"])
    return Fitted(f"study: {len(frame)} scenarios (delta against the base scenario, marked *)", columns, cells)


def money(value: float) -> str:
    """``98.43 B``, ``462.5 M``, ``0.04035``: four significant digits, enough to tell scenarios apart."""
    number, suffix = scaled(value)
    if suffix:
        return f"{number:,.4g} {suffix}" if abs(number) < 1000 else f"{number:,.0f} {suffix}"
    return significant(value)


def pareto_lines(pareto: dict[str, Any]) -> list[str]:
    points = pareto.get("points", [])
    knee = pareto.get("knee")
    lines = [f"Pareto curve over {pareto.get('axis')}: {len(points)} points"]
    for p in points:
        mark = "  <- knee" if knee is not None and p["id"] == knee["id"] else ""
        lines.append(f"  {p['epsilon']:g}: {money(p['objective'])}{mark}")
    if knee is None:
        lines.append("  no knee (fewer than three points, or a straight line)")
    return lines
