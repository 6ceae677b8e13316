"""What-if studies (issue 10): study files and --grid, validation before anything runs, local workers and a
Dask LocalCluster giving the same summary, the result store (a killed parent or worker, then --resume:
every scenario exactly once, the same results), Ctrl-C, MIP starts along neighbour chains, shadow prices
and Pareto fronts."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from builders import M, base_problem, chip, toml_value, write_toml

import tokenplan
from tokenplan.errors import InputError
from tokenplan.studies import load_spec, open_results
from tokenplan.studies.run import chains, lanes_of
from tokenplan.studies.summary import pareto

#: what must be the same between two runs of a study (not timings, workers or MIP-start bookkeeping)
SAME = ["id", "status", "objective"]


def _problem() -> dict:
    """Two chips: t.a (domestic, 1 M per 100 tokens/s) and t.b (foreign, 0.6 M per 100 tokens/s)."""
    p = base_problem()
    p["problem"]["periods"] = [2030, 2031]
    p["workloads"][0]["tokens_per_day"] = {"2030": 86400 * 1000.0, "2031": 86400 * 1500.0}
    p["regions"][0]["power_mw"] = 100
    p["chips"]["custom"].append(chip(id="t.b", origin="US", price_per_accel=0.6 * M, hbm_pool="p2"))
    p["hbm"] = {"supply": {"p2": {"2030": 40.0, "2031": 80.0}}}
    p["scenarios"] = {"no-b": {"chips.deny": ["t.b"]}}
    return p


def _study(tmp_path: Path, vary: list[dict], **study) -> str:
    problem = write_toml(tmp_path, _problem())
    lines = ["[study]", 'name = "t"', f'problem = "{Path(problem).name}"']
    lines += [f"{k} = {toml_value(v)}" for k, v in study.items()]
    for axis in vary:
        lines.append("[[vary]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in axis.items()]
    path = tmp_path / "study.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


GRID = [{"name": "demand", "key": "workloads.w.tokens_per_day", "scale": [1.0, 2.0, 3.0]},
        {"name": "hbm", "key": "hbm.supply.p2", "scale": [0.5, 1.0, 2.0]}]


def _cli(*args: str, timeout: float = 240, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tokenplan.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Exactly the same statuses, objectives (to the bit) and accelerators per chip: a run's results do not
    depend on the load, on which worker ran a scenario or on whether its model was patched or rebuilt."""
    cols = SAME + sorted(c for c in set(a.columns) | set(b.columns) if c.startswith("accelerators"))
    assert set(cols) <= set(a.columns) and set(cols) <= set(b.columns), set(cols) ^ (set(a.columns) & set(b.columns))
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True), check_exact=True)


# -- the spec ---------------------------------------------------------------------------------------------
def test_grid_expands_in_odometer_order_with_content_ids(tmp_path):
    spec = load_spec(_study(tmp_path, GRID))
    scenarios = spec.expand()
    assert [s.params for s in scenarios[:4]] == [
        {"demand": "x1", "hbm": "x0.5"}, {"demand": "x1", "hbm": "x1"}, {"demand": "x1", "hbm": "x2"},
        {"demand": "x2", "hbm": "x0.5"}]
    assert len({s.id for s in scenarios}) == 9
    assert [s.id for s in load_spec(_study(tmp_path, GRID)).expand()] == [s.id for s in scenarios]  # stable
    # chains run along the last axis: neighbours differ in one value
    assert [[s.position for s in c] for c in chains(spec, scenarios)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_lanes_keep_neighbouring_chains_on_one_worker(tmp_path):
    # 4 x 5 x 5 (the benchmark's export x subsidy x HBM): 20 chains of 5; on two workers, lane 0 holds the
    # first two levels of the outer axis and lane 1 the last two, so each worker changes its outer level once
    vary = [{"name": "a", "key": "hbm.supply.p2", "scale": [1.0, 1.1, 1.2, 1.3]},
            {"name": "b", "key": "workloads.w.tokens_per_day", "scale": [1.0, 1.1, 1.2, 1.3, 1.4]},
            {"name": "c", "key": "hbm.supply.p2", "scale": [1.0, 2.0, 3.0, 4.0, 5.0]}]
    spec = load_spec(_study(tmp_path, vary))
    todo = chains(spec, spec.expand())
    lanes = lanes_of(todo, 2)
    assert [len(lane) for lane in lanes] == [10, 10]
    assert [c for lane in lanes for c in lane] == todo  # contiguous, in grid order
    assert [sorted({c[0].params["a"] for c in lane}) for lane in lanes] == [["x1", "x1.1"], ["x1.2", "x1.3"]]
    # uneven: three workers share 20 chains by scenario count
    assert [len(lane) for lane in lanes_of(todo, 3)] == [7, 7, 6]


def test_zip_and_ranges_and_named_scenarios(tmp_path):
    spec = load_spec(_study(tmp_path, [
        {"name": "rate", "key": "problem.discount_rate", "range": {"start": 0.0, "stop": 0.1, "step": 0.05}},
        {"name": "what", "scenarios": [[], ["no-b"], ["no-b"]], "labels": ["base", "no-b", "no-b again"]}],
        combine="zip"))
    scenarios = spec.expand()
    assert [s.params for s in scenarios] == [{"rate": 0.0, "what": "base"}, {"rate": 0.05, "what": "no-b"},
                                             {"rate": 0.1, "what": "no-b again"}]
    assert scenarios[1].scenarios == ("no-b",) and scenarios[1].overrides == ((("problem", "discount_rate"), 0.05),)


@pytest.mark.parametrize("vary, study, key", [
    ([{"key": "problem.discount_rate", "values": [0.1], "scale": [1.0]}], {}, "vary[0]"),
    ([{"key": "problem.discount_rate"}], {}, "vary[0]"),
    ([{"key": "problem.discount_rate", "values": [0.1, 0.2], "labels": ["a"]}], {}, "vary[0].labels"),
    ([{"key": "problem.discount_rate", "values": [0.1], "colour": "red"}], {}, "vary[0].colour"),
    ([{"key": "problem.discount_rate", "values": [0.1]}], {"combin": "zip"}, "study.combin"),
    ([{"key": "problem.discount_rate", "values": [0.1, 0.2]}, {"key": "problem.mip_gap", "values": [0.1]}],
     {"combine": "zip"}, "study.combine"),
    ([{"key": "problem.discount_rate", "values": [0.1]}, {"key": "problem.mip_gap", "values": [0.1]}],
     {"type": "pareto"}, "vary"),
    ([{"key": "problem.discount_rate", "scale": [-1.0]}], {}, "vary[0].scale[0]"),
])
def test_bad_study_files_are_one_line_errors_naming_the_key(tmp_path, vary, study, key):
    path = _study(tmp_path, vary, **study)
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: {key}")


def test_a_bad_scenario_stops_the_study_before_anything_runs(tmp_path):
    path = _study(tmp_path, [{"name": "rate", "key": "problem.discount_rate", "values": [0.05, 7.0]}])
    proc = _cli("study", path, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and path in proc.stderr and "rate=7.0" in proc.stderr
    assert "problem.discount_rate" in proc.stderr
    assert not (tmp_path / "out" / "index.jsonl").exists()


def test_two_values_that_make_the_same_scenario_are_an_error(tmp_path):
    with pytest.raises(InputError, match="are the same scenario"):
        load_spec(write_toml(tmp_path, _problem()), grid=["problem.discount_rate=0.05,0.05"]).expand()
    with pytest.raises(InputError, match="vary"):
        load_spec(_study(tmp_path, [{"key": "problem.discount_rate", "values": [0.1, 0.1],
                                     "labels": ["a", "b"]}])).expand()


def test_a_range_to_infinity_is_an_input_error(tmp_path):
    path = _study(tmp_path, [{"key": "problem.discount_rate",
                              "range": {"start": 0.0, "stop": float("inf"), "step": 1.0}}])
    with pytest.raises(InputError, match=r"vary\[0\]\.range\.stop"):
        load_spec(path)


def test_ids_depend_on_the_solve_options(tmp_path):
    spec = load_spec(_study(tmp_path, GRID))
    a = [s.id for s in spec.expand({"mip_gap": 0.01})]
    b = [s.id for s in spec.expand({"mip_gap": 0.001})]
    assert not set(a) & set(b)


def test_ad_hoc_grid_needs_a_grid_and_a_study_file_takes_none(tmp_path):
    problem = write_toml(tmp_path, _problem())
    with pytest.raises(InputError, match="--grid"):
        load_spec(problem)
    with pytest.raises(InputError, match="is a study file"):
        load_spec(_study(tmp_path, GRID), grid=["problem.discount_rate=0.1"])
    spec = load_spec(problem, grid=["hbm.supply.p2={scale=0.5},{scale=2}", "scenario=-,no-b"])
    assert [s.params for s in spec.expand()] == [
        {"hbm.supply.p2": "x0.5", "scenario": "-"}, {"hbm.supply.p2": "x0.5", "scenario": "no-b"},
        {"hbm.supply.p2": "x2", "scenario": "-"}, {"hbm.supply.p2": "x2", "scenario": "no-b"}]


# -- running ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid study run once, uninterrupted, on two local workers."""
    tmp = tmp_path_factory.mktemp("reference")
    path = _study(tmp, GRID)
    study = tokenplan.study(path, out=tmp / "out", workers=2)
    return path, study


def test_study_runs_every_scenario_and_matches_single_solves(reference, tmp_path):
    path, study = reference
    frame = study.summary
    assert len(frame) == 9 and set(frame["status"]) == {"optimal"}
    assert (Path(study.out) / "summary.parquet").exists() and (Path(study.out) / "summary.csv").exists()
    # each scenario's objective is the one a plain solve of the same overrides gives
    for spec_s, (_, row) in zip(load_spec(path).expand()[::4], frame.iloc[::4].iterrows()):
        direct = tokenplan.solve(tokenplan.load(_problem(), list(spec_s.overrides), spec_s.scenarios))
        assert row["objective"] == pytest.approx(direct.objective, rel=1e-3)
    # more demand never costs less; more foreign HBM never costs more
    grid = frame.pivot(index="demand", columns="hbm", values="objective")
    assert (grid.diff(axis=0).iloc[1:] > 0).all().all()
    assert (grid.diff(axis=1).iloc[:, 1:] <= 1e-6 * grid.abs().max().max()).all().all()
    # the HBM cap binds at 0.5x: t.b is rationed, t.a makes up the rest
    low = frame[frame["hbm"] == "x0.5"]
    assert (low["accelerators.t.a"] > 0).all() and (low["accelerators.t.b"] > 0).all()
    assert ((low["domestic_share"] > 0) & (low["domestic_share"] < 1)).all()
    assert frame.iloc[0]["shadow.demand"] > 0 and frame.iloc[0]["shadow.hbm"] > 0


def test_neighbours_start_from_each_others_plans(reference):
    _, study = reference
    records = {r["position"]: r for r in study.records}
    # the first of each chain has no start; the others get their predecessor's plan (feasible: more HBM)
    assert [records[i]["start_given"] for i in range(3)] == [False, True, True]
    assert records[1]["start_used"] and records[2]["start_used"]
    assert all(r["overhead_s"] >= 0 and r["highs_s"] >= 0 for r in records.values())


def test_shadow_prices_match_a_direct_solve(reference):
    path, study = reference
    s = load_spec(path).expand()[4]
    direct = tokenplan.solve(tokenplan.load(_problem(), list(s.overrides), s.scenarios))
    row = study.summary.set_index("position").loc[s.position]
    duals = direct.duals
    for family in ("demand", "hbm"):
        assert row[f"shadow.{family}"] == pytest.approx(duals[duals.constraint == family].shadow_price.max(),
                                                        rel=1e-6)


def test_study_show_prints_the_comparison_table(reference):
    _, study = reference
    proc = _cli("study", "show", str(study.out))
    assert proc.returncode == 0, proc.stderr
    assert "x0.5" in proc.stdout and "optimal*" in proc.stdout and "+" in proc.stdout
    proc = _cli("study", "show", str(study.out), "--json")
    rows = json.loads(proc.stdout)
    assert len(rows) == 9 and rows[0]["delta"] == 0


def test_dask_local_cluster_gives_the_same_summary(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    path, study = reference
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        on_dask = tokenplan.study(path, out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert {r["worker"].split(":")[0] for r in on_dask.records}  # ran somewhere
    _same(on_dask.summary, study.summary)


def _wait_for_lines(index: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if index.exists() and index.read_text().count("\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the study ended first: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    raise AssertionError("no progress")


def _start(path: str, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tokenplan.cli", "study", path, "--out", str(out), "--workers", "2",
                             "-q", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _resume_and_check(path: str, out: Path, reference_summary: pd.DataFrame) -> None:
    proc = _cli("study", path, "--out", str(out), "--workers", "2", "--resume", "-q")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in lines]
    assert len(ids) == len(set(ids)) == 9  # every scenario exactly once
    _same(open_results(out).summary, reference_summary)


def test_killed_parent_then_resume_loses_and_duplicates_nothing(reference, tmp_path):
    path, study = reference
    out = tmp_path / "out"
    proc = _start(path, out)
    _wait_for_lines(out / "index.jsonl", 2, proc)
    proc.kill()
    proc.wait()
    done = (out / "index.jsonl").read_text().count("\n")
    assert 2 <= done < 9
    proc = _cli("study", path, "--out", str(out), "-q")
    assert proc.returncode == 2 and "--resume" in proc.stderr  # never overwritten by accident
    _resume_and_check(path, out, study.summary)


def _running(reference, tmp_path):
    """psutil, the study's file, its reference run, OUT and the study process, once a scenario is stored."""
    psutil = pytest.importorskip("psutil")
    path, study = reference
    out = tmp_path / "out"
    proc = _start(path, out)
    _wait_for_lines(out / "index.jsonl", 1, proc)
    return psutil, path, study, out, proc


def test_killed_worker_is_retried_and_the_study_goes_on(reference, tmp_path):
    psutil, path, study, out, proc = _running(reference, tmp_path)
    workers = [c for c in psutil.Process(proc.pid).children()
               if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
    assert workers
    os.kill(workers[0].pid, signal.SIGKILL)
    assert proc.wait(timeout=240) == 0, proc.stderr.read()
    _resume_and_check(path, out, study.summary)  # nothing left to run: the same 9


def test_ctrl_c_stops_cleanly_keeping_what_finished(tmp_path):
    psutil = pytest.importorskip("psutil")
    # 40 scenarios on one worker: many are left when the signal comes, however fast the machine
    path = _study(tmp_path, [{"name": "rate", "key": "problem.discount_rate",
                              "range": {"start": 0.0, "stop": 0.195, "step": 0.005}}])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "tokenplan.cli", "study", path, "--out", str(out), "--workers",
                             "1", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out / "index.jsonl", 1, proc)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert "--resume" in proc.stderr.read()
    assert 1 <= (out / "index.jsonl").read_text().count("\n") < 40
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, alive


def test_a_failing_scenario_is_a_record_and_the_study_goes_on(tmp_path):
    path = _study(tmp_path, [{"name": "demand", "key": "workloads.w.tokens_per_day", "scale": [1.0, 100000.0]}])
    study = tokenplan.study(path, out=tmp_path / "out", workers=1)
    frame = study.summary
    assert list(frame["status"]) == ["optimal", "infeasible"]
    record = study.records[1] if study.records[1]["position"] == 1 else study.records[0]
    assert record["diagnosis"]["summary"]


# -- Pareto -------------------------------------------------------------------------------------------------
def test_knee_of_a_convex_cost_curve():
    frame = pd.DataFrame({"id": list("abcde"), "share": [0, 0.25, 0.5, 0.75, 1.0],
                          "objective": [100.0, 101.0, 103.0, 110.0, 140.0], "domestic_share": [0.0] * 5})
    curve = pareto(frame, "share", [0, 0.25, 0.5, 0.75, 1.0])
    assert curve["knee"]["id"] == "d" and len(curve["points"]) == 5


def test_pareto_study_of_the_domestic_share(tmp_path):
    path = _study(tmp_path, [{"name": "share", "key": 'rules."policy.domestic_share".share',
                              "range": {"start": 0.0, "stop": 1.0, "step": 0.25}}],
                  type="pareto", set={'rules."policy.domestic_share".enabled': True})
    study = tokenplan.study(path, out=tmp_path / "out", workers=2)
    points = study.pareto["points"]
    assert [p["epsilon"] for p in points] == [0.0, 0.25, 0.5, 0.75, 1.0]
    costs = [p["objective"] for p in points]
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(costs))  # a tighter constraint never costs less
    assert all(p["domestic_share"] >= p["epsilon"] - 1e-9 for p in points)
    assert json.loads((tmp_path / "out" / "pareto.json").read_text())["points"] == json.loads(
        json.dumps(points))


def test_progress_shows_done_failed_running_eta_best_and_worst():
    from rich.console import Console

    from tokenplan.studies.display import Live, money
    from tokenplan.studies.run import Progress

    console = Console(record=True, width=200, force_terminal=False)
    progress = Progress(total=10)
    live = Live(console, 10, "CNY")
    progress.record({"objective": 98.43e9})
    progress.record({"objective": 134.8e9})
    progress.record({"objective": None})
    progress.running = 2
    live.update(progress)
    info = live.progress.tasks[0].fields["info"]
    assert "failed 1, running 2" in info and "ETA" in info
    assert "best 98.43 B, worst 134.8 B CNY" in info
    assert money(462_496_468.6) == "462.5 M" and money(1234.0) == "1.234 k"
    # at the end there is no time left to show, and no empty field: "running 0; best", not "running 0, ; best"
    for _ in range(7):
        progress.record({"objective": 100e9})
    progress.running = 0
    live.update(progress)
    info = live.progress.tasks[0].fields["info"]
    assert info == "failed 1, running 0; best 98.43 B, worst 134.8 B CNY", info


def test_study_show_of_a_directory_without_results_is_a_clear_error(tmp_path):
    proc = _cli("study", "show", str(tmp_path))
    assert proc.returncode == 2 and "no study results here" in proc.stderr


def test_cli_study_options_zip_pareto_gap_and_no_warm_start(tmp_path):
    problem = write_toml(tmp_path, _problem())
    out = tmp_path / "p"
    proc = _cli("study", problem, "--out", str(out), "--grid", "hbm.supply.p2={scale=0.5},{scale=1},{scale=2}",
                "--pareto", "--no-warm-start", "--gap", "0.01", "--workers", "1", "-q")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "study.json").read_text())
    assert manifest["type"] == "pareto" and manifest["solve"]["mip_gap"] == 0.01
    assert manifest["solve"]["warm_start"] is False
    records = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert len(records) == 3 and not any(r["start_given"] for r in records)
    curve = json.loads((out / "pareto.json").read_text())
    assert [p["epsilon"] for p in curve["points"]] == [0.5, 1.0, 2.0]
    zipped = _cli("study", problem, "--out", str(tmp_path / "z"), "--grid", "problem.discount_rate=0.0,0.1",
                  "--grid", "hbm.supply.p2={scale=1},{scale=2}", "--zip", "--workers", "1", "-q")
    assert zipped.returncode == 0, zipped.stderr
    assert (tmp_path / "z" / "index.jsonl").read_text().count("\n") == 2  # zipped: 2, not a 2 x 2 grid
