"""Plots (issue 12, item 4): the figures of a solve and of a study show the tables' numbers, are saved as PNG
and SVG, and ``--plots`` writes them in OUT/plots/; the CLI starts without matplotlib."""

from __future__ import annotations

import itertools
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from builders import M, assert_light, base_problem, chip, solve, write_toml
from test_cli import run_cli
from test_subsidies import subsidised_problem

from tokenplan import outputs, plots

PNG = b"\x89PNG\r\n\x1a\n"


def two_periods() -> dict:
    """Two periods, a subsidy (AI city), two chips and an HBM cap on one pool: t.a (pool p1, capped) in
    both periods, t.b (pool p2, no cap) once the cap binds."""
    p = subsidised_problem(periods=(2030, 2031), last_period_years=1)
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 2500.0}
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=1.5 * M, hbm_pool="p2", lifetime_years=5))
    p["hbm"] = {"unit": "stacks", "supply": {"p1": {"2030": 80, "2031": 80}}}
    return p


@pytest.fixture(scope="module")
def result():
    r = solve(two_periods())
    assert r.status == "optimal"
    return r


@pytest.fixture(scope="module")
def figures(result):
    return plots.solve_figures(*outputs.from_result(result))


def _bars(ax) -> dict[str, list[float]]:
    """Label -> bar heights of each bar container of the axes."""
    return {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}


def _xlabels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def test_every_solve_figure_is_there_with_title_and_axis_labels(figures):
    assert list(figures) == ["fleet", "costs", "power", "hbm"]
    for name, fig in figures.items():
        for ax in fig.axes:
            if ax.get_visible():
                assert ax.get_xlabel() or ax is not fig.axes[-1], name
                assert ax.get_ylabel(), name
        assert fig.axes[0].get_title() or fig.get_suptitle(), name
    assert figures["costs"].axes[0].get_ylabel() == "money (CNY)"
    assert figures["hbm"].axes[0].get_ylabel() == "HBM (stacks)"
    assert figures["power"].axes[0].get_ylabel() == "MW"


def test_the_fleet_bars_are_the_plans_accelerators_in_service(result, figures):
    ax = figures["fleet"].axes[0]
    expected = result.plan.groupby(["chip", "period"])["accelerators_active"].sum().unstack("period", fill_value=0)
    assert _xlabels(ax) == ["2030", "2031"]
    bars = _bars(ax)
    assert set(bars) == {"t.a", "t.b"}
    for chip_id, heights in bars.items():
        assert heights == [float(expected.loc[chip_id, y]) for y in (2030, 2031)]
    # stacked: each chip's bars start where the one before ended
    containers = ax.containers
    for lower, upper in itertools.pairwise(containers):
        for a, b in zip(lower.patches, upper.patches):
            assert b.get_y() == pytest.approx(a.get_y() + a.get_height())


def test_the_cost_bars_are_the_period_table_subsidies_negative(result, figures):
    ax = figures["costs"].axes[0]
    cbp = result.costs_by_period
    years = cbp[cbp["period"] != "salvage"]
    bars = _bars(ax)
    assert bars["capex"] == pytest.approx(years["capex"].tolist())
    assert bars["opex"] == pytest.approx(years["opex"].tolist())
    assert bars["subsidies (negative)"] == pytest.approx((-years["subsidies"]).tolist())
    assert min(bars["subsidies (negative)"]) < 0  # the AI-city subsidy is paid
    (net,) = [line for line in ax.get_lines() if line.get_label() == "net cash out"]
    assert list(net.get_ydata()) == pytest.approx(years["cash_out"].tolist())


def test_the_power_panels_are_the_sites_table(result, figures):
    fig = figures["power"]
    sites = result.sites
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["2030", "2031"]
    for ax, year in zip(fig.axes, (2030, 2031)):
        row = sites[sites.period == year].iloc[0]
        bars = _bars(ax)
        assert bars["facility MW"] == [pytest.approx(row.facility_mw)]
        assert bars["built MW"] == [pytest.approx(row.built_mw)]
        assert bars["grid cap MW"] == [pytest.approx(row.grid_cap_mw)]


def test_the_hbm_panels_show_use_and_the_supply_where_there_is_one(result, figures):
    fig = figures["hbm"]
    hbm = result.hbm
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    pools = sorted(hbm["pool"].unique())
    assert len(titles) == len(pools)
    for ax, pool in zip([a for a in fig.axes if a.get_visible()], pools):
        rows = hbm[hbm.pool == pool].sort_values("period")
        assert _bars(ax)["used"] == pytest.approx(rows["used"].tolist())
        supply = [line for line in ax.get_lines() if line.get_label() == "supply"]
        if rows["supply"].notna().any():
            assert ax.get_title() == pool
            assert list(supply[0].get_ydata()) == pytest.approx(rows["supply"].tolist())
        else:
            assert ax.get_title() == f"{pool} (no supply cap)" and not supply
    assert "p1" in pools


def test_the_figures_from_out_are_the_same_as_from_the_result(result, figures, tmp_path):
    result.write(tmp_path / "out")
    doc, tables = outputs.load_out(tmp_path / "out")
    assert doc["currency"] == "CNY" and "plan" not in doc and "tables" not in doc
    assert tables["costs_by_period"]["period"].tolist() == result.costs_by_period["period"].tolist()
    again = plots.solve_figures(doc, tables)
    assert list(again) == list(figures)
    for name in figures:
        for a, b in zip(figures[name].axes, again[name].axes):
            bars_a, bars_b = _bars(a), _bars(b)
            assert list(bars_a) == list(bars_b), name
            for label in bars_a:
                assert bars_a[label] == pytest.approx(bars_b[label]), (name, label)


def test_load_out_of_a_directory_without_results_is_a_clear_error(tmp_path):
    from tokenplan.errors import InputError

    with pytest.raises(InputError, match="no kpis.json"):
        outputs.load_out(tmp_path)


def test_save_writes_png_and_svg_of_each_figure(figures, tmp_path):
    paths = plots.save(figures, tmp_path / "a" / "plots")
    assert [p.name for p in paths] == [f"{n}.{ext}" for n in figures for ext in ("png", "svg")]
    for path in paths:
        if path.suffix == ".png":
            assert path.read_bytes().startswith(PNG)
        else:
            root = ET.parse(path).getroot()
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not [p for p in (tmp_path / "a" / "plots").iterdir() if p.name.startswith(".")]  # no temporary files
    fig = figures["fleet"]
    assert plots.figure_png(fig).startswith(PNG)
    assert ET.fromstring(plots.figure_svg(fig)).tag == "{http://www.w3.org/2000/svg}svg"


def test_an_infeasible_result_gives_no_figures():
    p = base_problem()
    p["chips"]["custom"] = [chip(year_available=2031)]
    r = solve(p)
    assert r.status == "infeasible"
    assert plots.solve_figures(*outputs.from_result(r)) == {}
    assert plots.solve_figures({}, {}) == {}


def test_many_chips_and_sites_stay_readable():
    # 80 chips in service at 80 sites: one legend entry per chip in columns, the site labels turned
    n = 80
    plan = pd.DataFrame({"period": [2030] * n, "region": [f"site-{i}" for i in range(n)],
                         "chip": [f"vendor.chip-{i}" for i in range(n)], "cooling": "air",
                         "accelerators_active": range(1, n + 1)})
    sites = pd.DataFrame({"period": [2030] * n, "region": [f"site-{i}" for i in range(n)],
                          "it_mw": 1.0, "facility_mw": 1.2, "grid_cap_mw": 2.0, "built_mw": 1.5})
    figures = plots.solve_figures({"currency": "USD"}, {"plan": plan, "sites": sites})
    assert list(figures) == ["fleet", "power"]
    legend = figures["fleet"].axes[0].get_legend()
    assert len(legend.get_texts()) == n and legend._ncols == 4
    labels = figures["power"].axes[-1].get_xticklabels()
    assert len(labels) == n and all(t.get_rotation() == 90 for t in labels)
    assert plots.figure_png(figures["power"]).startswith(PNG)


def test_solve_plots_end_to_end(tmp_path, capsys):
    path = write_toml(tmp_path, two_periods())
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "solve", path, "--out", str(out), "--plots")
    assert code == 0, err
    for name in plots.SOLVE_FIGURES:
        assert (out / "plots" / f"{name}.png").read_bytes().startswith(PNG)
        ET.parse(out / "plots" / f"{name}.svg")
    assert "plots: fleet, costs, power, hbm in" in err


def test_plots_without_out_is_a_usage_error(tmp_path, capsys):
    path = write_toml(tmp_path, base_problem())
    code, _, err = run_cli(capsys, "solve", path, "--plots")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: tokenplan solve: --plots needs --out DIR (the plots are written in DIR/plots/) "
        "(see 'tokenplan solve --help')"]


def test_plots_where_a_file_is_is_refused_before_the_solve(tmp_path, capsys):
    path = write_toml(tmp_path, base_problem())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plots").write_text("")
    code, _, err = run_cli(capsys, "solve", path, "--out", str(tmp_path / "out"), "--plots")
    assert code == 2 and "--plots" in err and "not a directory" in err
    assert not (tmp_path / "out" / "kpis.json").exists()


def test_an_infeasible_solve_with_plots_writes_none(tmp_path, capsys):
    p = base_problem()
    p["chips"]["custom"] = [chip(year_available=2031)]
    code, _, err = run_cli(capsys, "solve", write_toml(tmp_path, p), "--out", str(tmp_path / "out"), "--plots")
    assert code == 3
    assert "plots: none (the result has no plan)" in err
    assert not (tmp_path / "out" / "plots").exists()


def test_study_figures_of_a_three_scenario_grid(tmp_path, capsys):
    from test_studies import _problem

    path = write_toml(tmp_path, _problem())
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "study", path, "--out", str(out), "--grid",
                           "hbm.supply.p2={scale=0.5},{scale=1},{scale=2}", "--pareto", "--workers", "1", "-q",
                           "--plots")
    assert code == 0, err
    summary, info = outputs.load_study(out)
    assert info["axes"] == ["hbm.supply.p2"] and info["currency"] == "CNY" and info["pareto"]["knee"]
    assert len(summary) == 3
    figures = plots.study_figures(summary, info)
    assert list(figures) == ["objective_vs_hbm.supply.p2", "chip_mix", "shadow_prices", "pareto"]
    for name in figures:
        assert (out / "plots" / f"{name}.png").read_bytes().startswith(PNG)
        ET.parse(out / "plots" / f"{name}.svg")
    # the objective line and the chip mix are the summary's numbers
    (line,) = figures["objective_vs_hbm.supply.p2"].axes[0].get_lines()
    assert list(line.get_ydata()) == pytest.approx(summary["objective"].tolist())
    assert figures["objective_vs_hbm.supply.p2"].axes[0].get_ylabel() == "net present cost (CNY)"
    mix = _bars(figures["chip_mix"].axes[0])
    chips = [c for c in summary.columns if c.startswith("accelerators.")]
    assert mix == {c.removeprefix("accelerators."): [float(v) for v in summary[c]] for c in chips}
    assert _xlabels(figures["chip_mix"].axes[0]) == ["x0.5", "x1", "x2"]
    shadow = figures["shadow_prices"]
    families = sorted(c.removeprefix("shadow.") for c in summary.columns if c.startswith("shadow."))
    assert [ax.get_title(loc="left") for ax in shadow.axes] == families
    assert shadow.axes[0].get_ylabel() == info["shadow_units"][families[0]]
    pareto = figures["pareto"].axes[0]
    (knee,) = [line for line in pareto.get_lines() if line.get_label() == "knee"]
    assert list(knee.get_xdata()) == [info["pareto"]["knee"]["epsilon"]]
    # the same from the Study object
    from tokenplan.studies import open_results

    again, info2 = outputs.from_study(open_results(out))
    assert list(plots.study_figures(again, info2)) == list(figures)


def test_a_study_without_plans_gives_no_figures():
    summary = pd.DataFrame({"position": [0], "id": ["a"], "x": [1.0], "status": ["infeasible"],
                            "objective": [None]})
    assert plots.study_figures(summary, {"axes": ["x"], "pareto": None}) == {}


def test_file_names_of_figures():
    assert plots.file_stem('objective_vs_rules."policy.domestic_share".share') == \
        "objective_vs_rules._policy.domestic_share_.share"


def test_importing_the_cli_does_not_import_matplotlib():
    assert_light("import tokenplan.cli\nimport tokenplan.plots\nimport tokenplan.outputs",
                 ("matplotlib", "pandas", "pyomo"))


def test_building_figures_leaves_pyplot_alone(figures):
    assert "matplotlib.pyplot" not in sys.modules or not __import__("matplotlib.pyplot").pyplot.get_fignums()
    assert all(type(fig.canvas).__name__ == "FigureCanvasAgg" for fig in figures.values())


def test_the_docs_describe_every_figure():
    text = (Path(__file__).resolve().parents[1] / "docs" / "reports.md").read_text()
    for name in (*plots.SOLVE_FIGURES, "objective_vs_<axis>", "chip_mix", "shadow_prices", "pareto"):
        assert f"`{name}`" in text, name
    assert "## HTML report" in text  # the other section of the page
