"""The HTML report (issue 12, item 5), opened in a real headless Chromium.

Chromium runs with every network path closed or watched: a proxy (a local socket server that records any
connection) for every request, a host resolver that resolves nothing, and the page's own Content Security
Policy. What the page logs to its console (errors, uncaught exceptions, CSP violations) is in Chromium's log
on stderr (``--enable-logging=stderr``: ``INFO:CONSOLE`` lines). A first test shows that this harness does
see a console error and a network request on a page that makes them, so that "none" on the report means none.
The DOM is dumped after the page's script ran (``--dump-dom``) and parsed: every table and every figure is
counted against what the report should hold; the sort is driven by the page's ``#click=TABLE:COLUMN`` hook.
A screenshot of each report is kept (``TOKENPLAN_TEST_ARTIFACTS``, default ``tests/artifacts/``).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socketserver
import struct
import subprocess
import sys
import threading
import zlib
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from builders import base_problem, write_toml
from test_subsidies import subsidised_problem

import tokenplan
from tokenplan import html_report
from tokenplan.outputs import from_result, load_out
from tokenplan.report import money

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("TOKENPLAN_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
NAME = "<script>alert('name')</script> & <b>co</b>"
TABLES = ("table-plan", "table-costs_by_period", "table-sites", "table-hbm", "table-rules")

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is absent (apt-get install chromium; .ci/run does)")


# -- figures as the plots module will give them ---------------------------------------------------------------
def _svg(title: str) -> str:
    """A small SVG made with matplotlib (a hand-written one where matplotlib is not installed)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return (f'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
                f'<rect width="200" height="100" fill="#8ac"/><text x="10" y="50">{title}</text></svg>')
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([2030, 2031], [1, 2])
    ax.set_title(title)
    buf = StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def _png() -> bytes:
    """A 2 x 2 PNG, written by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


FIGURES = {"cost_by_period": _svg("cost by period"), "fleet": _svg("fleet by chip"), "thumbnail": _png()}


@pytest.fixture
def fake_plots(monkeypatch):
    """``_figures`` as it will be once tokenplan.plots exists: two SVG figures and a PNG."""
    calls = []

    def figures(doc, tables, *, summary=None, info=None):
        calls.append("study" if summary is not None else "solve")
        return dict(FIGURES)

    monkeypatch.setattr(html_report, "_figures", figures)
    return calls


# -- the browser ----------------------------------------------------------------------------------------------
class _Recorder(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            first = self.request.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        except OSError:
            first = "(no request line)"
        self.server.hits.append(first)  # type: ignore[attr-defined]


class Page:
    def __init__(self, dom: str, console: list[str], requests: list[str]) -> None:
        self.dom, self.console, self.requests = dom, console, requests
        self.doc = _Dom()
        self.doc.feed(dom)


class Browser:
    """Headless Chromium behind a recording proxy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
        self.proxy.daemon_threads = True
        self.proxy.hits = []  # type: ignore[attr-defined]
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        self.runs = 0

    def close(self) -> None:
        self.proxy.shutdown()
        self.proxy.server_close()

    def _run(self, url: str, *args: str) -> tuple[str, str]:
        self.runs += 1
        port = self.proxy.server_address[1]
        cmd = [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={self.root / f'profile-{self.runs}'}", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-default-apps",
               "--disable-domain-reliability", "--disable-breakpad", "--no-default-browser-check",
               "--disable-client-side-phishing-detection", "--disable-extensions", "--metrics-recording-only",
               "--no-pings", "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,"
               "AutofillServerCommunication,DialMediaRouteProvider,PreconnectToSearch,NetworkPrediction,LensOverlay",
               # Chromium's own Google endpoints (sign-in, search) to a closed port on the loopback, which
               # bypasses the proxy: what the proxy records then is what the page asked for
               *(f"--{flag}=http://127.0.0.1:9" for flag in ("gaia-url", "google-base-url", "lso-url",
                                                               "google-apis-url")),
               f"--proxy-server=http://127.0.0.1:{port}",
               "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
               "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", *args, url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout, proc.stderr

    def load(self, path: Path, fragment: str = "") -> Page:
        before = len(self.proxy.hits)  # type: ignore[attr-defined]
        dom, log = self._run(path.resolve().as_uri() + fragment, "--dump-dom")
        console = [line for line in log.splitlines() if ":CONSOLE" in line]
        return Page(dom, console, self.proxy.hits[before:])  # type: ignore[attr-defined]

    def screenshot(self, path: Path, out: Path) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        self._run(path.resolve().as_uri(), f"--screenshot={out}", "--window-size=1280,2000",
                  "--hide-scrollbars")
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (apt-get install chromium; .ci/run does)")
    b = Browser(tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


class _Dom(HTMLParser):
    """What the tests count in a dumped DOM: tables (their cells' data-v or text, by row), figures, images,
    every src and href, the text of each section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.headers: dict[str, list[str]] = {}
        self.sorted: dict[str, tuple[str, str]] = {}
        self.svg = 0
        self.images: list[str] = []
        self.figures: list[str] = []
        self.links: list[str] = []
        self.text: dict[str, list[str]] = {}
        self._table: list[str | None] = []
        self._section: list[str] = []
        self._cell: list[str] | None = None
        self._cell_v: str | None = None
        self._head = False
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "xlink:href"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "svg":
            self.svg += 1
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "figure":
            self.figures.append(a.get("data-name", ""))
        elif tag == "section":
            self._section.append(a.get("id", ""))
            self.text.setdefault(a.get("id", ""), [])
        elif tag == "table":
            self._table.append(a.get("id"))
            if a.get("id"):
                self.tables[a["id"]], self.headers[a["id"]] = [], []
        elif tag == "thead":
            self._head = True
        elif tag == "tbody":
            self._head = False
        elif tag == "tr" and self._table and self._table[-1] and not self._head:
            self.tables[self._table[-1]].append([])
        elif tag in ("td", "th") and self._table and self._table[-1]:
            self._cell, self._cell_v = [], a.get("data-v")
            if tag == "th" and self._head and a.get("aria-sort"):
                self.sorted[self._table[-1]] = (str(len(self.headers[self._table[-1]])), a["aria-sort"])
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table and self._table[-1]:
            text = "".join(self._cell).strip()
            if self._head:
                self.headers[self._table[-1]].append(text)
            elif self.tables[self._table[-1]]:
                self.tables[self._table[-1]][-1].append(self._cell_v if self._cell_v is not None else text)
            self._cell = None
        elif tag == "table" and self._table:
            self._table.pop()
        elif tag == "section" and self._section:
            self._section.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for section in self._section:
            self.text[section].append(data)

    def section(self, ident: str) -> str:
        return " ".join(" ".join(self.text.get(ident, [])).split())


# -- the results ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def solved():
    """A subsidised two-period problem whose name is markup."""
    p = subsidised_problem(periods=(2030, 2031))
    p["problem"]["name"] = NAME
    r = tokenplan.solve(tokenplan.load(p))
    assert r.status == "optimal" and r.tables["rules"].shape[0] >= 1
    return r


@pytest.fixture(scope="module")
def infeasible():
    p = base_problem()
    p["regions"][0]["power_mw"] = 0.001
    r = tokenplan.solve(tokenplan.load(p))
    assert r.status == "infeasible" and r.diagnosis["causes"]
    return r


@pytest.fixture(scope="module")
def study_out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    p = subsidised_problem(periods=(2030, 2031))
    problem = write_toml(tmp, p)
    out = tmp / "out"
    study = tokenplan.study(problem, out=out, grid=["problem.discount_rate=0.05,0.1"], workers=1)
    assert len(study.summary) == 2
    return out


def _keep(browser: Browser, report: Path, name: str, tmp_path: Path) -> None:
    """The screenshot, under tmp_path and in the artefacts directory."""
    shot = browser.screenshot(report, tmp_path / f"{name}.png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / f"{name}.png")
    shutil.copyfile(report, ARTIFACTS / f"{name}.html")


def _clean(page: Page) -> None:
    assert page.console == [], "console messages:\n" + "\n".join(page.console)
    assert page.requests == [], f"network requests: {page.requests}"
    assert all(link.startswith(("data:", "#")) for link in page.doc.links), page.doc.links


# -- the harness sees what it must ------------------------------------------------------------------------------
@needs_chromium
def test_the_harness_sees_console_errors_and_network_requests(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/a.png">'
                    '<script>console.error("boom"); undefinedFunction();</script></body></html>')
    seen = browser.load(page)
    assert any('"boom"' in line for line in seen.console)
    assert any("Uncaught ReferenceError" in line for line in seen.console)
    assert any("example.invalid" in hit for hit in seen.requests), seen.requests


# -- a solve ----------------------------------------------------------------------------------------------------
@needs_chromium
def test_a_solve_report_loads_offline_with_every_table_and_figure(browser, solved, tmp_path, fake_plots):
    doc, tables = from_result(solved)
    path = html_report.write(tmp_path / "report.html", html_report.solve_report(doc, tables))
    assert fake_plots == ["solve"]
    page = browser.load(path)
    _clean(page)
    d = page.doc
    for ident in TABLES:
        assert ident in d.tables, ident
        name = ident.removeprefix("table-")
        assert len(d.tables[ident]) == max(1, len(tables[name])), ident
        assert d.headers[ident] == [str(c) for c in tables[name].columns]
    assert len(d.tables["table-plan"]) == 2 and len(d.tables["table-costs_by_period"]) == 3
    # every figure: the SVGs inline, the PNG as a data: URI, each in its <figure>
    assert d.figures == list(FIGURES)
    assert d.svg == sum(isinstance(f, str) for f in FIGURES.values())
    assert d.images == ["data:image/png;base64," + base64.b64encode(FIGURES["thumbnail"]).decode()]
    # the summary: status, net present cost in the currency, the fleet by chip, what binds
    summary = d.section("summary")
    assert "status optimal" in summary
    assert f"net present cost {money(solved.objective, 'CNY')}" in summary
    assert d.tables["fleet"] == [["t.a", "10"]]
    assert d.tables["binding"][0][0] == "demand" and "3.412 k CNY per token/s" in summary
    assert "subsidy taken" in d.section("tables")
    assert "scenarios applied none" in d.section("provenance")
    assert d.section("warnings") == "Warnings none"
    _keep(browser, path, "solve-report", tmp_path)


@needs_chromium
def test_clicking_a_header_sorts_numbers_as_numbers_then_text(browser, solved, tmp_path):
    doc, tables = from_result(solved)
    path = html_report.write(tmp_path / "report.html", html_report.render_solve(doc, tables, {}))
    units = list(tables["plan"].columns).index("units_bought")
    assert [int(r[units]) for r in browser.load(path).doc.tables["table-plan"]] == [10, 0]  # as written
    up = browser.load(path, f"#click=table-plan:{units}")
    _clean(up)
    assert [int(r[units]) for r in up.doc.tables["table-plan"]] == [0, 10]
    assert up.doc.sorted["table-plan"] == (str(units), "ascending")
    # the period column of costs_by_period: years, then the salvage row (numbers before text); twice: reversed
    pv = list(tables["costs_by_period"].columns).index("cash_out_pv")
    by_pv = browser.load(path, f"#click=table-costs_by_period:{pv}").doc.tables["table-costs_by_period"]
    values = [float(r[pv]) for r in by_pv]
    assert values == sorted(values) and values[0] < 0  # the salvage credit first
    down = browser.load(path, "#click=table-costs_by_period:0,table-costs_by_period:0")
    assert [r[0] for r in down.doc.tables["table-costs_by_period"]] == ["salvage", "2031", "2030"]
    assert down.doc.sorted["table-costs_by_period"] == ("0", "descending")


@needs_chromium
def test_user_strings_are_text_not_markup(browser, solved, tmp_path):
    doc, tables = from_result(solved)
    text = html_report.render_solve(doc, tables, {})
    assert "<script>alert" not in text and "<b>co</b>" not in text
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in text
    page = browser.load(html_report.write(tmp_path / "report.html", text))
    _clean(page)  # the name's script did not run (an alert would have been logged as a console message)
    assert page.dom.count("<script>") == 1  # the report's own
    assert f"<title>tokenplan report: {NAME.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}" \
        in page.dom


@needs_chromium
def test_an_infeasible_report_shows_the_diagnosis(browser, infeasible, tmp_path, fake_plots):
    doc, tables = from_result(infeasible)
    path = html_report.write(tmp_path / "report.html", html_report.solve_report(doc, tables))
    page = browser.load(path)
    _clean(page)
    diagnosis = page.doc.section("diagnosis")
    assert diagnosis.startswith("Why there is no plan (before solving)")
    for cause in infeasible.diagnosis["causes"]:
        assert " ".join(cause["message"].split()) in diagnosis
        assert "to fix: " + " ".join(cause["fix"].split()) in diagnosis
    assert "status infeasible" in page.doc.section("summary")
    assert "net present cost" not in page.doc.section("summary")
    assert all(ident in page.doc.tables for ident in TABLES)
    assert page.doc.tables["table-plan"] == [["(no rows)"]]
    assert page.doc.svg == 2
    _keep(browser, path, "infeasible-report", tmp_path)


def test_the_iis_summary_and_a_partial_note_are_shown(infeasible):
    doc, tables = from_result(infeasible)
    doc["diagnosis"] = {**doc["diagnosis"], "partial": True, "partial_note": "stopped at <the limit>",
                        "iis": {"summary": "power_cap 2030 & demand w"}}
    text = html_report.render_solve(doc, tables, {})
    assert "Second opinion (HiGHS IIS):</b> power_cap 2030 &amp; demand w" in text
    assert "stopped at &lt;the limit&gt;" in text


def test_provenance_shows_whatever_keys_there_are(solved):
    doc, tables = from_result(solved)
    doc["provenance"] = {"problem_file": "a<b>.toml", "sha256": "abc", "versions": {"highspy": "1.2"}}
    doc["applied"] = {"scenarios": ["hbm-crunch"], "overrides": ["problem.discount_rate=0.1"]}
    doc["warnings"] = ["watch <this>"]
    text = html_report.render_solve(doc, tables, {})
    for shown in ("problem_file", "a&lt;b&gt;.toml", "sha256", "highspy", "hbm-crunch", "problem.discount_rate=0.1",
                  "watch &lt;this&gt;"):
        assert shown in text


def test_load_out_gives_back_what_from_result_gave(solved, tmp_path):
    solved.write(tmp_path)
    doc, tables = from_result(solved)
    loaded_doc, loaded = load_out(tmp_path)
    assert loaded_doc == doc
    for name, frame in tables.items():
        assert list(loaded[name].columns) == list(frame.columns) and len(loaded[name]) == len(frame), name


# -- a study ----------------------------------------------------------------------------------------------------
@needs_chromium
def test_a_study_report_has_the_summary_status_and_plots(browser, study_out, tmp_path, fake_plots):
    path = html_report.report(study_out, tmp_path / "study.html")
    assert fake_plots == ["study"]
    page = browser.load(path)
    _clean(page)
    d = page.doc
    summary = html_report.study_info(study_out)[0]
    assert len(d.tables["table-summary"]) == 2 and d.headers["table-summary"] == [str(c) for c in summary.columns]
    status = d.headers["table-scenarios"].index("status")
    assert [r[status] for r in d.tables["table-scenarios"]] == ["optimal", "optimal"]
    assert "2 scenarios: 2 optimal" in d.section("summary")
    assert d.figures == list(FIGURES) and d.svg == 2
    objective = d.headers["table-summary"].index("objective")
    down = browser.load(path, f"#click=table-summary:{objective},table-summary:{objective}")
    values = [float(r[objective]) for r in down.doc.tables["table-summary"]]
    assert values == sorted(values, reverse=True)
    _keep(browser, path, "study-report", tmp_path)


def test_the_pareto_knee_is_named():
    import pandas as pd

    summary = pd.DataFrame({"id": ["a", "b", "c"], "share": ["0", "0.5", "1"], "status": ["optimal"] * 3,
                            "objective": [1e6, 1.1e6, 3e6], "currency": ["USD"] * 3, "message": [""] * 3})
    knee = {"epsilon": 0.5, "label": "0.5", "objective": 1.1e6, "id": "b"}
    text = html_report.render_study(summary, {"axes": ["share"], "pareto": {"axis": "share", "points": [],
                                                                             "knee": knee}}, {})
    assert "<b>Pareto knee</b> over share: 0.5 at 1.100 M USD (scenario <code>b</code>)" in text


# -- the command line ----------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tokenplan.cli", *args], capture_output=True, text=True,
                          timeout=240)


def _self_contained(text: str) -> None:
    """Nothing to fetch: no src or href but data: URIs and fragments, no style sheet, import or font."""
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text, flags=re.I)
    assert all(link.startswith(("data:", "#")) for link in links), links
    assert not re.search(r"<link\b|@import|@font-face|url\((?!#)", text, flags=re.I)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text, flags=re.I)


def test_tokenplan_report_and_solve_report_write_a_self_contained_file(tmp_path, study_out):
    problem = write_toml(tmp_path, subsidised_problem(periods=(2030, 2031)))
    out = tmp_path / "out"
    proc = _cli("solve", problem, "--out", str(out), "--report", "-q")
    assert proc.returncode == 0, proc.stderr
    first = (out / "report.html").read_text(encoding="utf-8")
    _self_contained(first)
    (out / "report.html").unlink()
    proc = _cli("report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == f"report: {out / 'report.html'}"
    _self_contained((out / "report.html").read_text(encoding="utf-8"))
    proc = _cli("report", str(out), "--output", str(tmp_path / "elsewhere" / "r.html"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "elsewhere" / "r.html").read_text(encoding="utf-8") == (out / "report.html").read_text(
        encoding="utf-8")
    proc = _cli("report", str(study_out), "--output", str(tmp_path / "study.html"))
    assert proc.returncode == 0, proc.stderr
    _self_contained((tmp_path / "study.html").read_text(encoding="utf-8"))


def test_study_run_report_writes_the_study_report(tmp_path):
    problem = write_toml(tmp_path, subsidised_problem(periods=(2030,)))
    out = tmp_path / "out"
    proc = _cli("study", problem, "--grid", "problem.discount_rate=0.05,0.1", "--out", str(out), "--workers", "1",
                "-q", "--report")
    assert proc.returncode == 0, proc.stderr
    text = (out / "report.html").read_text(encoding="utf-8")
    _self_contained(text)
    assert 'id="table-summary"' in text


def test_report_needs_out_and_a_result_directory(tmp_path):
    problem = write_toml(tmp_path, base_problem())
    for args in (("solve", problem, "--report"), ("study", problem, "--grid", "problem.discount_rate=0.1,0.2",
                                                  "--report")):
        proc = _cli(*args)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "--out" in proc.stderr
    assert not list(tmp_path.glob("**/report.html"))
    proc = _cli("report", str(tmp_path))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "neither kpis.json" in proc.stderr
    proc = _cli("report", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "is not a directory" in proc.stderr


def test_ci_installs_chromium_before_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" -c constraints.txt && pytest'
    assert command in (ROOT / "README.md").read_text() and ci.rstrip().endswith(command)
    assert -1 < ci.index("apt-get install -y chromium") < ci.index(command)


def test_the_diagnosis_excerpt_in_the_docs_is_what_the_report_says():
    doc = (ROOT / "docs" / "reports.md").read_text().split("## HTML report", 1)[1]
    excerpt = next(line for line in doc.splitlines() if line.startswith('<section id="diagnosis">'))
    r = tokenplan.solve(tokenplan.load(ROOT / "problems" / "examples" / "infeasible-power.toml"))
    assert excerpt in html_report.render_solve(*from_result(r), {})
