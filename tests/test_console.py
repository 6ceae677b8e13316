"""The console report fits the terminal and never cuts an id (issue 12, item 3; docs/cli.md, "Console output and
terminal width"): the plan, KPIs, binding constraints, rule sections, catalogs, plugins, the study table and the
throughput table at 200, 120, 80, 60 and 40 columns; small money with four significant digits."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console
from test_cli import run_cli

import tokenplan
from tokenplan import report
from tokenplan.catalog import Catalog
from tokenplan.errors import ExitCode
from tokenplan.result import PLAN_COLUMNS, Result
from tokenplan.studies import display

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = str(ROOT / "problems" / "quickstart.toml")
CN2030 = str(ROOT / "problems" / "cn-2030.toml")
WIDTHS = [200, 120, 80, 60, 40]


def render(renderable_or_result: object, width: int) -> str:
    console = Console(width=width, record=True, force_terminal=True, color_system=None, highlight=False)
    if isinstance(renderable_or_result, Result):
        report.print_result(renderable_or_result, console)
    else:
        console.print(renderable_or_result)
    return console.export_text()


def assert_fits_and_whole(text: str, width: int, ids: set[str]) -> None:
    """No line wider than the console, no ellipsis, and every id whole between separators."""
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert not too_wide, too_wide[:3]
    assert "…" not in text and "..." not in text
    for name in ids:
        assert re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text), (name, width)


@pytest.fixture(scope="module")
def quickstart() -> Result:
    return tokenplan.solve(tokenplan.load(QUICKSTART))


def plan_ids(result: Result) -> set[str]:
    return {*result.plan["chip"], *result.plan["region"], *result.plan["cooling"]}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_quick_start_fits_and_keeps_every_id_whole(quickstart, width):
    assert quickstart.status == "optimal" and len(quickstart.plan)
    text = render(quickstart, width)
    assert_fits_and_whole(text, width, plan_ids(quickstart))
    assert "Plan: quickstart" in text
    assert report.money(quickstart.kpis["cost_per_million_tokens"], "USD") in text     # four significant digits
    if width >= 80:
        assert "┏" in text  # still a table at 80 columns: low-value columns left out, said in the caption
    if width == 80:
        assert "not shown at 80 columns: units bought, facility MW" in text


def test_a_narrow_table_leaves_out_the_low_value_columns_first(quickstart):
    fitted = report.plan_table(quickstart)
    headers = [c.header for c in fitted.columns]

    def shown(width: int) -> list[str] | None:
        s = fitted.shown(width)
        return None if s is None else [headers[i] for i in s]

    assert shown(200) == headers
    assert shown(80) == ["period", "region", "chip", "cooling", "accel. bought", "accel. active", "IT MW"]
    assert shown(60) == ["period", "region", "chip", "cooling", "accel. bought"]
    assert shown(40) is None  # the ids and accelerators bought do not fit: stacked, one field per line
    text = render(fitted, 40)
    assert "┏" not in text and "facility MW" in text and "cold_plate" in text


def test_the_cli_takes_its_width_from_columns(capsys, monkeypatch, quickstart):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(capsys, "solve", QUICKSTART)
    assert code == ExitCode.OK
    assert_fits_and_whole(out, 80, plan_ids(quickstart))
    money = report.money(quickstart.kpis["cost_per_million_tokens"], "USD")
    assert re.search(r"cost per million tokens │ +" + re.escape(money), out)
    from tokenplan.cli import _console

    assert _console().width == 80
    monkeypatch.delenv("COLUMNS")
    assert _console().width == 200  # a pipe without COLUMNS: wide


def cn_result() -> Result:
    """A Result with cn-2030's longest ids (cheap: no solve); both Ascend 950DT and 960 in every region."""
    problem = tokenplan.load(CN2030)
    regions = [r.id for r in problem.regions]
    chips = ["huawei.ascend-950dt", "huawei.ascend-960", "nvidia.h200"]
    known = {c.id for c in Catalog().chips()}
    assert set(chips) <= known
    rows = [{"period": year, "region": region, "chip": chip, "cooling": cooling, "units_bought": 29_040,
             "accelerators_bought": 232_320, "accelerators_active": 396_952, "it_mw": 396.95, "facility_mw": 456.49,
             "accelerators_serving": 396_000}
            for year in (2026, 2030) for region in regions for chip in chips for cooling in ("immersion_2p",)]
    kpis = {"capex": 2.036e11, "opex": 1.63e10, "subsidy": 4.0e10, "salvage": 7.98e10, "accelerators": 706_032,
            "it_mw": 699.6, "facility_mw": 776.5, "cost_per_million_tokens": 0.6014679269705053}
    binding = [{"constraint": "cooling", "where": {"cooling": "immersion_2p", "region": regions[0], "period": 2026},
                "shadow_price": 4.068e7, "unit": "CNY per MW"}]
    rules = {"cn.export_controls": {"summary": "7 chip(s) banned", "money": ["fee_paid"],
                                    "licensed": [{"chip": "nvidia.h200", "region": regions[0], "period": 2026,
                                                  "fee": 0.25, "fee_paid": 3.63e9, "regions": regions}]}}
    return Result(status="optimal", objective=1.0017e11, currency="CNY", gap=0.0, bound=None, kpis=kpis,
                  plan=pd.DataFrame(rows, columns=PLAN_COLUMNS), binding=binding, diagnosis=None, timings={},
                  rules=rules, problem_name="cn-2030")


@pytest.mark.parametrize("width", WIDTHS)
def test_cn_2030_tells_the_ascend_950dt_from_the_960(width):
    result = cn_result()
    text = render(result, width)
    assert_fits_and_whole(text, width, plan_ids(result))
    assert {"huawei.ascend-950dt", "huawei.ascend-960", "inner-mongolia-horinger"} <= plan_ids(result)
    if width == 120:
        assert "┏" in text.split("KPIs")[0]  # the plan is a table there, facility MW left out
        assert "not shown at 120 columns: facility MW" in text


def test_an_id_longer_than_the_width_is_folded_not_cut():
    result = cn_result()
    text = render(result, 12)
    assert all(len(line) <= 12 for line in text.splitlines()) and "…" not in text
    joined = "".join(line.strip() for line in text.splitlines())
    for name in ("huawei.ascend-950dt", "inner-mongolia-horinger"):
        assert name in joined


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_and_plugin_tables_keep_ids_whole(width):
    catalog = Catalog()
    for table, ids in ((report.chips_table(catalog), {c.id for c in catalog.chips()}),
                       (report.coolings_table(catalog), {k.id for k in catalog.coolings()}),
                       (report.regions_table(catalog), {r.id for r in catalog.regions()}),
                       (report.rules_table(catalog), set(catalog.rules()))):
        assert_fits_and_whole(render(table, width), width, ids)
    infos = catalog.host.plugin_infos()
    assert_fits_and_whole(render(report.plugins_table(infos, {}), width), width, {i.name for i in infos})


@pytest.mark.parametrize("width", [120, 80, 40])
def test_the_catalog_commands_fit_columns(capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    catalog = Catalog()
    for kind, ids in (("chips", {c.id for c in catalog.chips()}), ("regions", {r.id for r in catalog.regions()})):
        code, out, _ = run_cli(capsys, "catalog", kind)
        assert code == ExitCode.OK
        assert_fits_and_whole(out, width, ids)
    code, out, _ = run_cli(capsys, "plugins")
    assert_fits_and_whole(out, width, {"chips.nvidia", "coolings.standard"})
    code, out, _ = run_cli(capsys, "throughput", "--workload", CN2030, "--chips", "huawei.*")
    assert code == ExitCode.OK
    assert_fits_and_whole(out, width, {"huawei.ascend-950dt", "huawei.ascend-960", "deepseek-v3"})


@pytest.mark.parametrize("width", WIDTHS)
def test_the_study_table_keeps_its_axes_and_objective(width):
    summary = pd.DataFrame([{"id": f"s{i}", "problem.discount_rate": rate, "chips.allow": allow,
                             "status": "optimal", "objective": 4.625e8 * (1 + i / 10), "delta_pct": 10.0 * i,
                             "gap": 3e-5, "accelerators": 53_568.0, "domestic_share": 1.0, "currency": "USD"}
                            for i, (rate, allow) in enumerate([(0.05, '["huawei.ascend-950dt"]'),
                                                               (0.08, '["huawei.ascend-960"]')])])
    study = SimpleNamespace(summary=summary, axes=["problem.discount_rate", "chips.allow"], base_id="s0")
    text = render(display.table(study), width)
    assert_fits_and_whole(text, width, {'["huawei.ascend-950dt"]', '["huawei.ascend-960"]', "problem.discount_rate",
                                        "462.5 M", "508.8 M", "+10.00 %"})
    if width == 120:
        assert "not shown at 120 columns: gap" in text
    if width == 200:
        assert "not shown" not in text


@pytest.mark.parametrize(("value", "text"), [
    (0.040346181419744755, "0.04035 USD"), (0.6014679, "0.6015 USD"), (462.496, "462.5 USD"), (5, "5.000 USD"),
    (999.96, "1,000 USD"), (0.0, "0 USD"), (-1e-9, "0 USD"), (0.00012345, "0.000123 USD"),
    (462_496_468.6, "462.496 M USD"), (None, "-"),
])
def test_small_money_has_four_significant_digits(value, text):
    assert report.money(value, "USD") == text


def test_per_unit_prices_and_the_study_money():
    assert report.per_unit(1462.4) == "1,462" and report.per_unit(12.5) == "12.50" and report.per_unit(0) == "0"
    assert display.money(0.040346) == "0.04035" and display.money(462_496_468.6) == "462.5 M"


def test_the_width_rule_is_documented():
    doc = (ROOT / "docs" / "cli.md").read_text()
    assert "## Console output and terminal width" in doc
    for header in ("facility MW", "units bought", "COLUMNS", "significant"):
        assert header in doc
