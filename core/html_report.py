"""The HTML report (issue 12, item 5): one self-contained file for a solve or a study.

``tokenplan report DIR`` (a solve's ``--out``, found by its ``kpis.json``; a study's, by its ``study.json``)
and ``--report`` on ``solve`` and ``study run`` write ``report.html``. The file needs nothing else: the plots
are inline SVG (or PNG as ``data:`` URIs), the style sheet and the few lines of script that sort the tables
are in it, the fonts are the system's. It makes no network request. Every string that came from the user
(problem names, chip ids, messages) is escaped.

- :func:`render_solve` ``(doc, tables, figures)``: ``doc`` is ``kpis.json``'s content, ``tables``
  :mod:`tokenplan.outputs`' tables, ``figures`` ``name -> SVG text`` (or PNG bytes);
- :func:`render_study` ``(summary, info, figures)``: the study's summary table and what it is;
- :func:`report` ``(directory, output=None)``: either, for what ``directory`` holds, written with :func:`write`.

The figures come from :mod:`tokenplan.plots` when it is installed, through :func:`_figures` only.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tokenplan.errors import InputError
from tokenplan.files import atomic
from tokenplan.report import money

REPORT = "report.html"
#: the columns shown in the problem currency, per table
MONEY_COLUMNS = {
    "plan": {"capex_accelerators", "licence_fees", "capex_cooling", "subsidy", "opex_per_year"},
    "costs_by_period": {"capex_accelerators", "licence_fees", "capex_cooling", "capex_facility", "capex_grid",
                        "capex_cooling_fixed", "capex", "opex", "subsidies", "retirement_proceeds", "cash_out",
                        "cash_out_pv"},
    "rules": {"amount"},
    "summary": {"objective", "bound", "capex", "opex", "subsidy", "salvage", "delta", "cost_per_million_tokens"},
}
TABLE_TITLES = {
    "plan": "Plan (money in the problem currency; opex per year of service)",
    "costs_by_period": "Costs by period (nominal and present value)",
    "sites": "Sites: power against the grid cap and the built capacity",
    "hbm": "HBM bought against the supply",
    "rules": "What each rule did",
}

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1f24; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
  border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; } h3 { font-size: 1.05rem; }
.status { font-size: 1.1rem; } .status b { padding: .1rem .4rem; border-radius: .3rem; }
.ok { background: #dafbe1; } .bad { background: #ffebe9; } .meh { background: #fff8c5; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f6f8fa; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
.scroll { overflow-x: auto; }
ul.causes li { margin-bottom: .4rem; } .fix { color: #57606a; }
.warning { background: #fff8c5; padding: .3rem .6rem; margin: .3rem 0; border-left: 4px solid #d4a72c; }
figure { margin: 1rem 0; } figure svg, figure img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #57606a; }
.dim { color: #57606a; font-size: .85rem; }
"""

# Sort a table by the clicked header: numbers (a cell's data-v, else its text) before text, ascending on the
# first click, descending on the next. "#click=ID:COLUMN,..." clicks headers on load (used by the tests).
SCRIPT = """
(function () {
  function key(td) {
    var v = td.getAttribute("data-v"); if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return (v === "" || isNaN(n)) ? [1, 0, v.toLowerCase()] : [0, n, ""];
  }
  function cmp(a, b) { return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0); }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var down = th.getAttribute("aria-sort") === "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r, s) { var c = cmp(key(r.cells[col]), key(s.cells[col])); return down ? -c : c; });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable th").forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
  var m = /^#click=(.+)$/.exec(location.hash);
  if (m) m[1].split(",").forEach(function (c) {
    var p = c.split(":"), t = document.getElementById(p[0]);
    if (t) t.tHead.rows[0].cells[Number(p[1])].click();
  });
})();
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _cell(v: Any, *, is_money: bool, currency: str) -> str:
    """One ``<td>``: numbers right-aligned, with their raw value in ``data-v`` for the sort."""
    v = _plain(v)
    if v is None:
        return "<td>-</td>"
    if isinstance(v, bool):
        return f"<td>{'yes' if v else 'no'}</td>"
    if _is_number(v):
        if isinstance(v, float) and math.isinf(v):
            text = "inf" if v > 0 else "-inf"
        elif is_money:
            text = money(v, currency)
        elif isinstance(v, int):
            text = str(v) if 1900 <= v <= 2200 else f"{v:,}"
        else:
            text = f"{v:,.4g}" if abs(v) < 1e15 else f"{v:.4g}"
        return f'<td class="n" data-v="{v!r}">{_e(text)}</td>'
    if isinstance(v, list | tuple):
        return f"<td>{_e(', '.join(str(x) for x in v))}</td>"
    if isinstance(v, dict):
        return f"<td>{_e(json.dumps(v, default=str))}</td>"
    return f"<td>{_e(v)}</td>"


def table_html(frame: Any, *, ident: str, money_columns: Iterable[str] = (), currency: str = "",
               sortable: bool = True) -> str:
    """A DataFrame as a sortable ``<table id=ident>`` (every value escaped)."""
    columns = [str(c) for c in frame.columns]
    money_set = set(money_columns)
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(_cell(v, is_money=c in money_set, currency=currency) for c, v in zip(columns, values))
        rows.append(f"<tr>{cells}</tr>")
    cls = ' class="sortable"' if sortable else ""
    body = "".join(rows) if rows else f'<tr><td colspan="{max(1, len(columns))}">(no rows)</td></tr>'
    return (f'<div class="scroll"><table id="{_e(ident)}"{cls}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _pairs(rows: Iterable[tuple[str, str]], ident: str) -> str:
    """A two-column table of label and (already escaped) value."""
    body = "".join(f"<tr><th scope=\"row\">{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table id="{_e(ident)}">{body}</table>'


_XML_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)


def _figure(name: str, content: str | bytes) -> str:
    """A figure inline: SVG text as is (its XML prologue removed), PNG bytes as a ``data:`` URI."""
    if isinstance(content, bytes | bytearray):
        data = base64.b64encode(bytes(content)).decode("ascii")
        body = f'<img alt="{_e(name)}" src="data:image/png;base64,{data}">'
    else:
        body = _XML_PROLOGUE.sub("", content, count=1)
    return f'<figure data-name="{_e(name)}">{body}<figcaption>{_e(name.replace("_", " "))}</figcaption></figure>'


def _figures_html(figures: Mapping[str, str | bytes]) -> str:
    if not figures:
        return ""
    return "<section id=\"plots\"><h2>Plots</h2>" + "".join(_figure(n, c) for n, c in figures.items()) + "</section>"


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            # nothing may be fetched: the page is its own world (images only as data: URIs)
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body></html>\n")


def _status_class(status: str) -> str:
    return {"optimal": "ok", "feasible": "meh", "time_limit": "meh"}.get(status, "bad")


def _fleet(plan: Any) -> list[tuple[str, float]]:
    if plan is None or len(plan) == 0 or "chip" not in plan or "accelerators_bought" not in plan:
        return []
    by_chip = plan.groupby("chip")["accelerators_bought"].sum()
    return [(str(c), float(n)) for c, n in by_chip.sort_values(ascending=False).items() if n]


def _where(where: Any) -> str:
    if isinstance(where, dict):
        return ", ".join(f"{k} {v}" for k, v in where.items())
    return str(where)


def _binding_row(b: dict[str, Any], currency: str) -> str:
    price, unit = float(b.get("shadow_price") or 0), str(b.get("unit", ""))
    if currency and unit.startswith(currency + " "):  # "USD per MW": 1.647 M USD per MW
        text = money(price, currency) + unit.removeprefix(currency)
    else:
        text = f"{price:,.4g} {unit}"
    return (f"<tr><td>{_e(b.get('constraint', ''))}</td><td>{_e(_where(b.get('where', {})))}</td>"
            f'<td class="n" data-v="{price!r}">{_e(text)}</td></tr>')


def _diagnosis(diagnosis: dict[str, Any]) -> str:
    causes = diagnosis.get("causes") or []
    how = "before solving" if diagnosis.get("method") == "precheck" else "elastic re-solve"
    parts = [f'<section id="diagnosis"><h2>Why there is no plan ({_e(how)})</h2>']
    if causes:
        items = "".join(f"<li>{_e(c.get('message', ''))}<br><span class=\"fix\">to fix: {_e(c.get('fix', ''))}"
                        "</span></li>" for c in causes)
        parts.append(f'<ul class="causes">{items}</ul>')
    elif diagnosis.get("summary"):
        parts.append(f"<p>{_e(diagnosis['summary'])}</p>")
    if diagnosis.get("partial"):
        parts.append(f'<p class="warning">{_e(diagnosis.get("partial_note", "partial diagnosis"))}</p>')
    conflict = diagnosis.get("iis")
    if isinstance(conflict, dict) and conflict.get("summary"):
        parts.append(f"<p><b>Second opinion (HiGHS IIS):</b> {_e(conflict['summary'])}</p>")
    parts.append("</section>")
    return "".join(parts)


def _value_html(v: Any) -> str:
    if isinstance(v, dict | list):
        return f"<code>{_e(json.dumps(v, default=str, indent=None))}</code>"
    return _e("-" if v is None else v)


def _provenance(doc: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    provenance = doc.get("provenance")
    if isinstance(provenance, dict):
        rows += [(str(k), _value_html(v)) for k, v in provenance.items()]
    elif provenance is not None:
        rows.append(("provenance", _value_html(provenance)))
    applied = doc.get("applied") or {}
    rows.append(("scenarios applied", _e(", ".join(map(str, applied.get("scenarios") or [])) or "none")))
    rows.append(("overrides (--set)", _e(", ".join(map(str, applied.get("overrides") or [])) or "none")))
    return f'<section id="provenance"><h2>Provenance</h2>{_pairs(rows, "provenance-table")}</section>'


def _summary_of(section: Any) -> Any:
    return section.get("summary", "") if isinstance(section, dict) else section


def _warnings(warnings: Iterable[str]) -> str:
    items = "".join(f'<p class="warning">{_e(w)}</p>' for w in warnings)
    return f'<section id="warnings"><h2>Warnings</h2>{items or "<p>none</p>"}</section>'


def render_solve(doc: dict[str, Any], tables: Mapping[str, Any], figures: Mapping[str, str | bytes]) -> str:
    """The report of one solve: summary, plots, diagnosis, tables, rules, provenance, warnings."""
    currency = str(doc.get("currency") or "")
    status = str(doc.get("status") or "unknown")
    name = str(doc.get("problem_name") or (doc.get("provenance") or {}).get("problem_name") or "")
    title = f"tokenplan report: {name}" if name else "tokenplan report"
    kpis = doc.get("kpis") or {}
    out = [f"<h1>{_e(title)}</h1>"]
    line = [f'status <b class="{_status_class(status)}">{_e(status)}</b>']
    if doc.get("objective") is not None:
        line.append(f"net present cost <b>{_e(money(doc['objective'], currency))}</b>")
    if doc.get("gap") is not None and status != "optimal":
        line.append("gap " + _e(f"{float(doc['gap']):.3%}"))
    termination = str(doc.get("termination") or "")
    if termination and termination.lower() != "optimal":
        line.append(f"({_e(termination)})")
    out.append(f'<section id="summary"><h2>Summary</h2><p class="status">{" &nbsp; ".join(line)}</p>')
    if kpis:
        rows = []
        for label, key, is_money in (("capex", "capex", True), ("opex", "opex", True),
                                     ("subsidy", "subsidy", True), ("salvage", "salvage", True),
                                     ("accelerators bought", "accelerators", False), ("peak IT MW", "it_mw", False),
                                     ("peak facility MW", "facility_mw", False),
                                     ("cost per million tokens", "cost_per_million_tokens", True)):
            v = kpis.get(key)
            if v is None:
                continue
            rows.append((label, _e(money(v, currency) if is_money else f"{v:,.2f}".rstrip("0").rstrip("."))))
        out.append("<h3>Key figures (present values)</h3>" + _pairs(rows, "kpis"))
    fleet = _fleet(tables.get("plan"))
    if fleet:
        out.append("<h3>Fleet: accelerators bought, by chip</h3>"
                   + _pairs([(chip, _e(f"{n:,.0f}")) for chip, n in fleet], "fleet"))
    binding = sorted(doc.get("binding") or [], key=lambda b: -float(b.get("shadow_price") or 0))
    if binding:
        top = binding[:10]
        rows_html = "".join(_binding_row(b, currency) for b in top)
        more = f'<p class="dim">{len(binding) - len(top)} more not shown.</p>' if len(binding) > len(top) else ""
        out.append("<h3>What binds: the largest shadow prices (conditional on the integer plan)</h3>"
                   '<table id="binding" class="sortable"><thead><tr><th>constraint</th><th>where</th>'
                   f"<th>shadow price</th></tr></thead><tbody>{rows_html}</tbody></table>{more}")
    elif doc.get("objective") is not None:
        out.append("<p>No constraint binds with a nonzero shadow price.</p>")
    out.append("</section>")
    if doc.get("diagnosis"):
        out.append(_diagnosis(doc["diagnosis"]))
    out.append(_figures_html(figures))
    out.append('<section id="tables"><h2>Tables</h2><p class="dim">Click a column header to sort.</p>')
    for key, title_text in TABLE_TITLES.items():
        frame = tables.get(key)
        if frame is None:
            continue
        out.append(f"<h3>{_e(title_text)}</h3>")
        out.append(table_html(frame, ident=f"table-{key}", money_columns=MONEY_COLUMNS.get(key, ()),
                              currency=currency))
    out.append("</section>")
    rules = doc.get("rules") or {}
    if rules:
        items = "".join(f"<li><b>{_e(rule)}</b>: {_e(_summary_of(section))}</li>" for rule, section in rules.items())
        out.append(f'<section id="rule-summaries"><h2>Rules</h2><ul>{items}</ul></section>')
    out.append(_provenance(doc))
    out.append(_warnings(doc.get("warnings") or []))
    timings = doc.get("timings") or {}
    if timings:
        out.append(f'<p class="dim">build {float(timings.get("build_s", 0)):.2f} s, '
                   f'solve {float(timings.get("solve_s", 0)):.2f} s</p>')
    return _page(title, "\n".join(p for p in out if p))


def render_study(summary: Any, info: Mapping[str, Any], figures: Mapping[str, str | bytes]) -> str:
    """The report of a study: per-scenario status, the Pareto knee if any, the summary table, the plots.

    ``info``: ``axes`` (the varied parameters), ``pareto`` (the Pareto dict or None), and optionally ``name``,
    ``description``, ``base`` (the base scenario's id) and ``manifest`` (``study.json``)."""
    name = str(info.get("name") or "")
    title = f"tokenplan study report: {name}" if name else "tokenplan study report"
    currency = next((c for c in summary.get("currency", []) if isinstance(c, str) and c), "") \
        if "currency" in summary else ""
    out = [f"<h1>{_e(title)}</h1>"]
    if info.get("description"):
        out.append(f"<p>{_e(info['description'])}</p>")
    axes = [str(a) for a in info.get("axes") or []]
    counts: dict[str, int] = {}
    for s in summary["status"] if "status" in summary else []:
        counts[str(s)] = counts.get(str(s), 0) + 1
    status_text = ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"
    out.append(f'<section id="summary"><h2>Summary</h2><p class="status">{len(summary)} scenarios: '
               f"{_e(status_text)}</p>")
    if axes:
        out.append(f"<p>Varied: {_e(', '.join(axes))}</p>")
    if info.get("base"):
        out.append(f"<p>Base scenario (deltas against it): <code>{_e(info['base'])}</code></p>")
    pareto = info.get("pareto")
    if isinstance(pareto, dict):
        knee = pareto.get("knee")
        points = pareto.get("points") or []
        if knee:
            out.append(f'<p id="knee"><b>Pareto knee</b> over {_e(pareto.get("axis", ""))}: '
                       f"{_e(knee.get('label', knee.get('epsilon')))} at "
                       f"{_e(money(float(knee['objective']), currency))} (scenario <code>{_e(knee.get('id'))}</code>); "
                       "past it, each step costs more than before.</p>")
        else:
            out.append(f'<p id="knee">Pareto curve over {_e(pareto.get("axis", ""))}: {len(points)} points, '
                       "no knee (fewer than three points, or a straight line).</p>")
    out.append("</section>")
    scenario_columns = [c for c in ["id", *axes, "status", "objective", "message"] if c in summary]
    out.append('<section id="scenarios"><h2>Scenarios</h2>'
               + table_html(summary[scenario_columns], ident="table-scenarios",
                            money_columns=MONEY_COLUMNS["summary"], currency=currency) + "</section>")
    out.append(_figures_html(figures))
    out.append('<section id="tables"><h2>Summary table</h2><p class="dim">Click a column header to sort; '
               "delta is against the base scenario.</p>"
               + table_html(summary, ident="table-summary", money_columns=MONEY_COLUMNS["summary"],
                            currency=currency) + "</section>")
    manifest = info.get("manifest") or {}
    if manifest:
        rows = [(k, _value_html(manifest[k])) for k in ("name", "source", "problem", "problem_hash", "type",
                                                         "combine", "axes", "solve", "tokenplan", "written")
                if k in manifest]
        out.append(f'<section id="provenance"><h2>Provenance</h2>{_pairs(rows, "provenance-table")}</section>')
    return _page(title, "\n".join(p for p in out if p))


def _figures(doc: dict[str, Any] | None, tables: Mapping[str, Any] | None, *, summary: Any = None,
             info: Mapping[str, Any] | None = None) -> dict[str, str | bytes]:
    """The figures of a solve (``doc``, ``tables``) or of a study (``summary``, ``info``) from
    :mod:`tokenplan.plots`, as SVG text; none when it is not installed."""
    try:
        from tokenplan import plots  # type: ignore[attr-defined]
    except ImportError:
        return {}
    if summary is not None:
        info = info or {}
        figs = plots.study_figures(summary, {"axes": list(info.get("axes") or []), "pareto": info.get("pareto")})
    else:
        figs = plots.solve_figures(doc, dict(tables or {}))
    return {name: plots.figure_svg(fig) for name, fig in figs.items()}


def write(path: str | Path, text: str) -> Path:
    """Write the report atomically (its directory created if missing)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return target


def solve_report(doc: dict[str, Any], tables: Mapping[str, Any]) -> str:
    """:func:`render_solve` with the figures of :mod:`tokenplan.plots`."""
    return render_solve(doc, tables, _figures(doc, tables))


def study_info(out: str | Path) -> tuple[Any, dict[str, Any]]:
    """A study's summary and ``info`` from its ``OUT/``."""
    from tokenplan.studies import open_results

    study = open_results(out)
    manifest_path = Path(out) / "study.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    info = {"axes": list(study.axes), "pareto": study.pareto, "name": manifest.get("name"),
            "description": manifest.get("description"), "base": study.base_id, "manifest": manifest}
    return study.summary, info


def study_report(out: str | Path) -> str:
    """:func:`render_study` of a study's ``OUT/`` with the figures of :mod:`tokenplan.plots`."""
    summary, info = study_info(out)
    return render_study(summary, info, _figures(None, None, summary=summary, info=info))


def report(directory: str | Path, output: str | Path | None = None) -> Path:
    """Write the report of what ``directory`` holds (a solve's ``--out``: ``kpis.json``; a study's:
    ``study.json``) to ``output`` (default ``directory/report.html``); returns its path."""
    from tokenplan.outputs import load_out

    folder = Path(directory)
    if not folder.is_dir():
        raise InputError("is not a directory (give a solve's or a study's --out)", file=str(folder))
    if (folder / "kpis.json").is_file():
        text = solve_report(*load_out(folder))
    elif (folder / "study.json").is_file():
        text = study_report(folder)
    else:
        raise InputError("holds neither kpis.json (a solve's --out) nor study.json (a study's --out)",
                         file=str(folder))
    return write(Path(output) if output is not None else folder / REPORT, text)
